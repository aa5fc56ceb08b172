// Stage 1 (ingest): load one parquet export into the typed `flights` table (stages/1-ingest.md).
import type Database from 'better-sqlite3';

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

/** Loads the parquet file `file` into `db` (creating the tables if they are missing). */
export async function ingest(db: Database.Database, file: string): Promise<IngestReport> {
  throw new Error('not implemented: ingest(db, file)');
}
