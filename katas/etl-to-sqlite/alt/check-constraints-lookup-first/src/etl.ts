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

// Not STRICT: every type rule is a CHECK, so the table works on any SQLite version.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS flights (
    departed_at TEXT NOT NULL
      CHECK (typeof(departed_at) = 'text'
             AND departed_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]'),
    origin TEXT NOT NULL
      CHECK (typeof(origin) = 'text' AND length(origin) = 3 AND origin NOT GLOB '*[^A-Z]*'),
    destination TEXT NOT NULL
      CHECK (typeof(destination) = 'text' AND length(destination) = 3 AND destination NOT GLOB '*[^A-Z]*'),
    delay INTEGER NOT NULL CHECK (typeof(delay) = 'integer'),
    distance INTEGER NOT NULL CHECK (typeof(distance) = 'integer' AND distance > 0)
  );
  CREATE UNIQUE INDEX IF NOT EXISTS flights_natural_key ON flights (departed_at, origin, destination);
  CREATE INDEX IF NOT EXISTS flights_by_origin ON flights (origin);
  CREATE INDEX IF NOT EXISTS flights_by_destination ON flights (destination);
  CREATE TABLE IF NOT EXISTS quarantine (
    raw TEXT NOT NULL CHECK (typeof(raw) = 'text'),
    reason TEXT NOT NULL CHECK (typeof(reason) = 'text')
  );
  CREATE UNIQUE INDEX IF NOT EXISTS quarantine_raw ON quarantine (raw);
`;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** '2001/01/01 06:55' -> '2001-01-01 06:55', or null when it is not a real date and time. */
function toDepartedAt(value: string): string | null {
  const m = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2})$/.exec(value);
  if (m === null) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  if (month < 1 || month > 12) return null;
  const lastDay = month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
  if (day < 1 || day > lastDay) return null;
  if (hour > 23 || minute > 59) return null;
  return `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}`;
}

const isCode = (v: unknown): boolean => typeof v === 'string' && /^[A-Z]{3}$/.test(v);
const isWholeNumber = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** The README's checks, in its order. */
const RULES: ReadonlyArray<readonly [field: string, ok: (v: unknown) => boolean]> = [
  ['date', (v) => typeof v === 'string' && toDepartedAt(v) !== null],
  ['delay', (v) => isWholeNumber(v)],
  ['distance', (v) => isWholeNumber(v) && v > 0],
  ['origin', isCode],
  ['destination', isCode],
];

export function rejectReason(row: unknown): { reason: string } | null {
  if (row === null || typeof row !== 'object' || Array.isArray(row)) return { reason: 'invalid:row' };
  const record = row as { [key: string]: unknown };
  for (const [field, ok] of RULES) {
    const present = Object.prototype.hasOwnProperty.call(record, field);
    const value = present ? record[field] : undefined;
    if (value === undefined || value === null) return { reason: 'missing:' + field };
    if (!ok(value)) return { reason: 'invalid:' + field };
  }
  if (record.origin === record.destination) return { reason: 'invalid:route' };
  return null;
}

export function load(db: Database.Database, rows: unknown[]): LoadResult {
  const body = db.transaction(() => {
    db.exec(SCHEMA);
    const exists = db.prepare(
      'SELECT 1 FROM flights WHERE departed_at = ? AND origin = ? AND destination = ?',
    );
    const insert = db.prepare(
      'INSERT INTO flights (departed_at, origin, destination, delay, distance) VALUES (?, ?, ?, ?, ?)',
    );
    const alreadyQuarantined = db.prepare('SELECT 1 FROM quarantine WHERE raw = ?');
    const quarantine = db.prepare('INSERT INTO quarantine (raw, reason) VALUES (?, ?)');

    let loaded = 0;
    let quarantined = 0;
    let skippedDuplicates = 0;
    for (const row of rows) {
      const problem = rejectReason(row);
      if (problem !== null) {
        const raw = JSON.stringify(row);
        if (alreadyQuarantined.get(raw) === undefined) quarantine.run(raw, problem.reason);
        quarantined += 1;
        continue;
      }
      const f = row as { date: string; delay: number; distance: number; origin: string; destination: string };
      const departedAt = toDepartedAt(f.date)!;
      if (exists.get(departedAt, f.origin, f.destination) !== undefined) {
        skippedDuplicates += 1;
        continue;
      }
      insert.run(departedAt, f.origin, f.destination, f.delay, f.distance);
      loaded += 1;
    }
    return { loaded, quarantined, skippedDuplicates };
  });
  return body();
}
