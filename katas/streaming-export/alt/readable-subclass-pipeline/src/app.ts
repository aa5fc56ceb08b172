// Export the flights table as NDJSON and CSV, streamed.
// Style: a Readable subclass that pulls rows from the SQLite iterator only when the stream asks for
// more (_read), batching lines into chunks; stream.pipeline() connects it to the response, which gives
// backpressure, and destroying the source on a hang-up closes the iterator (_destroy).
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

const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV record, CRLF-terminated. */
export function csvLine(values: readonly (string | number | null | undefined)[]): string {
  let out = '';
  values.forEach((value, i) => {
    if (i > 0) out += ',';
    if (value === null || value === undefined) return;
    const text = String(value);
    out += NEEDS_QUOTES.test(text) ? '"' + text.split('"').join('""') + '"' : text;
  });
  return out + '\r\n';
}

class RowStream extends Readable {
  private readonly rows: IterableIterator<Flight>;

  constructor(
    rows: IterableIterator<Flight>,
    private readonly format: (row: Flight) => string,
    private readonly prefix: string,
    private readonly batch = 16,
  ) {
    super({ encoding: 'utf8', highWaterMark: 8 * 1024 });
    this.rows = rows;
    if (prefix) this.push(prefix);
  }

  override _read(): void {
    try {
      let more = true;
      while (more) {
        let chunk = '';
        for (let i = 0; i < this.batch; i++) {
          const next = this.rows.next();
          if (next.done) {
            if (chunk) this.push(chunk);
            this.push(null);
            return;
          }
          chunk += this.format(next.value);
        }
        more = this.push(chunk);
      }
    } catch (err) {
      this.destroy(err as Error);
    }
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    try {
      this.rows.return?.(); // closes the statement if the export did not finish
    } finally {
      callback(err);
    }
  }
}

function parseBound(raw: unknown): number | undefined | 'bad' {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^-?[0-9]+$/.test(raw)) return 'bad';
  return Number(raw);
}

export function createApp(db: Database.Database): express.Express {
  const app = express();

  const formats = {
    ndjson: {
      type: 'application/x-ndjson',
      prefix: '',
      line: (r: Flight) => `{"id":${JSON.stringify(r.id)},"delay":${JSON.stringify(r.delay)},"distance":${JSON.stringify(r.distance)},"time":${JSON.stringify(r.time)}}\n`,
    },
    csv: {
      type: 'text/csv; charset=utf-8',
      prefix: csvLine(COLUMNS),
      line: (r: Flight) => csvLine([r.id, r.delay, r.distance, r.time]),
    },
  } as const;

  for (const [ext, format] of Object.entries(formats)) {
    app.get(`/export.${ext}`, async (req: Request, res: Response) => {
      const min = parseBound(req.query.min_delay);
      const max = parseBound(req.query.max_delay);
      if (min === 'bad' || max === 'bad') {
        res.status(400).json({ error: `${min === 'bad' ? 'min_delay' : 'max_delay'} must be an integer` });
        return;
      }
      const where: string[] = [];
      const params: number[] = [];
      if (min !== undefined) {
        where.push('delay >= ?');
        params.push(min);
      }
      if (max !== undefined) {
        where.push('delay <= ?');
        params.push(max);
      }
      const sql = `SELECT id, delay, distance, time FROM flights${where.length ? ' WHERE ' + where.join(' AND ') : ''} ORDER BY id`;
      const rows = db.prepare(sql).iterate(...params) as IterableIterator<Flight>;

      res.setHeader('Content-Type', format.type);
      res.setHeader('Content-Disposition', `attachment; filename="flights.${ext}"`);
      try {
        await pipeline(new RowStream(rows, format.line, format.prefix), res);
      } catch {
        // The client hung up (ERR_STREAM_PREMATURE_CLOSE) or the query failed: both streams are
        // destroyed by pipeline, and RowStream._destroy has closed the iterator.
      }
    });
  }

  return app;
}
