// Loads raw flight rows into a typed SQLite schema: valid rows into `flights`, rejected rows into
// `quarantine` with a reason, repeats of an already-loaded flight skipped. One transaction per call.
import type Database from 'better-sqlite3';

export interface LoadResult {
  loaded: number;
  quarantined: number;
  skippedDuplicates: number;
}

interface Flight {
  departedAt: string;
  delay: number;
  distance: number;
  origin: string;
  destination: string;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS flights (
    id          INTEGER PRIMARY KEY,
    departed_at TEXT    NOT NULL CHECK (departed_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]'),
    origin      TEXT    NOT NULL CHECK (origin GLOB '[A-Z][A-Z][A-Z]'),
    destination TEXT    NOT NULL CHECK (destination GLOB '[A-Z][A-Z][A-Z]'),
    delay       INTEGER NOT NULL,
    distance    INTEGER NOT NULL CHECK (distance > 0),
    CHECK (origin <> destination),
    UNIQUE (departed_at, origin, destination)
  ) STRICT;
  CREATE INDEX IF NOT EXISTS flights_origin ON flights (origin);
  CREATE INDEX IF NOT EXISTS flights_destination ON flights (destination);
  CREATE TABLE IF NOT EXISTS quarantine (
    id     INTEGER PRIMARY KEY,
    raw    TEXT NOT NULL UNIQUE,
    reason TEXT NOT NULL
  ) STRICT;
`;
// The UNIQUE key starts with departed_at, so its index already serves date-range queries.

const FIELDS = ['date', 'delay', 'distance', 'origin', 'destination'] as const;
const RAW_DATE = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2})$/;
const AIRPORT = /^[A-Z]{3}$/;

/** 'YYYY/MM/DD HH:MM' → 'YYYY-MM-DD HH:MM', or null when it is not that shape or not a real moment. */
function parseDate(value: string): string | null {
  const m = RAW_DATE.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi] = m.map(Number);
  // Not Date.UTC(y, ...): it reads the years 0–99 as 1900–1999. setUTCFullYear takes every year as it is.
  const utc = new Date(0);
  utc.setUTCFullYear(y, mo - 1, d);
  utc.setUTCHours(h, mi);
  const real =
    utc.getUTCFullYear() === y && utc.getUTCMonth() === mo - 1 && utc.getUTCDate() === d &&
    utc.getUTCHours() === h && utc.getUTCMinutes() === mi;
  return real ? `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}` : null;
}

/** The reason a raw row is rejected (the first problem found), or null when it is valid. */
export function rejectReason(row: unknown): { reason: string } | null {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return { reason: 'invalid:row' };
  const r = row as Record<string, unknown>;
  for (const field of FIELDS) {
    const value = r[field];
    if (value === undefined || value === null) return { reason: `missing:${field}` };
    const ok =
      field === 'date' ? parseDate(value as string) !== null
      : field === 'delay' ? Number.isSafeInteger(value)
      : field === 'distance' ? Number.isSafeInteger(value) && (value as number) > 0
      : typeof value === 'string' && AIRPORT.test(value);
    if (!ok) return { reason: `invalid:${field}` };
  }
  if (r.origin === r.destination) return { reason: 'invalid:route' };
  return null;
}

/** A row that passed rejectReason, as the parameters of the insert. */
function toFlight(row: Record<string, unknown>): Flight {
  return {
    departedAt: parseDate(row.date as string)!,
    delay: row.delay as number,
    distance: row.distance as number,
    origin: row.origin as string,
    destination: row.destination as string,
  };
}

export function load(db: Database.Database, rows: unknown[]): LoadResult {
  db.exec(SCHEMA);
  // Only the natural key may conflict quietly; any other error aborts the load.
  const insertFlight = db.prepare(`
    INSERT INTO flights (departed_at, origin, destination, delay, distance)
    VALUES (@departedAt, @origin, @destination, @delay, @distance)
    ON CONFLICT (departed_at, origin, destination) DO NOTHING`);
  const insertBad = db.prepare(`INSERT INTO quarantine (raw, reason) VALUES (?, ?) ON CONFLICT (raw) DO NOTHING`);

  const run = db.transaction((): LoadResult => {
    const result = { loaded: 0, quarantined: 0, skippedDuplicates: 0 };
    for (const row of rows) {
      const rejected = rejectReason(row);
      if (rejected) {
        insertBad.run(JSON.stringify(row), rejected.reason);
        result.quarantined++;
      } else if (insertFlight.run(toFlight(row as Record<string, unknown>)).changes === 1) {
        result.loaded++;
      } else {
        result.skippedDuplicates++;
      }
    }
    return result;
  });
  return run();
}
