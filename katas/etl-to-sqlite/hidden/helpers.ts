// Shared by the hidden etl-to-sqlite tests: a fresh temporary database per test, the learner's load()
// (run in the solution host), and the hidden raw file with its corruptions log (written by
// fixtures/pipelines/etl-raw.ts).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { judgeFixturePath, loadSolution, type Host, type Remote } from '@kata/harness';

/**
 * A call into the solution host, settled and turned back into a function that returns or throws as the
 * call did: `expect(await settled(load(db, rows)), message).toThrow()` fails with `message` when it returned.
 */
export async function settled(call: Promise<unknown>): Promise<() => unknown> {
  return call.then(
    (value) => () => value,
    (error) => () => {
      throw error;
    },
  );
}

export interface LoadResult {
  loaded: number;
  quarantined: number;
  skippedDuplicates: number;
}
/** The learner's load(db, rows), called in the solution host over the host's handle on the test database. */
export type Load = (db: Remote, rows: unknown[]) => Promise<LoadResult>;

/** A fresh solution host with src/etl.ts loaded; close the host in afterAll. */
export async function importLoad(): Promise<{ load: Load; host: Host }> {
  const { module, host } = await loadSolution('src/etl.ts');
  try {
    if (typeof (await module.load.$get()) !== 'function') throw new Error('src/etl.ts should export a function load(db, rows)');
  } catch (error) {
    await host.close().catch(() => undefined);
    throw error;
  }
  return { load: (db, rows) => module.load(db, rows), host };
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

export const hiddenRows = JSON.parse(readFileSync(judgeFixturePath('flights-raw-hidden.json'), 'utf8')) as unknown[];
export const hiddenLog = JSON.parse(readFileSync(judgeFixturePath('flights-raw-hidden.corruptions.json'), 'utf8')) as Corruption[];

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

export interface TestDb {
  /** The host's handle on the file: what the learner's load() gets. */
  appDb: Remote;
  /** The judge's own connection to the same file: what the checks read (and change). */
  db: Database.Database;
}

const opened: { dir: string; appDb: Remote; db: Database.Database }[] = [];
/** A new, empty database file in the host's temporary folder, open on both sides; removed by `cleanup()`. */
export async function freshDb(host: Host): Promise<TestDb> {
  const dir = mkdtempSync(join(host.tempDir, 'kata-etl-'));
  const file = join(dir, 'flights.db');
  const db = new Database(file);
  db.pragma('synchronous = OFF');
  const appDb = await host.openDb(file);
  opened.push({ dir, appDb, db });
  // No fsync per commit: a load without a transaction fails the atomicity test instead of the time limit.
  await appDb.pragma('synchronous = OFF');
  return { appDb, db };
}
export async function cleanup(host: Host): Promise<void> {
  for (const { dir, appDb, db } of opened.splice(0)) {
    db.close();
    if (host.running) await appDb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const count = (db: Database.Database, table: string) =>
  (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

/** Everything in flights, without any id column, in key order: for comparing table states. */
export const snapshotFlights = (db: Database.Database) =>
  db.prepare('SELECT departed_at, origin, destination, delay, distance FROM flights ORDER BY departed_at, origin, destination').all();
export const snapshotQuarantine = (db: Database.Database) => db.prepare('SELECT raw, reason FROM quarantine ORDER BY raw').all();
