// Shared by stage 1's hidden tests: the learner's ingest() in a solution host, a fresh database per test
// (open in the host and in the judge), the judge's own statement of the row rules, crafted files from
// real rows of a hidden month.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loadSolution, type Host, type Remote } from '@kata/harness';
import type { FlightRow } from '../support/flights.js';
import { writeFlightsParquet, type CraftedRow } from '../support/parquet.js';

export interface IngestReport {
  rows: number;
  loaded: number;
  quarantined: number;
  skipped: number;
  watermark: string | null;
}
export type Ingest = (db: Remote, file: string) => Promise<IngestReport>;

/** A call settled and turned back into a function that returns or throws as the call did (for toThrow). */
export async function settled(call: Promise<unknown>): Promise<() => unknown> {
  return call.then(
    (value) => () => value,
    (error) => () => {
      throw error;
    },
  );
}

/**
 * The time zone of the learner's process. Graders run in UTC, where the local-time getters the brief forbids
 * give the same answers as the UTC ones; New York (UTC-4/-5, with the DST change of 2001-04-01) shifts them.
 */
export const HOST_TZ = 'America/New_York';

/** A fresh solution host (in HOST_TZ; its heap capped at `heapMb` if given) with src/ingest.ts loaded; close the host in afterAll. */
export async function importIngest(heapMb?: number): Promise<{ ingest: Ingest; host: Host }> {
  const { module, host } = await loadSolution('src/ingest.ts', { env: { TZ: HOST_TZ }, heapMb });
  try {
    if (typeof (await module.ingest.$get()) !== 'function') throw new Error('src/ingest.ts should export an async function ingest(db, file)');
  } catch (error) {
    await host.close().catch(() => undefined);
    throw error;
  }
  return { ingest: (db, file) => module.ingest(db, file), host };
}

export interface TestDb {
  /** The host's handle: what ingest() gets. */
  appDb: Remote;
  /** The judge's own connection to the same file. */
  db: Database.Database;
  /** A folder in the host's temp dir for this test's parquet files. */
  dir: string;
  file: string;
}

const opened: TestDb[] = [];
/** A new, empty database file in the host's temp folder, open on both sides; removed by `cleanup()`. */
export async function freshDb(host: Host): Promise<TestDb> {
  const dir = mkdtempSync(join(host.tempDir, 'kata-ingest-'));
  const file = join(dir, 'flights.db');
  const db = new Database(file);
  const appDb = await host.openDb(file);
  await appDb.pragma('synchronous = OFF');
  const t = { appDb, db, dir, file };
  opened.push(t);
  return t;
}
export async function cleanup(host: Host): Promise<void> {
  for (const { dir, appDb, db } of opened.splice(0)) {
    db.close();
    if (host.running) await appDb.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const count = (db: Database.Database, table: string, where = '') =>
  (db.prepare(`SELECT count(*) AS n FROM ${table} ${where}`).get() as { n: number }).n;

/** Everything in flights without the id, in a total order: for comparing small table states. */
export const snapshotFlights = (db: Database.Database) =>
  db.prepare('SELECT flight_date, dep_minute, origin, destination, distance, delay FROM flights ORDER BY flight_date, dep_minute, origin, destination, distance, delay').all() as FlightRow[];
export const snapshotQuarantine = (db: Database.Database) =>
  db.prepare('SELECT file, row_index, flight_date, reason FROM quarantine ORDER BY file, row_index').all() as QuarantineRow[];
export const watermarkRows = (db: Database.Database) => db.prepare('SELECT last_day FROM watermark').all() as { last_day: string }[];

export interface QuarantineRow {
  file: string;
  row_index: number;
  flight_date: string | null;
  reason: string;
}

/** The state of all three tables, for "nothing changed" checks. */
export const snapshotAll = (db: Database.Database) => ({ flights: snapshotFlights(db), quarantine: snapshotQuarantine(db), watermark: watermarkRows(db) });

// ---- the rules of the brief, as the judge states them ---------------------------------------------

const MAX = BigInt(Number.MAX_SAFE_INTEGER);
const safe = (v: bigint) => v >= -MAX && v <= MAX;

/** A row as hyparquet reads it back (the judge writes bigints and Dates). */
export interface FileRow {
  date: Date | null;
  delay: bigint | null;
  distance: bigint | null;
  origin: string | null;
  destination: string | null;
}

/** The reason of the first failing check (README, "Bad rows"), or null when the row is good. */
export function expectedReason(r: FileRow): string | null {
  if (r.date === null) return 'missing:date';
  if (r.date.getTime() % 60_000 !== 0) return 'invalid:date';
  if (r.delay === null) return 'missing:delay';
  if (!safe(r.delay)) return 'invalid:delay';
  if (r.distance === null) return 'missing:distance';
  if (!safe(r.distance) || r.distance <= 0n) return 'invalid:distance';
  for (const field of ['origin', 'destination'] as const) {
    const v = r[field];
    if (v === null) return `missing:${field}`;
    if (!/^[A-Z]{3}$/.test(v)) return `invalid:${field}`;
  }
  if (r.origin === r.destination) return 'invalid:route';
  return null;
}

export const dayOf = (d: Date) => d.toISOString().slice(0, 10);
export const toRow = (r: FileRow): FlightRow => ({
  flight_date: dayOf(r.date!),
  dep_minute: r.date!.getUTCHours() * 60 + r.date!.getUTCMinutes(),
  origin: r.origin!,
  destination: r.destination!,
  distance: Number(r.distance),
  delay: Number(r.delay),
});
export const byFlight = (a: FlightRow, b: FlightRow) =>
  a.flight_date.localeCompare(b.flight_date) ||
  a.dep_minute - b.dep_minute ||
  a.origin.localeCompare(b.origin) ||
  a.destination.localeCompare(b.destination) ||
  a.distance - b.distance ||
  a.delay - b.delay;

/** Writes crafted rows (FileRow or CraftedRow) into `dir/name` and returns the path. */
export function craft(dir: string, name: string, rows: (FileRow | CraftedRow)[], rowGroupSize = 1000): string {
  return writeFlightsParquet(join(dir, name), rows, { rowGroupSize });
}

/** Pretty form of a file row for messages. */
export const show = (r: FileRow) =>
  JSON.stringify({ date: r.date ? r.date.toISOString().slice(0, 19).replace('T', ' ') : null, delay: r.delay?.toString() ?? null, distance: r.distance?.toString() ?? null, origin: r.origin, destination: r.destination });
