// Export the flights table as NDJSON and CSV. See README.md for the contract.
//
// This is the version that works on a laptop and falls over in production: it reads all 200,000 rows
// into memory, builds one giant string, and only then sends the first byte. A client that hangs up
// halfway changes nothing — the work is already done. Make it stream.
import express, { type Request, type Response } from 'express';
import type Database from 'better-sqlite3';

export interface Flight {
  id: number;
  delay: number;
  distance: number;
  time: number;
}

export const COLUMNS = ['id', 'delay', 'distance', 'time'] as const;

/** One CSV record, CRLF-terminated. */
export function csvLine(values: readonly (string | number | null | undefined)[]): string {
  // TODO 1: RFC 4180 quoting — a field holding a comma, a double quote, \r or \n is wrapped in double
  //         quotes, with each inner double quote doubled; null and undefined are empty fields.
  return values.join(',') + '\r\n';
}

export function createApp(db: Database.Database): express.Express {
  const app = express();

  // TODO 2: optional integer filters min_delay and max_delay (inclusive); anything else → 400 { error },
  //         answered before a single byte of the export is sent.
  // TODO 3: stream: read rows one at a time (stmt.iterate()) and res.write() them as you go.
  // TODO 4: backpressure: when res.write() returns false, wait for 'drain' before reading more rows.
  // TODO 5: when the client hangs up ('close' before the end), stop iterating and close the iterator.
  //         (node:stream's pipeline(Readable.from(generator), res) does 3-5 for you.)

  app.get('/export.ndjson', (_req: Request, res: Response) => {
    const rows = db.prepare('SELECT id, delay, distance, time FROM flights ORDER BY id').all() as Flight[];
    res.setHeader('Content-Type', 'application/x-ndjson');
    res.setHeader('Content-Disposition', 'attachment; filename="flights.ndjson"');
    res.send(rows.map((row) => JSON.stringify(row) + '\n').join(''));
  });

  app.get('/export.csv', (_req: Request, res: Response) => {
    const rows = db.prepare('SELECT id, delay, distance, time FROM flights ORDER BY id').all() as Flight[];
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', 'attachment; filename="flights.csv"');
    res.send(csvLine(COLUMNS) + rows.map((row) => csvLine(COLUMNS.map((c) => row[c]))).join(''));
  });

  return app;
}
