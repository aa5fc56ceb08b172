// Streaming export of the flights table as NDJSON and CSV.
//
// Rows come from `stmt.iterate()`, one at a time, and go out through `pipeline(Readable.from(...), res)`:
// the stream pulls the next chunk only when the socket has room (backpressure), and when the client
// goes away pipeline destroys the source, which returns the generator, which closes the SQLite
// iterator. Memory stays bounded whatever the size of the result.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import express, { type Request, type Response } from 'express';
import type Database from 'better-sqlite3';

export interface Flight {
  id: number;
  delay: number;
  distance: number;
  time: number;
}

export const COLUMNS = ['id', 'delay', 'distance', 'time'] as const;

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break; quotes doubled. */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV record, CRLF-terminated. */
export function csvLine(values: readonly (string | number | null | undefined)[]): string {
  return values.map(csvField).join(',') + '\r\n';
}

class BadRequest extends Error {}

interface Filters {
  min_delay: number | null;
  max_delay: number | null;
}

function parseFilters(query: Request['query']): Filters {
  const filters: Filters = { min_delay: null, max_delay: null };
  for (const name of ['min_delay', 'max_delay'] as const) {
    const raw = query[name];
    if (raw === undefined) continue;
    if (typeof raw !== 'string' || !/^-?\d+$/.test(raw)) {
      throw new BadRequest(`${name} must be an integer, got ${JSON.stringify(raw)}`);
    }
    filters[name] = Number(raw);
  }
  return filters;
}

/** Groups lines into chunks of about 16 KiB: fewer, larger writes, and the same backpressure. */
function* chunks(rows: Iterable<Flight>, format: (row: Flight) => string, header = ''): Generator<string> {
  let chunk = header;
  for (const row of rows) {
    chunk += format(row);
    if (chunk.length >= 16_384) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

const formats = {
  ndjson: {
    contentType: 'application/x-ndjson',
    header: '',
    line: (row: Flight) => JSON.stringify(row) + '\n',
  },
  csv: {
    contentType: 'text/csv; charset=utf-8',
    header: csvLine(COLUMNS),
    line: (row: Flight) => csvLine(COLUMNS.map((column) => row[column])),
  },
};

export function createApp(db: Database.Database): express.Express {
  const sql = `
    SELECT id, delay, distance, time FROM flights
    WHERE (@min_delay IS NULL OR delay >= @min_delay)
      AND (@max_delay IS NULL OR delay <= @max_delay)
    ORDER BY id`;

  const app = express();

  for (const [extension, format] of Object.entries(formats)) {
    app.get(`/export.${extension}`, async (req: Request, res: Response) => {
      let filters: Filters;
      try {
        filters = parseFilters(req.query);
      } catch (error) {
        if (!(error instanceof BadRequest)) throw error;
        res.status(400).json({ error: error.message });
        return;
      }
      // A statement can run one iteration at a time: prepare one per export, so that two downloads
      // at once do not collide.
      const rows = db.prepare(sql).iterate(filters) as IterableIterator<Flight>;
      res.status(200);
      res.setHeader('Content-Type', format.contentType);
      try {
        await pipeline(Readable.from(chunks(rows, format.line, format.header)), res);
      } catch {
        // The client went away (or the socket failed): pipeline has already destroyed the source,
        // so the generator returned and closed the SQLite iterator. Nothing is left to answer.
      } finally {
        rows.return?.();
      }
    });
  }

  return app;
}
