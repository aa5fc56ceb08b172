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
    id          INTEGER PRIMARY KEY,
    departed_at TEXT    NOT NULL CHECK (departed_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]'),
    origin      TEXT    NOT NULL CHECK (origin GLOB '[A-Z][A-Z][A-Z]'),
    destination TEXT    NOT NULL CHECK (destination GLOB '[A-Z][A-Z][A-Z]'),
    delay       INTEGER NOT NULL,
    distance    INTEGER NOT NULL CHECK (distance > 0),
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

const FIELDS = ['date', 'delay', 'distance', 'origin', 'destination'] as const;
type Field = (typeof FIELDS)[number];

const DATE_RE = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2})$/;
const CODE_RE = /^[A-Z]{3}$/;

function isRealDateTime(value: string): boolean {
  const m = DATE_RE.exec(value);
  if (!m) return false;
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  t.setUTCHours(h, mi, 0, 0);
  return (
    t.getUTCFullYear() === y &&
    t.getUTCMonth() === mo - 1 &&
    t.getUTCDate() === d &&
    t.getUTCHours() === h &&
    t.getUTCMinutes() === mi
  );
}

const isValid: Record<Field, (v: unknown) => boolean> = {
  date: (v) => typeof v === 'string' && isRealDateTime(v),
  delay: (v) => typeof v === 'number' && Number.isFinite(v),
  distance: (v) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0,
  origin: (v) => typeof v === 'string' && CODE_RE.test(v),
  destination: (v) => typeof v === 'string' && CODE_RE.test(v),
};

export function rejectReason(row: unknown): { reason: string } | null {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return { reason: 'invalid:row' };
  const rec = row as Record<string, unknown>;
  for (const field of FIELDS) {
    if (!Object.hasOwn(rec, field) || rec[field] === null || rec[field] === undefined) return { reason: `missing:${field}` };
    if (!isValid[field](rec[field])) return { reason: `invalid:${field}` };
  }
  if (rec.origin === rec.destination) return { reason: 'invalid:route' };
  return null;
}

interface ValidRow {
  date: string;
  delay: number;
  distance: number;
  origin: string;
  destination: string;
}

export function load(db: Database.Database, rows: unknown[]): LoadResult {
  const run = db.transaction((input: unknown[]): LoadResult => {
    db.exec(SCHEMA);
    const result: LoadResult = { loaded: 0, quarantined: 0, skippedDuplicates: 0 };
    const insertFlight = db.prepare(
      `INSERT INTO flights (departed_at, origin, destination, delay, distance)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (departed_at, origin, destination) DO NOTHING`,
    );
    const insertQuarantine = db.prepare(
      'INSERT INTO quarantine (raw, reason) VALUES (?, ?) ON CONFLICT (raw) DO NOTHING',
    );
    for (const row of input) {
      const rejected = rejectReason(row);
      if (rejected) {
        insertQuarantine.run(JSON.stringify(row), rejected.reason);
        result.quarantined++;
        continue;
      }
      const r = row as ValidRow;
      const departedAt = r.date.replace(/\//g, '-');
      const { changes } = insertFlight.run(departedAt, r.origin, r.destination, r.delay, r.distance);
      if (changes === 0) result.skippedDuplicates++;
      else result.loaded++;
    }
    return result;
  });
  return run(rows);
}
