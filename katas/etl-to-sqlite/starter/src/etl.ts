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

// TODO 1: the schema. `flights` (departed_at, origin, destination, delay, distance) with declared types,
// NOT NULL and CHECK constraints, a UNIQUE natural key, and indexes for origin, destination and date
// lookups; `quarantine` (raw, reason). Use CREATE ... IF NOT EXISTS so that a second run keeps the data.
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS flights (departed_at, origin, destination, delay, distance);
  CREATE TABLE IF NOT EXISTS quarantine (raw, reason);
`;

/**
 * TODO 2: check one raw row, in the order the README gives (row shape, then date, delay, distance,
 * origin, destination, then the route). Return the reason for the first problem found, e.g.
 * { reason: 'missing:delay' }, or null when the row is valid.
 */
export function rejectReason(row: unknown): { reason: string } | null {
  void row;
  return null;
}

export function load(db: Database.Database, rows: unknown[]): LoadResult {
  db.exec(SCHEMA);
  const result: LoadResult = { loaded: 0, quarantined: 0, skippedDuplicates: 0 };
  // TODO 3: in ONE transaction (db.transaction), for each row: quarantine it with its reason
  // (raw = JSON.stringify(row), once per distinct raw row), or insert it with departed_at as
  // 'YYYY-MM-DD HH:MM', counting a row whose natural key is already there as a skipped duplicate.
  // Any other database error must abort the whole call: nothing kept, the error thrown.
  void rows;
  return result;
}
