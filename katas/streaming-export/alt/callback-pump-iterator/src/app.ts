// Export the flights table as NDJSON and CSV, streamed.
// Style: no async/await and no node:stream helpers: an event-driven pump() drives the SQLite
// iterator by hand with next(), writes until res.write() says the buffer is full, re-arms itself on
// 'drain', and a 'close' listener calls iterator.return() when the client hangs up.
import express, { type NextFunction, type Request, type Response } from 'express';
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
  const fields: string[] = [];
  for (const value of values) {
    if (value == null) {
      fields.push('');
      continue;
    }
    const s = typeof value === 'number' ? String(value) : value;
    let quote = false;
    for (const ch of s) {
      if (ch === ',' || ch === '"' || ch === '\r' || ch === '\n') {
        quote = true;
        break;
      }
    }
    fields.push(quote ? `"${s.replaceAll('"', '""')}"` : s);
  }
  return fields.join(',') + '\r\n';
}

interface ExportRequest extends Request {
  delayRange?: { min: number; max: number };
}

const INTEGER = /^-?\d+$/;

/** Middleware: validates min_delay / max_delay before anything is written. */
function delayRange(req: ExportRequest, res: Response, next: NextFunction): void {
  const range = { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER };
  for (const key of ['min_delay', 'max_delay'] as const) {
    const raw = req.query[key];
    if (raw === undefined) continue;
    if (typeof raw !== 'string' || !INTEGER.test(raw)) {
      res.status(400).json({ error: `${key} must be an integer, e.g. ${key}=60` });
      return;
    }
    range[key === 'min_delay' ? 'min' : 'max'] = Number(raw);
  }
  req.delayRange = range;
  next();
}

function streamRows(res: Response, rows: Iterator<Flight>, toLine: (row: Flight) => string): void {
  let finished = false;
  const stop = () => {
    if (finished) return;
    finished = true;
    res.off('drain', pump);
    rows.return?.();
  };
  res.on('close', stop);

  function pump(): void {
    if (finished) return;
    try {
      for (;;) {
        if (res.destroyed) return stop();
        const next = rows.next();
        if (next.done) {
          finished = true;
          res.end();
          return;
        }
        if (!res.write(toLine(next.value))) {
          res.once('drain', pump);
          return;
        }
      }
    } catch (err) {
      stop();
      res.destroy(err as Error);
    }
  }
  pump();
}

export function createApp(db: Database.Database): express.Express {
  const app = express();
  const sql = 'SELECT id, delay, distance, time FROM flights WHERE delay BETWEEN ? AND ? ORDER BY id';

  app.get('/export.ndjson', delayRange, (req: ExportRequest, res: Response) => {
    const { min, max } = req.delayRange!;
    const rows = db.prepare(sql).iterate(min, max) as IterableIterator<Flight>;
    res.writeHead(200, {
      'Content-Type': 'application/x-ndjson',
      'Content-Disposition': 'attachment; filename="flights.ndjson"',
    });
    streamRows(res, rows, (r) => JSON.stringify({ id: r.id, delay: r.delay, distance: r.distance, time: r.time }) + '\n');
  });

  app.get('/export.csv', delayRange, (req: ExportRequest, res: Response) => {
    const { min, max } = req.delayRange!;
    const rows = db.prepare(sql).iterate(min, max) as IterableIterator<Flight>;
    res.writeHead(200, {
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': 'attachment; filename="flights.csv"',
    });
    res.write(csvLine(COLUMNS));
    streamRows(res, rows, (r) => csvLine(COLUMNS.map((c) => r[c])));
  });

  return app;
}
