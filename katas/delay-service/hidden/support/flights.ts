// Judge-side support shared by every stage of delay-service: the real flights of a month, as the
// learner's files carry them and as the `flights` table holds them, built by the judge's own reference
// loader (so a later stage is graded on a correct table whatever the learner's stage 1 does).
//
// Use from a stage suite (mounted at <n>-<id>/, so this file is '../support/flights.js'):
//
//   import { referenceDb, monthParquet, monthFlights, FLIGHTS_DDL, HIDDEN_MONTHS } from '../support/flights.js';
//
//   // a writable SQLite file with `flights` (the capstone schema, ids 1.. in file order) for April and
//   // May, with FLIGHTS_INDEXES (route, destination and day indexes), in the host's temp folder, then
//   // opened on both sides:
//   const file = await referenceDb(['2001-04', '2001-05'], host.tempDir);
//   const appDb = await host.openDb(file);            // what the learner's code gets
//   const db = new Database(file);                     // the judge's own connection, to check results
//
//   // the parquet file of a month, as the learner's files are written (50,000-row row groups), copied
//   // into a folder the host can read:
//   const april = await monthParquet('2001-04', host.tempDir);   // → <tempDir>/flights-2001-04.parquet
//
//   // the reference rows of a month, in file order, as `flights` stores them (no id):
//   const rows = await monthFlights('2001-04');        // FlightRow[]
//
// Everything expensive (reading flights-3m.parquet, writing a month, loading a table) is cached in the
// judge's cache folder (fixtures/build/judge/cache/delay-service-<version>/, hidden from learner code), written to a temporary name and renamed,
// so two test files building the same month at once do not see half a file. A cold build of one month
// takes about 2 s for the parquet (read the source row groups, write) and 3 s more for the database (load,
// index); a warm one is a file copy (~50 MB a month with the indexes). Change what a builder writes?
// Bump CACHE_VERSION. Delete fixtures/build/judge/cache/delay-service-* to force a rebuild.
// Crafted parquet files (rows given as objects), reading one back, breaking a row group: see ./parquet.ts.
import { closeSync, copyFileSync, existsSync, openSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { judgeCacheDir, vegaDataPath } from '@kata/harness';
import { readFlightsParquet, writeFlightsParquet } from './parquet.js';

/** The months the learner's data holds (fixtures/build/flights-2001-0{1,2,3}.parquet). */
export const LEARNER_MONTHS = ['2001-01', '2001-02', '2001-03'] as const;
/** The months only the judge uses: never in the learner's folder. */
export const HIDDEN_MONTHS = ['2001-04', '2001-05', '2001-06'] as const;
/** Rows per row group in the month files (the learner's and the hidden ones alike). */
export const MONTH_ROW_GROUP = 50_000;

/** The schema every stage relies on (capstone.md); stage 1's learner code creates it, later judges use this. */
export const FLIGHTS_DDL = `
CREATE TABLE IF NOT EXISTS flights (
  id          INTEGER PRIMARY KEY,
  flight_date TEXT    NOT NULL,
  dep_minute  INTEGER NOT NULL,
  origin      TEXT    NOT NULL,
  destination TEXT    NOT NULL,
  distance    INTEGER NOT NULL,
  delay       INTEGER NOT NULL
);`;

/**
 * The indexes of a reference database (referenceDb): covering the route and airport lookups of stage 2
 * and the by-day scans of later stages. Stage 1's learner code is not asked to create them.
 */
export const FLIGHTS_INDEXES = `
CREATE INDEX IF NOT EXISTS flights_route ON flights (origin, destination, flight_date, delay);
CREATE INDEX IF NOT EXISTS flights_destination ON flights (destination, flight_date, delay);
CREATE INDEX IF NOT EXISTS flights_date ON flights (flight_date);`;

/** A flight as the source parquet gives it (hyparquet: a Date whose UTC fields are the local wall time, bigints). */
export interface SourceFlight {
  date: Date;
  delay: bigint;
  distance: bigint;
  origin: string;
  destination: string;
}

/** A row of `flights` without its id. */
export interface FlightRow {
  flight_date: string;
  dep_minute: number;
  origin: string;
  destination: string;
  distance: number;
  delay: number;
}

/** The reference conversion of a source flight into a `flights` row. */
export function toFlightRow(f: SourceFlight): FlightRow {
  return {
    flight_date: f.date.toISOString().slice(0, 10),
    dep_minute: f.date.getUTCHours() * 60 + f.date.getUTCMinutes(),
    origin: f.origin,
    destination: f.destination,
    distance: Number(f.distance),
    delay: Number(f.delay),
  };
}

const CACHE_VERSION = 3;
/**
 * The judge's cache folder (kept across runs; delete it to rebuild), named by CACHE_VERSION, the size of
 * flights-3m.parquet and the vega-datasets version (not the file's mtime: every install changes that).
 */
export function cacheDir(): string {
  const source = statSync(sourcePath());
  const { version } = JSON.parse(readFileSync(join(dirname(sourcePath()), '..', 'package.json'), 'utf8')) as { version: string };
  // The judge's own folder: the hidden months must not sit where learner code can read them (as /tmp).
  return judgeCacheDir(`delay-service-v${CACHE_VERSION}-${source.size}-${version}`);
}

export const sourcePath = () => vegaDataPath('flights-3m.parquet');

function checkMonth(month: string): void {
  if (!/^2001-0[1-6]$/.test(month)) throw new Error(`delay-service support: no month ${month} in flights-3m.parquet (2001-01 .. 2001-06)`);
}

/** Columns of a month, read from flights-3m.parquet (only the row groups whose date range meets the month). */
export async function readSourceMonth(month: string): Promise<SourceFlight[]> {
  checkMonth(month);
  const file = await asyncBufferFromFile(sourcePath());
  const metadata = await parquetMetadataAsync(file);
  const [year, mon] = month.split('-').map(Number);
  const from = Date.UTC(year, mon - 1, 1);
  const to = Date.UTC(year, mon, 1);
  const out: SourceFlight[] = [];
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    const rows = Number(group.num_rows);
    const stats = group.columns[0].meta_data?.statistics;
    const min = stats?.min_value instanceof Date ? stats.min_value.getTime() : -Infinity;
    const max = stats?.max_value instanceof Date ? stats.max_value.getTime() : Infinity;
    if (max >= from && min < to) {
      const columns: Record<string, unknown[][]> = {};
      const starts: Record<string, number[]> = {};
      await parquetRead({
        file,
        metadata,
        compressors,
        rowStart: groupStart,
        rowEnd: groupStart + rows,
        onChunk: (chunk) => {
          (columns[chunk.columnName] ??= []).push(Array.from(chunk.columnData as ArrayLike<unknown>));
          (starts[chunk.columnName] ??= []).push(chunk.rowStart);
        },
      });
      const column = (name: string): unknown[] => {
        const order = starts[name].map((start, i) => [start, i]).sort((a, b) => a[0] - b[0]);
        return order.flatMap(([, i]) => columns[name][i]);
      };
      const [date, delay, distance, origin, destination] = ['date', 'delay', 'distance', 'origin', 'destination'].map(column);
      for (let i = 0; i < date.length; i++) {
        const t = (date[i] as Date).getTime();
        if (t >= from && t < to) {
          out.push({ date: date[i] as Date, delay: delay[i] as bigint, distance: distance[i] as bigint, origin: origin[i] as string, destination: destination[i] as string });
        }
      }
    }
    groupStart += rows;
  }
  return out;
}

/**
 * Writes `build(tmp)` to `file` unless it exists, through a temporary name. One builder at a time: the
 * first caller takes `<file>.lock` (created exclusively), the others wait for the file (two test files
 * of a cold run would otherwise both spend seconds building the same month). A lock older than two
 * minutes is a builder that died: it is taken over.
 */
async function cached(file: string, build: (tmp: string) => Promise<void> | void): Promise<string> {
  const lock = `${file}.lock`;
  for (let waited = 0; !existsSync(file); ) {
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch {
      const age = (() => {
        try {
          return Date.now() - statSync(lock).mtimeMs;
        } catch {
          return 0;
        }
      })();
      if (age > 120_000 || waited > 180_000) rmSync(lock, { force: true });
      await new Promise((resolve) => setTimeout(resolve, 100));
      waited += 100;
      continue;
    }
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      if (!existsSync(file)) {
        await build(tmp);
        renameSync(tmp, file);
      }
    } finally {
      rmSync(tmp, { force: true });
      closeSync(fd);
      rmSync(lock, { force: true });
    }
  }
  return file;
}

/** The cached parquet file of a month (the learner's format); copied into `dir` when given. */
export async function monthParquet(month: string, dir?: string): Promise<string> {
  checkMonth(month);
  const file = await cached(join(cacheDir(), `flights-${month}.parquet`), async (tmp) => {
    writeFlightsParquet(tmp, await readSourceMonth(month), { rowGroupSize: MONTH_ROW_GROUP });
  });
  if (!dir) return file;
  const copy = join(dir, `flights-${month}.parquet`);
  copyFileSync(file, copy);
  return copy;
}

/** The reference rows of a month, in file order, as `flights` stores them. */
export async function monthFlights(month: string): Promise<FlightRow[]> {
  return (await readFlightsParquet(await monthParquet(month))).map((f) => toFlightRow(f as SourceFlight));
}

/** Inserts the reference rows of `months` (in order) into `db` (creating `flights` if needed); ids continue from the table's. */
export async function loadMonths(db: Database.Database, months: readonly string[]): Promise<number> {
  db.exec(FLIGHTS_DDL);
  const insert = db.prepare('INSERT INTO flights (flight_date, dep_minute, origin, destination, distance, delay) VALUES (?, ?, ?, ?, ?, ?)');
  let n = 0;
  for (const month of months) {
    const rows = await monthFlights(month);
    db.transaction(() => {
      for (const r of rows) insert.run(r.flight_date, r.dep_minute, r.origin, r.destination, r.distance, r.delay);
    })();
    n += rows.length;
  }
  return n;
}

/**
 * A SQLite file with `flights` holding `months` (ids 1.. in file order, months in the order given) and
 * the FLIGHTS_INDEXES, built once into the cache; a fresh writable copy in `dir` when given (always give one before writing to it).
 */
export async function referenceDb(months: readonly string[], dir?: string): Promise<string> {
  months.forEach(checkMonth);
  const name = `flights-${months.join('+')}.db`;
  const file = await cached(join(cacheDir(), name), async (tmp) => {
    const db = new Database(tmp);
    db.pragma('journal_mode = DELETE');
    db.pragma('synchronous = OFF');
    await loadMonths(db, months);
    db.exec(FLIGHTS_INDEXES);
    db.close();
  });
  if (!dir) return file;
  const copy = join(dir, name);
  copyFileSync(file, copy);
  return copy;
}
