// Judge-side support: writes and reads parquet files of the flights schema (the schema of
// flights-3m.parquet: date TIMESTAMP(MICROS, not UTC-adjusted), delay INT64, distance INT64, origin and
// destination UTF8 strings, every column OPTIONAL), with hyparquet-writer (pure JS, SNAPPY, min/max
// statistics on date only).
//
//   import { writeFlightsParquet, readFlightsParquet } from '../support/parquet.js';
//   writeFlightsParquet(join(host.tempDir, 'crafted.parquet'), [
//     { date: '2001-04-02 06:55', delay: -3, distance: 1797, origin: 'LAX', destination: 'BNA' },
//     { date: '2001-04-02 07:10', delay: null, distance: 300, origin: 'ATL', destination: 'SAV' },  // a null
//     { date: null, delay: 5, distance: 0, origin: 'lax', destination: 'BNA' },
//   ], { rowGroupSize: 2 });
//
// A row's `date` is a 'YYYY-MM-DD HH:MM' (or 'YYYY-MM-DD HH:MM:SS') string of the local wall time, a Date
// whose UTC fields are that wall time (as hyparquet reads it back), or null. delay and distance are
// numbers or bigints (written as INT64), or null. A key left out is null.
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { parquetWriteFile } from 'hyparquet-writer';

export interface CraftedRow {
  date?: string | Date | null;
  delay?: number | bigint | null;
  distance?: number | bigint | null;
  origin?: string | null;
  destination?: string | null;
}

/** The parquet schema of flights-3m.parquet. */
export const FLIGHTS_PARQUET_SCHEMA = [
  { name: 'root', num_children: 5 },
  { name: 'date', type: 'INT64', repetition_type: 'OPTIONAL', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' } },
  { name: 'delay', type: 'INT64', repetition_type: 'OPTIONAL' },
  { name: 'distance', type: 'INT64', repetition_type: 'OPTIONAL' },
  { name: 'origin', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL', converted_type: 'UTF8', logical_type: { type: 'STRING' } },
  { name: 'destination', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL', converted_type: 'UTF8', logical_type: { type: 'STRING' } },
];

/** '2001-04-02 06:55' → a Date whose UTC fields are that wall time. */
export function wallTime(text: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (!m) throw new Error(`delay-service support: a date should look like 'YYYY-MM-DD HH:MM', got ${JSON.stringify(text)}`);
  const [, y, mo, d, h, mi, s] = m.map(Number);
  return new Date(Date.UTC(y, mo - 1, d, h, mi, Number.isNaN(s) ? 0 : s));
}

const toDate = (v: CraftedRow['date']) => (v === undefined || v === null ? null : v instanceof Date ? v : wallTime(v));
const toInt = (v: number | bigint | null | undefined) => (v === undefined || v === null ? null : BigInt(v));

/** Writes `rows` to `file` as a parquet file of the flights schema; returns `file`. */
export function writeFlightsParquet(file: string, rows: readonly CraftedRow[], options: { rowGroupSize?: number } = {}): string {
  parquetWriteFile({
    filename: file,
    schema: FLIGHTS_PARQUET_SCHEMA as never,
    columnData: [
      // min/max statistics on date only, as in the learner's files (fixtures/pipelines/delay-service.ts)
      { name: 'date', data: rows.map((r) => toDate(r.date)), statistics: true },
      { name: 'delay', data: rows.map((r) => toInt(r.delay)), statistics: false },
      { name: 'distance', data: rows.map((r) => toInt(r.distance)), statistics: false },
      { name: 'origin', data: rows.map((r) => r.origin ?? null), statistics: false },
      { name: 'destination', data: rows.map((r) => r.destination ?? null), statistics: false },
    ],
    rowGroupSize: options.rowGroupSize ?? 50_000,
  });
  return file;
}

/** A parquet row as hyparquet gives it. */
export interface ParquetFlight {
  date: Date | null;
  delay: bigint | null;
  distance: bigint | null;
  origin: string | null;
  destination: string | null;
}

/**
 * Every row of a flights parquet file, in file order (column-wise read, one row group at a time); with
 * `maxRows`, only the row groups needed for the first `maxRows` rows (whole groups: maybe a few more rows).
 */
export async function readFlightsParquet(file: string, options: { maxRows?: number } = {}): Promise<ParquetFlight[]> {
  const buffer = await asyncBufferFromFile(file);
  const metadata = await parquetMetadataAsync(buffer);
  const out: ParquetFlight[] = [];
  let groupStart = 0;
  for (const group of metadata.row_groups) {
    if (options.maxRows !== undefined && groupStart >= options.maxRows) break;
    const rows = Number(group.num_rows);
    const columns: Record<string, { start: number; data: unknown[] }[]> = {};
    await parquetRead({
      file: buffer,
      metadata,
      compressors,
      rowStart: groupStart,
      rowEnd: groupStart + rows,
      onChunk: (chunk) => {
        (columns[chunk.columnName] ??= []).push({ start: chunk.rowStart, data: Array.from(chunk.columnData as ArrayLike<unknown>) });
      },
    });
    const column = (name: string) => (columns[name] ?? []).sort((a, b) => a.start - b.start).flatMap((c) => c.data);
    const [date, delay, distance, origin, destination] = ['date', 'delay', 'distance', 'origin', 'destination'].map(column);
    for (let i = 0; i < rows; i++) {
      out.push({
        date: (date[i] ?? null) as Date | null,
        delay: (delay[i] ?? null) as bigint | null,
        distance: (distance[i] ?? null) as bigint | null,
        origin: (origin[i] ?? null) as string | null,
        destination: (destination[i] ?? null) as string | null,
      });
    }
    groupStart += rows;
  }
  return out;
}

/**
 * Damages row group `index` of a parquet file in place (its first column's page header is overwritten),
 * so that reading that row group throws while the footer and every other row group still read fine: a
 * file that breaks half-way through a streaming read.
 */
export async function corruptRowGroup(file: string, index: number): Promise<void> {
  const { readFileSync, writeFileSync } = await import('node:fs');
  const metadata = await parquetMetadataAsync(await asyncBufferFromFile(file));
  const group = metadata.row_groups[index];
  if (!group) throw new Error(`delay-service support: ${file} has no row group ${index} (it has ${metadata.row_groups.length})`);
  const offset = Number(group.columns[0].meta_data!.data_page_offset);
  const bytes = readFileSync(file);
  bytes.fill(0xff, offset, offset + 8);
  writeFileSync(file, bytes);
}
