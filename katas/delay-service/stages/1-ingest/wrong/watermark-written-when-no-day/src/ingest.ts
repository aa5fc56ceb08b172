// Stage 1 (ingest): one parquet export into the typed `flights` table, incrementally and idempotently.
// Reads one row group at a time (memory stays bounded), checks each row, loads it or quarantines it with
// the reason of its first failing check, and moves the watermark to the newest day it saw: all in one
// transaction, so a failure half-way leaves the database as it was.
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
  /** Rows of days on or before the watermark, and rows already in quarantine. */
  skipped: number;
  /** The watermark after the call: the newest day loaded so far, or null. */
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
);
`;

interface ParquetRow {
  date: Date | null;
  delay: bigint | number | null;
  distance: bigint | number | null;
  origin: string | null;
  destination: string | null;
}

const MAX = BigInt(Number.MAX_SAFE_INTEGER);
const safeInteger = (v: bigint | number) => (typeof v === 'bigint' ? v >= -MAX && v <= MAX : Number.isSafeInteger(v));
const CODE = /^[A-Z]{3}$/;

/** The reason of the first failing check, or null for a good row. */
export function reasonFor(row: ParquetRow): string | null {
  if (row.date == null) return 'missing:date';
  if (!(row.date.getTime() % 60_000 === 0)) return 'invalid:date';
  if (row.delay == null) return 'missing:delay';
  if (!safeInteger(row.delay)) return 'invalid:delay';
  if (row.distance == null) return 'missing:distance';
  if (!safeInteger(row.distance) || row.distance <= 0) return 'invalid:distance';
  for (const field of ['origin', 'destination'] as const) {
    const code = row[field];
    if (code == null) return `missing:${field}`;
    if (typeof code !== 'string' || !CODE.test(code)) return `invalid:${field}`;
  }
  if (row.origin === row.destination) return 'invalid:route';
  return null;
}

export async function ingest(db: Database.Database, file: string): Promise<IngestReport> {
  const name = basename(file);
  const buffer = await asyncBufferFromFile(file);
  const metadata = await parquetMetadataAsync(buffer);

  // The tables are created inside the transaction: a call that fails on a fresh database leaves none.
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(SCHEMA);
    const insertFlight = db.prepare(
      'INSERT INTO flights (flight_date, dep_minute, origin, destination, distance, delay) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const insertBad = db.prepare(
      'INSERT INTO quarantine (file, row_index, flight_date, reason) VALUES (?, ?, ?, ?) ON CONFLICT (file, row_index) DO NOTHING',
    );
    const report = { rows: 0, loaded: 0, quarantined: 0, skipped: 0 };
    const previous = (db.prepare('SELECT max(last_day) AS day FROM watermark').get() as { day: string | null }).day;
    let newest = previous;
    const loadGroup = (rows: ParquetRow[], groupStart: number) => {
      rows.forEach((row, i) => {
        report.rows++;
        const day = row.date == null ? null : row.date.toISOString().slice(0, 10);
        if (day !== null && previous !== null && day <= previous) {
          report.skipped++;
          return;
        }
        if (day !== null && (newest === null || day > newest)) newest = day;
        const reason = reasonFor(row);
        if (reason) {
          if (insertBad.run(name, groupStart + i, day, reason).changes) report.quarantined++;
          else report.skipped++;
          return;
        }
        const date = row.date!;
        insertFlight.run(day, date.getUTCHours() * 60 + date.getUTCMinutes(), row.origin, row.destination, Number(row.distance), Number(row.delay));
        report.loaded++;
      });
    };
    let groupStart = 0;
    for (const group of metadata.row_groups) {
      const size = Number(group.num_rows);
      const rows = (await parquetReadObjects({ file: buffer, metadata, compressors, rowStart: groupStart, rowEnd: groupStart + size })) as ParquetRow[];
      loadGroup(rows, groupStart);
      groupStart += size;
    }
    db.prepare('DELETE FROM watermark').run();
    db.prepare('INSERT INTO watermark (last_day) VALUES (?)').run(newest);
    db.exec('COMMIT');
    return { ...report, watermark: newest };
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
