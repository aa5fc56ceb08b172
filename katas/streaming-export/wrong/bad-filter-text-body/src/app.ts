// Export the flights table as NDJSON and CSV, streamed. See README.md for the contract.
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
  const fields = values.map((value) => {
    if (value === null || value === undefined) return '';
    const text = String(value);
    if (/[",\r\n]/.test(text)) return '"' + text.replace(/"/g, '""') + '"';
    return text;
  });
  return fields.join(',') + '\r\n';
}

interface Filters {
  sql: string;
  params: number[];
}

/** Builds the WHERE clause from min_delay / max_delay, or returns an error message. */
function parseFilters(query: Request['query']): Filters | string {
  const conditions: string[] = [];
  const params: number[] = [];
  const min = query.min_delay;
  if (min !== undefined) {
    if (typeof min !== 'string' || !/^-?\d+$/.test(min)) return 'min_delay must be an integer';
    conditions.push('delay >= ?');
    params.push(Number(min));
  }
  const max = query.max_delay;
  if (max !== undefined) {
    if (typeof max !== 'string' || !/^-?\d+$/.test(max)) return 'max_delay must be an integer';
    conditions.push('delay <= ?');
    params.push(Number(max));
  }
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  return { sql: `SELECT id, delay, distance, time FROM flights${where} ORDER BY id`, params };
}

/** Resolves when the response drains or closes, whichever happens first. */
function waitForDrain(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

async function streamExport(
  db: Database.Database,
  req: Request,
  res: Response,
  contentType: string,
  filename: string,
  header: string | null,
  toLine: (row: Flight) => string,
): Promise<void> {
  const filters = parseFilters(req.query);
  if (typeof filters === 'string') {
    res.status(400).send(filters);
    return;
  }
  const stmt = db.prepare(filters.sql);
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);

  let closed = false;
  res.on('close', () => {
    closed = true;
  });

  try {
    if (header !== null) res.write(header);
    for (const row of stmt.iterate(...filters.params) as IterableIterator<Flight>) {
      if (closed) break;
      if (!res.write(toLine(row))) await waitForDrain(res);
    }
    if (!closed) res.end();
  } catch (err) {
    res.destroy(err as Error);
  }
}

export function createApp(db: Database.Database): express.Express {
  const app = express();

  app.get('/export.ndjson', (req: Request, res: Response) =>
    streamExport(db, req, res, 'application/x-ndjson', 'flights.ndjson', null, (row) =>
      JSON.stringify({ id: row.id, delay: row.delay, distance: row.distance, time: row.time }) + '\n',
    ),
  );

  app.get('/export.csv', (req: Request, res: Response) =>
    streamExport(db, req, res, 'text/csv; charset=utf-8', 'flights.csv', csvLine(COLUMNS), (row) =>
      csvLine(COLUMNS.map((c) => row[c])),
    ),
  );

  return app;
}
