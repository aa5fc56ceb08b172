// Stage 1 (ingest): load one parquet export into the typed `flights` table (stages/1-ingest.md).
// Style: each row group goes raw into a TEMP staging table; the checks, the watermark and the loading are SQL.
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
);
CREATE TEMP TABLE IF NOT EXISTS ingest_stage (
  row_index   INTEGER PRIMARY KEY,
  day         TEXT,
  ms          INTEGER,
  delay       INTEGER,
  distance    INTEGER,
  origin      TEXT,
  destination TEXT,
  reason      TEXT
);
DELETE FROM temp.ingest_stage;`;

const SAFE = '9007199254740991';

const CLASSIFY = `
UPDATE temp.ingest_stage SET reason = CASE
  WHEN day IS NULL THEN 'missing:date'
  WHEN ms % 60000 <> 0 THEN 'invalid:date'
  WHEN delay IS NULL THEN 'missing:delay'
  WHEN typeof(delay) <> 'integer' OR delay NOT BETWEEN -${SAFE} AND ${SAFE} THEN 'invalid:delay'
  WHEN distance IS NULL THEN 'missing:distance'
  WHEN typeof(distance) <> 'integer' OR distance NOT BETWEEN 1 AND ${SAFE} THEN 'invalid:distance'
  WHEN origin IS NULL THEN 'missing:origin'
  WHEN typeof(origin) <> 'text' OR NOT (origin GLOB '[A-Z][A-Z][A-Z]') THEN 'invalid:origin'
  WHEN destination IS NULL THEN 'missing:destination'
  WHEN typeof(destination) <> 'text' OR NOT (destination GLOB '[A-Z][A-Z][A-Z]') THEN 'invalid:destination'
  WHEN origin = destination THEN 'invalid:route'
END`;

/** Rows the watermark leaves alone: a day on or before it. */
const OPEN = `(day IS NULL OR @watermark IS NULL OR day > @watermark)`;

function value(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}

/** Loads the parquet file `file` into `db` (creating the tables if they are missing). */
export async function ingest(db: Database.Database, file: string): Promise<IngestReport> {
  const name = basename(file);
  const buffer = await asyncBufferFromFile(file);
  db.exec('BEGIN');
  try {
    db.exec(SCHEMA);
    const metadata = await parquetMetadataAsync(buffer);
    const { watermark } = db.prepare('SELECT max(last_day) AS watermark FROM watermark').get() as { watermark: string | null };
    const stage = db.prepare(
      'INSERT INTO temp.ingest_stage (row_index, day, ms, delay, distance, origin, destination) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const classify = db.prepare(CLASSIFY);
    const load = db.prepare(`
      INSERT INTO flights (flight_date, dep_minute, origin, destination, distance, delay)
      SELECT day, ((ms % 86400000) + 86400000) % 86400000 / 60000, origin, destination, distance, delay
      FROM temp.ingest_stage WHERE reason IS NULL AND ${OPEN} ORDER BY row_index`);
    const quarantine = db.prepare(`
      INSERT OR IGNORE INTO quarantine (file, row_index, flight_date, reason)
      SELECT @file, row_index, day, reason FROM temp.ingest_stage WHERE reason IS NOT NULL AND ${OPEN} ORDER BY row_index`);
    const newestOfGroup = db.prepare(`SELECT max(day) AS day FROM temp.ingest_stage WHERE ${OPEN}`);
    const clear = db.prepare('DELETE FROM temp.ingest_stage');

    const rows = Number(metadata.num_rows);
    let loaded = 0;
    let quarantined = 0;
    let newest: string | null = null;
    let start = 0;
    for (const group of metadata.row_groups) {
      const end = start + Number(group.num_rows);
      const objects = await parquetReadObjects({ file: buffer, metadata, compressors, rowStart: start, rowEnd: end });
      for (let i = 0; i < objects.length; i++) {
        const r = objects[i] as Record<string, unknown>;
        const date = r.date as Date | null | undefined;
        const ms = date == null ? null : date.getTime();
        const ok = ms !== null && Number.isFinite(ms);
        stage.run(start + i, ok ? date!.toISOString().slice(0, 10) : null, ok ? ms : null,
          value(r.delay), value(r.distance), value(r.origin), value(r.destination));
      }
      classify.run();
      loaded += load.run({ watermark }).changes;
      quarantined += quarantine.run({ watermark, file: name }).changes;
      const { day } = newestOfGroup.get({ watermark }) as { day: string | null };
      if (day !== null && (newest === null || day > newest)) newest = day;
      clear.run();
      start = end;
    }
    if (newest !== null) {
      db.exec('DELETE FROM watermark');
      db.prepare('INSERT INTO watermark (last_day) VALUES (?)').run(newest);
    }
    db.exec('DROP TABLE temp.ingest_stage');
    db.exec('COMMIT');
    return { rows, loaded, quarantined, skipped: rows - loaded - quarantined, watermark: newest ?? watermark };
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
}
