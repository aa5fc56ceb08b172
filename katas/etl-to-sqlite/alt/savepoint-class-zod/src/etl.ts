// etl-to-sqlite: load raw flight rows into a typed SQLite schema. README.md has the full contract.
import type Database from 'better-sqlite3';
import { z } from 'zod';

export interface LoadResult {
  /** Rows inserted into `flights` by this call. */
  loaded: number;
  /** Rows of this call that were rejected (written to `quarantine`, or already there). */
  quarantined: number;
  /** Valid rows whose (departed_at, origin, destination) was already in `flights`. */
  skippedDuplicates: number;
}

const DDL = [
  `CREATE TABLE IF NOT EXISTS flights (
     flight_id   INTEGER PRIMARY KEY,
     departed_at TEXT    NOT NULL CHECK (departed_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]'),
     origin      TEXT    NOT NULL CHECK (origin GLOB '[A-Z][A-Z][A-Z]'),
     destination TEXT    NOT NULL CHECK (destination GLOB '[A-Z][A-Z][A-Z]'),
     delay       INTEGER NOT NULL,
     distance    INTEGER NOT NULL CHECK (distance >= 1),
     CONSTRAINT flights_natural_key UNIQUE (departed_at, origin, destination)
   ) STRICT`,
  'CREATE INDEX IF NOT EXISTS idx_flights_origin ON flights (origin)',
  'CREATE INDEX IF NOT EXISTS idx_flights_destination ON flights (destination)',
  `CREATE TABLE IF NOT EXISTS quarantine (
     raw    TEXT NOT NULL PRIMARY KEY,
     reason TEXT NOT NULL
   ) STRICT, WITHOUT ROWID`,
];

const DATE_SHAPE = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2})$/;

function isCalendarMoment(s: string): boolean {
  const parts = DATE_SHAPE.exec(s);
  if (!parts) return false;
  const [year, month, day, hour, minute] = parts.slice(1).map((p) => parseInt(p, 10)) as number[] as [
    number, number, number, number, number,
  ];
  const probe = new Date(Date.UTC(2000, 0, 1));
  probe.setUTCFullYear(year, month - 1, day);
  probe.setUTCHours(hour, minute);
  return (
    probe.getUTCFullYear() === year &&
    probe.getUTCMonth() + 1 === month &&
    probe.getUTCDate() === day &&
    probe.getUTCHours() === hour &&
    probe.getUTCMinutes() === minute
  );
}

const airport = z.string().regex(/^[A-Z]{3}$/);
const FIELD_SCHEMAS = [
  ['date', z.string().refine(isCalendarMoment)],
  ['delay', z.int()],
  ['distance', z.int().positive()],
  ['origin', airport],
  ['destination', airport],
] as const;

const record = z.record(z.string(), z.unknown());

export function rejectReason(row: unknown): { reason: string } | null {
  // z.record refuses null, primitives and arrays; the Array.isArray check just makes that explicit.
  if (Array.isArray(row) || !record.safeParse(row).success) return { reason: 'invalid:row' };
  const obj = row as Record<string, unknown>;
  for (const [name, schema] of FIELD_SCHEMAS) {
    const value = Object.hasOwn(obj, name) ? obj[name] : undefined;
    if (value == null) return { reason: `missing:${name}` };
    if (!schema.safeParse(value).success) return { reason: `invalid:${name}` };
  }
  return obj.origin === obj.destination ? { reason: 'invalid:route' } : null;
}

class FlightLoader {
  private readonly insertFlight: Database.Statement;
  private readonly insertRejected: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.insertFlight = db.prepare(
      `INSERT INTO flights (departed_at, origin, destination, delay, distance)
       VALUES (@departedAt, @origin, @destination, @delay, @distance)
       ON CONFLICT (departed_at, origin, destination) DO NOTHING
       RETURNING flight_id`,
    );
    this.insertRejected = db.prepare(
      'INSERT INTO quarantine (raw, reason) VALUES (@raw, @reason) ON CONFLICT (raw) DO NOTHING',
    );
  }

  run(rows: unknown[]): LoadResult {
    const result: LoadResult = { loaded: 0, quarantined: 0, skippedDuplicates: 0 };
    for (const row of rows) {
      const rejected = rejectReason(row);
      if (rejected) {
        this.insertRejected.run({ raw: JSON.stringify(row), reason: rejected.reason });
        result.quarantined += 1;
        continue;
      }
      const { date, delay, distance, origin, destination } = row as {
        date: string; delay: number; distance: number; origin: string; destination: string;
      };
      const [day, time] = date.split(' ') as [string, string];
      const inserted = this.insertFlight.get({
        departedAt: `${day.split('/').join('-')} ${time}`,
        origin,
        destination,
        delay,
        distance,
      });
      if (inserted === undefined) result.skippedDuplicates += 1;
      else result.loaded += 1;
    }
    return result;
  }
}

export function load(db: Database.Database, rows: unknown[]): LoadResult {
  db.exec('SAVEPOINT etl_load');
  try {
    for (const statement of DDL) db.exec(statement);
    const result = new FlightLoader(db).run(rows);
    db.exec('RELEASE etl_load');
    return result;
  } catch (err) {
    db.exec('ROLLBACK TO etl_load');
    db.exec('RELEASE etl_load');
    throw err;
  }
}
