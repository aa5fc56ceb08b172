// Shared by the hidden etl-to-sqlite tests: a fresh temporary database per test, the learner's load(),
// and the hidden raw file with its corruptions log (written by fixtures/pipelines/etl-raw.ts).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { fixturePath, importSolution } from '@kata/harness';

export type Load = (db: Database.Database, rows: unknown[]) => { loaded: number; quarantined: number; skippedDuplicates: number };

export async function importLoad(): Promise<Load> {
  const mod = await importSolution<{ load?: Load }>('src/etl.ts');
  if (typeof mod.load !== 'function') throw new Error('src/etl.ts should export a function load(db, rows)');
  return mod.load;
}

export interface Corruption {
  index: number;
  kind: string;
  outcome: 'quarantined' | 'duplicate' | 'loaded';
  reason?: string;
  duplicateOf?: number;
}

export interface RawFlight {
  date: string;
  delay: number;
  distance: number;
  origin: string;
  destination: string;
}

export const hiddenRows = JSON.parse(readFileSync(fixturePath('flights-raw-hidden.json'), 'utf8')) as unknown[];
export const hiddenLog = JSON.parse(readFileSync(fixturePath('flights-raw-hidden.corruptions.json'), 'utf8')) as Corruption[];

/** The rows of a raw file that must end up in `flights`, in the shape they are stored. */
export function expectedFlights(rows: unknown[], log: Corruption[]) {
  const notLoaded = new Set(log.filter((c) => c.outcome !== 'loaded').map((c) => c.index));
  return rows
    .filter((_, i) => !notLoaded.has(i))
    .map((row) => {
      const r = row as RawFlight;
      return { departed_at: r.date.replace(/\//g, '-'), origin: r.origin, destination: r.destination, delay: r.delay, distance: r.distance };
    });
}

const dirs: string[] = [];
/** A new, empty database file in a temporary folder; removed by `cleanup()`. */
export function freshDb(): Database.Database {
  const dir = mkdtempSync(join(tmpdir(), 'kata-etl-'));
  dirs.push(dir);
  const db = new Database(join(dir, 'flights.db'));
  // No fsync per commit: a load without a transaction fails the atomicity test instead of the time limit.
  db.pragma('synchronous = OFF');
  return db;
}
export function cleanup(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export const count = (db: Database.Database, table: string) =>
  (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

/** Everything in flights, without any id column, in key order: for comparing table states. */
export const snapshotFlights = (db: Database.Database) =>
  db.prepare('SELECT departed_at, origin, destination, delay, distance FROM flights ORDER BY departed_at, origin, destination').all();
export const snapshotQuarantine = (db: Database.Database) => db.prepare('SELECT raw, reason FROM quarantine ORDER BY raw').all();
