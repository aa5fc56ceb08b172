// Export the flights table as NDJSON and CSV, streamed.
// Style: an async for...of loop over stmt.iterate() that res.write()s each line and, when write()
// returns false, awaits a promise settled by 'drain' or by 'close' (the client hanging up).
import express, { type Request, type Response } from 'express';
import type Database from 'better-sqlite3';

export interface Flight {
  id: number;
  delay: number;
  distance: number;
  time: number;
}

export const COLUMNS = ['id', 'delay', 'distance', 'time'] as const;

function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? String(value) : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV record, CRLF-terminated. */
export function csvLine(values: readonly (string | number | null | undefined)[]): string {
  return values.map(csvField).join(',') + '\r\n';
}

type Filters = { min: number | null; max: number | null };

/** Reads min_delay / max_delay; returns an error message for a bad one. */
function readFilters(query: Request['query']): Filters | string {
  const out: Filters = { min: null, max: null };
  for (const [name, slot] of [['min_delay', 'min'], ['max_delay', 'max']] as const) {
    const raw = query[name];
    if (raw === undefined) continue;
    if (typeof raw !== 'string' || !/^-?\d+$/.test(raw)) return `${name} must be an integer`;
    out[slot] = Number(raw);
  }
  return out;
}

/** Resolves on 'drain', or with false when the response closes first. */
function drainOrClose(res: Response): Promise<boolean> {
  return new Promise((resolve) => {
    const onDrain = () => finish(true);
    const onClose = () => finish(false);
    function finish(ok: boolean) {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    }
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

export function createApp(db: Database.Database): express.Express {
  const app = express();

  function exportRoute(
    contentType: string,
    filename: string,
    header: string,
    line: (row: Flight) => string,
  ) {
    return async (req: Request, res: Response) => {
      const filters = readFilters(req.query);
      if (typeof filters === 'string') {
        res.status(400).json({ error: filters });
        return;
      }
      // A fresh statement per request: two downloads never share an iterator.
      const stmt = db.prepare(
        'SELECT id, delay, distance, time FROM flights WHERE (@min IS NULL OR delay >= @min) AND (@max IS NULL OR delay <= @max) ORDER BY id',
      );
      res.status(200);
      res.setHeader('Content-Type', contentType);
      res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);

      let gone = false;
      res.once('close', () => {
        gone = true;
      });

      try {
        if (header && !res.write(header) && !(await drainOrClose(res))) return;
        for (const row of stmt.iterate(filters) as IterableIterator<Flight>) {
          if (gone || res.destroyed) break; // leaving the loop closes the iterator
          if (!res.write(line(row))) {
            if (!(await drainOrClose(res))) break;
          }
        }
        if (!gone && !res.destroyed) res.end();
      } catch (err) {
        res.destroy(err as Error);
      }
    };
  }

  app.get(
    '/export.ndjson',
    exportRoute('application/x-ndjson', 'flights.ndjson', '', (row) =>
      JSON.stringify({ id: row.id, delay: row.delay, distance: row.distance, time: row.time }) + '\n',
    ),
  );
  app.get(
    '/export.csv',
    exportRoute('text/csv; charset=utf-8', 'flights.csv', csvLine(COLUMNS), (row) =>
      csvLine(COLUMNS.map((c) => row[c])),
    ),
  );

  return app;
}
