// Stage 1 (ingest): load one parquet export into the typed `flights` table (stages/1-ingest.md).
import { basename } from 'node:path';
import type Database from 'better-sqlite3';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
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

const SCHEMA = `
CREATE TABLE IF NOT EXISTS flights (
  id          INTEGER PRIMARY KEY,
  flight_date TEXT    NOT NULL,
  dep_minute  INTEGER NOT NULL,
  origin      TEXT    NOT NULL,
  destination TEXT    NOT NULL,
  distance    INTEGER NOT NULL,
  delay       INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS quarantine (
  file        TEXT    NOT NULL,
  row_index   INTEGER NOT NULL,
  flight_date TEXT,
  reason      TEXT    NOT NULL,
  PRIMARY KEY (file, row_index)
);
CREATE TABLE IF NOT EXISTS watermark (
  last_day TEXT NOT NULL
);`;

const AIRPORT = /^[A-Z]{3}$/;
const MAX = BigInt(Number.MAX_SAFE_INTEGER);

function isDate(v: unknown): v is Date {
  return typeof v === 'object' && v !== null && typeof (v as Date).getTime === 'function' && !Number.isNaN((v as Date).getTime());
}

function safeInteger(v: unknown): boolean {
  if (typeof v === 'bigint') return v >= -MAX && v <= MAX;
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** The reason of the first check the row fails, or null when it is good. */
function check(row: Record<string, unknown>): string | null {
  const date = row.date;
  if (date === null || date === undefined) return 'missing:date';
  if (!isDate(date) || date.getUTCSeconds() !== 0 || date.getUTCMilliseconds() !== 0) return 'invalid:date';
  if (row.delay === null || row.delay === undefined) return 'missing:delay';
  if (!safeInteger(row.delay)) return 'invalid:delay';
  if (row.distance === null || row.distance === undefined) return 'missing:distance';
  if (!safeInteger(row.distance) || Number(row.distance) <= 0) return 'invalid:distance';
  for (const col of ['origin', 'destination']) {
    const v = row[col];
    if (v === null || v === undefined) return `missing:${col}`;
    if (typeof v !== 'string' || !AIRPORT.test(v)) return `invalid:${col}`;
  }
  if (row.origin === row.destination) return 'invalid:route';
  return null;
}

/** Loads the parquet file `file` into `db` (creating the tables if they are missing). */
export async function ingest(db: Database.Database, file: string): Promise<IngestReport> {
  const name = basename(file);
  const buffer = await asyncBufferFromFile(file);
  db.exec('BEGIN');
  try {
    db.exec(SCHEMA);
    const metadata = await parquetMetadataAsync(buffer);
    const before = (db.prepare('SELECT max(last_day) AS d FROM watermark').get() as { d: string | null }).d;
    const insertFlight = db.prepare(
      'INSERT INTO flights (flight_date, dep_minute, origin, destination, distance, delay) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const insertBad = db.prepare('INSERT OR IGNORE INTO quarantine (file, row_index, flight_date, reason) VALUES (?, ?, ?, ?)');
    const report: IngestReport = { rows: Number(metadata.num_rows), loaded: 0, quarantined: 0, skipped: 0, watermark: before };
    let newest: string | null = null;
    let start = 0;
    for (const group of metadata.row_groups) {
      const end = start + Number(group.num_rows);
      const rows = (await parquetReadObjects({ file: buffer, metadata, compressors, rowStart: start, rowEnd: end })) as Record<string, unknown>[];
      rows.forEach((row, i) => {
        const index = start + i;
        const date = isDate(row.date) ? row.date : null;
        const day = date ? date.toISOString().slice(0, 10) : null;
        if (before !== null && (day === null || day <= before)) {
          report.skipped++;
          return;
        }
        if (day !== null && (newest === null || day > newest)) newest = day;
        const reason = check(row);
        if (reason === null) {
          insertFlight.run(day, date!.getUTCHours() * 60 + date!.getUTCMinutes(), row.origin, row.destination, Number(row.distance), Number(row.delay));
          report.loaded++;
        } else if (insertBad.run(name, index, day, reason).changes > 0) {
          report.quarantined++;
        } else {
          report.skipped++;
        }
      });
      start = end;
    }
    if (newest !== null) {
      db.prepare('DELETE FROM watermark').run();
      db.prepare('INSERT INTO watermark (last_day) VALUES (?)').run(newest);
      report.watermark = newest;
    }
    db.exec('COMMIT');
    return report;
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
}
