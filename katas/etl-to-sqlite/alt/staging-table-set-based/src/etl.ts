// etl-to-sqlite: load raw flight rows into a typed SQLite schema. README.md has the full contract.
import type Database from 'better-sqlite3';

export interface LoadResult {
  /** Rows inserted into `flights` by this call. */
  loaded: number;
  /** Rows of this call that were rejected (written to `quarantine`, or already there). */
  quarantined: number;
  /** Valid rows whose (departed_at, origin, destination) was already in `flights`. */
  skippedDuplicates: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS flights (
    departed_at TEXT    NOT NULL,
    origin      TEXT    NOT NULL,
    destination TEXT    NOT NULL,
    delay       INTEGER NOT NULL,
    distance    INTEGER NOT NULL,
    PRIMARY KEY (departed_at, origin, destination),
    CHECK (departed_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]'),
    CHECK (origin GLOB '[A-Z][A-Z][A-Z]' AND destination GLOB '[A-Z][A-Z][A-Z]'),
    CHECK (distance > 0)
  ) STRICT;
  CREATE INDEX IF NOT EXISTS flights_origin_idx ON flights (origin);
  CREATE INDEX IF NOT EXISTS flights_destination_idx ON flights (destination);
  CREATE TABLE IF NOT EXISTS quarantine (
    raw    TEXT NOT NULL,
    reason TEXT NOT NULL,
    UNIQUE (raw)
  ) STRICT;
`;

const STAGING = `
  CREATE TEMP TABLE IF NOT EXISTS etl_staging (
    seq         INTEGER PRIMARY KEY,
    raw         TEXT NOT NULL,
    reason      TEXT,
    date        TEXT,
    origin      TEXT,
    destination TEXT,
    delay       INTEGER,
    distance    INTEGER
  );
  DELETE FROM temp.etl_staging;
`;

function realDateTime(s: string): boolean {
  const m = s.match(/^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2})$/);
  if (!m) return false;
  const [, y, mo, d, h, mi] = m.map(Number) as number[];
  const probe = new Date(0);
  probe.setUTCFullYear(y!, mo! - 1, d!);
  probe.setUTCHours(h!, mi!);
  return probe.getUTCFullYear() === y && probe.getUTCMonth() === mo! - 1 && probe.getUTCDate() === d
    && probe.getUTCHours() === h && probe.getUTCMinutes() === mi;
}

const absent = (o: Record<string, unknown>, k: string) => !Object.hasOwn(o, k) || o[k] === null || o[k] === undefined;
const code = (v: unknown) => typeof v === 'string' && /^[A-Z]{3}$/.test(v);
const int = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

export function rejectReason(row: unknown): { reason: string } | null {
  const why = (reason: string) => ({ reason });
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return why('invalid:row');
  const o = row as Record<string, unknown>;
  if (absent(o, 'date')) return why('missing:date');
  if (typeof o.date !== 'string' || !realDateTime(o.date)) return why('invalid:date');
  if (absent(o, 'delay')) return why('missing:delay');
  if (!int(o.delay)) return why('invalid:delay');
  if (absent(o, 'distance')) return why('missing:distance');
  if (!int(o.distance) || o.distance <= 0) return why('invalid:distance');
  if (absent(o, 'origin')) return why('missing:origin');
  if (!code(o.origin)) return why('invalid:origin');
  if (absent(o, 'destination')) return why('missing:destination');
  if (!code(o.destination)) return why('invalid:destination');
  if (o.origin === o.destination) return why('invalid:route');
  return null;
}

export function load(db: Database.Database, rows: unknown[]): LoadResult {
  return db.transaction((): LoadResult => {
    db.exec(SCHEMA);
    db.exec(STAGING);
    const stage = db.prepare(
      `INSERT INTO temp.etl_staging (raw, reason, date, origin, destination, delay, distance)
       VALUES (@raw, @reason, @date, @origin, @destination, @delay, @distance)`,
    );
    let valid = 0;
    let rejected = 0;
    for (const row of rows) {
      const problem = rejectReason(row);
      if (problem) {
        rejected++;
        stage.run({ raw: JSON.stringify(row), reason: problem.reason, date: null, origin: null, destination: null, delay: null, distance: null });
      } else {
        valid++;
        const f = row as { date: string; origin: string; destination: string; delay: number; distance: number };
        stage.run({ raw: '', reason: null, date: f.date, origin: f.origin, destination: f.destination, delay: f.delay, distance: f.distance });
      }
    }
    db.prepare(
      `INSERT INTO quarantine (raw, reason)
       SELECT raw, reason FROM temp.etl_staging WHERE reason IS NOT NULL ORDER BY seq
       ON CONFLICT (raw) DO NOTHING`,
    ).run();
    const { changes } = db.prepare(
      `INSERT INTO flights (departed_at, origin, destination, delay, distance)
       SELECT replace(date, '/', '-'), origin, destination, delay, distance
         FROM temp.etl_staging WHERE reason IS NULL ORDER BY seq
       ON CONFLICT (departed_at, origin, destination) DO NOTHING`,
    ).run();
    db.exec('DELETE FROM temp.etl_staging');
    return { loaded: changes, quarantined: rejected, skippedDuplicates: valid - changes };
  })();
}
