// Stage 1 (ingest): load one parquet export into the typed `flights` table (stages/1-ingest.md).
// Style: rows as arrays in a fixed column order, a table of rules, each row group classified first and
// then written with multi-row INSERTs, all inside one SAVEPOINT.
import { basename } from 'node:path';
import type Database from 'better-sqlite3';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead } from 'hyparquet';
import type { FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

export interface IngestReport {
  /** Rows in the file. */
  rows: number;
  /** Rows inserted into flights by this call. */
  loaded: number;
  /** Rows put into quarantine by this call. */
  quarantined: number;
  /** Rows this call left alone: of a day on or before the watermark, or already in quarantine. */
  skipped: number;
  /** The watermark after the call: the newest day loaded so far, or null when there is none. */
  watermark: string | null;
}

const COLUMNS = ['date', 'delay', 'distance', 'origin', 'destination'] as const;
type Raw = [unknown, unknown, unknown, unknown, unknown];
const [DATE, DELAY, DISTANCE, ORIGIN, DESTINATION] = [0, 1, 2, 3, 4] as const;

const isNull = (v: unknown) => v === null || v === undefined;
const LIMIT = BigInt(Number.MAX_SAFE_INTEGER);
const toBig = (v: unknown): bigint | null =>
  typeof v === 'bigint' ? v : typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : null;
const safe = (v: unknown, min: bigint) => {
  const b = toBig(v);
  return b !== null && b >= min && b <= LIMIT;
};
const airport = (v: unknown) => typeof v === 'string' && /^[A-Z]{3}$/.test(v);
const wholeMinute = (v: unknown) => {
  const t = (v as Date)?.getTime?.();
  return typeof t === 'number' && Number.isFinite(t) && t % 60_000 === 0;
};

/** The checks in the brief's order: the first that matches names the row's reason. */
const RULES: ReadonlyArray<readonly [string, (r: Raw) => boolean]> = [
  ['missing:date', (r) => isNull(r[DATE])],
  ['invalid:date', (r) => !wholeMinute(r[DATE])],
  ['missing:delay', (r) => isNull(r[DELAY])],
  ['invalid:delay', (r) => !safe(r[DELAY], -LIMIT)],
  ['missing:distance', (r) => isNull(r[DISTANCE])],
  ['invalid:distance', (r) => !safe(r[DISTANCE], 1n)],
  ['missing:origin', (r) => isNull(r[ORIGIN])],
  ['invalid:origin', (r) => !airport(r[ORIGIN])],
  ['missing:destination', (r) => isNull(r[DESTINATION])],
  ['invalid:destination', (r) => !airport(r[DESTINATION])],
  ['invalid:route', (r) => r[ORIGIN] === r[DESTINATION]],
];

function dayOf(v: unknown): string | null {
  const t = (v as Date | null)?.getTime?.();
  return typeof t === 'number' && Number.isFinite(t) ? (v as Date).toISOString().slice(0, 10) : null;
}

function readGroup(file: Awaited<ReturnType<typeof asyncBufferFromFile>>, metadata: FileMetaData, rowStart: number, rowEnd: number): Promise<Raw[]> {
  return new Promise((resolve, reject) => {
    parquetRead({ file, metadata, compressors, columns: [...COLUMNS], rowStart, rowEnd, onComplete: (rows) => resolve(rows as Raw[]) }).catch(reject);
  });
}

/** Writes `rows` (arrays of `width` values) with INSERTs of up to 100 rows each; returns the rows changed. */
function insertMany(db: Database.Database, head: string, width: number, rows: unknown[][]): number {
  let changed = 0;
  const tuple = `(${Array(width).fill('?').join(', ')})`;
  for (let i = 0; i < rows.length; i += 100) {
    const chunk = rows.slice(i, i + 100);
    changed += db.prepare(`${head} VALUES ${Array(chunk.length).fill(tuple).join(', ')}`).run(chunk.flat()).changes;
  }
  return changed;
}

/** Loads the parquet file `file` into `db` (creating the tables if they are missing). */
export async function ingest(db: Database.Database, file: string): Promise<IngestReport> {
  const name = basename(file);
  const buffer = await asyncBufferFromFile(file);
  db.exec('SAVEPOINT ingest');
  try {
    db.exec(`
      CREATE TABLE IF NOT EXISTS flights (
        id INTEGER PRIMARY KEY, flight_date TEXT NOT NULL, dep_minute INTEGER NOT NULL, origin TEXT NOT NULL,
        destination TEXT NOT NULL, distance INTEGER NOT NULL, delay INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS quarantine (
        file TEXT NOT NULL, row_index INTEGER NOT NULL, flight_date TEXT, reason TEXT NOT NULL,
        PRIMARY KEY (file, row_index));
      CREATE TABLE IF NOT EXISTS watermark (last_day TEXT NOT NULL);`);
    const metadata = await parquetMetadataAsync(buffer);
    const watermark = (db.prepare('SELECT last_day FROM watermark ORDER BY last_day DESC LIMIT 1').pluck().get() as string | undefined) ?? null;
    const rows = Number(metadata.num_rows);
    let loaded = 0;
    let quarantined = 0;
    let newest = watermark;

    let start = 0;
    for (const { num_rows } of metadata.row_groups) {
      const end = start + Number(num_rows);
      const good: unknown[][] = [];
      const bad: unknown[][] = [];
      (await readGroup(buffer, metadata, start, end)).forEach((raw, i) => {
        const day = dayOf(raw[DATE]);
        if (day !== null && watermark !== null && day <= watermark) return; // closed day: skipped
        if (day !== null && (newest === null || day > newest)) newest = day;
        const reason = RULES.find(([, fails]) => fails(raw))?.[0];
        if (reason) {
          bad.push([name, start + i, day, reason]);
        } else {
          const t = (raw[DATE] as Date).getTime();
          const minute = Math.floor((((t % 86_400_000) + 86_400_000) % 86_400_000) / 60_000);
          good.push([day, minute, raw[ORIGIN], raw[DESTINATION], Number(raw[DISTANCE]), Number(raw[DELAY])]);
        }
      });
      loaded += insertMany(db, 'INSERT INTO flights (flight_date, dep_minute, origin, destination, distance, delay)', 6, good);
      // a (file, row_index) already in quarantine is left alone: INSERT OR IGNORE does not count it
      quarantined += insertMany(db, 'INSERT OR IGNORE INTO quarantine (file, row_index, flight_date, reason)', 4, bad);
      start = end;
    }
    if (newest !== watermark) {
      db.prepare('DELETE FROM watermark').run();
      db.prepare('INSERT INTO watermark (last_day) VALUES (?)').run(newest);
    }
    db.exec('RELEASE ingest');
    return { rows, loaded, quarantined, skipped: rows - loaded - quarantined, watermark: newest };
  } catch (err) {
    db.exec('ROLLBACK TO ingest');
    db.exec('RELEASE ingest');
    throw err;
  }
}
