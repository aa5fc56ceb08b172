// Keyset (cursor) pagination over the 200,000-row flights table.
// Style: a FlightPager class; the seek is written without row values, as a range on the sort column
// (which SQLite turns into an index SEARCH) narrowed by the id tiebreak; the cursor is a compact
// text position signed with an HMAC so that only positions this app issued are accepted.
import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import type Database from 'better-sqlite3';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

export interface Flight {
  id: number;
  delay: number;
  distance: number;
  time: number;
}

export const SORTS = ['id', 'delay', '-delay', 'distance', '-distance'] as const;
export type SortName = (typeof SORTS)[number];

class BadRequest extends Error {}

type Position = { value: number | null; id: number }; // value is null for sort=id

const CURSOR_KEY = 'keyset-pagination/flights/v1';

function sign(payload: string): string {
  return createHmac('sha256', CURSOR_KEY).update(payload).digest('base64url').slice(0, 22);
}

class FlightPager {
  private readonly first: Database.Statement;
  private readonly after: Database.Statement;

  constructor(
    db: Database.Database,
    readonly sort: SortName,
  ) {
    const desc = sort.startsWith('-');
    const column = desc ? sort.slice(1) : sort;
    const dir = desc ? 'DESC' : 'ASC';
    const cols = 'SELECT id, delay, distance, time FROM flights';
    if (column === 'id') {
      this.first = db.prepare(`${cols} ORDER BY id ${dir} LIMIT ?`);
      this.after = db.prepare(`${cols} WHERE id ${desc ? '<' : '>'} ? ORDER BY id ${dir} LIMIT ?`);
    } else {
      const orderBy = `ORDER BY ${column} ${dir}, id ${dir}`;
      this.first = db.prepare(`${cols} ${orderBy} LIMIT ?`);
      // (c, id) > (v, i)  <=>  c >= v AND (c > v OR id > i); the first half is the index range.
      const wide = desc ? '<=' : '>=';
      const strict = desc ? '<' : '>';
      this.after = db.prepare(
        `${cols} WHERE ${column} ${wide} ? AND (${column} ${strict} ? OR id ${strict} ?) ${orderBy} LIMIT ?`,
      );
    }
  }

  private get column(): 'id' | 'delay' | 'distance' {
    return this.sort.replace('-', '') as 'id' | 'delay' | 'distance';
  }

  encode(row: Flight): string {
    const payload = this.column === 'id' ? `${this.sort}.${row.id}` : `${this.sort}.${row[this.column]}.${row.id}`;
    return `${payload}.${sign(payload)}`;
  }

  decode(cursor: string): Position {
    const parts = cursor.split('.');
    const signature = parts.pop() ?? '';
    const payload = parts.join('.');
    const expected = Buffer.from(sign(payload));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new BadRequest('cursor was not issued by this API');
    }
    const [sort, ...numbers] = parts;
    if (sort !== this.sort) throw new BadRequest(`cursor was issued for sort=${sort}, not sort=${this.sort}`);
    const ints = numbers.map(Number);
    if (ints.length !== (this.column === 'id' ? 1 : 2) || !ints.every(Number.isSafeInteger)) {
      throw new BadRequest('cursor is malformed');
    }
    return this.column === 'id' ? { value: null, id: ints[0] } : { value: ints[0], id: ints[1] };
  }

  page(limit: number, cursor: string | undefined): { items: Flight[]; next_cursor: string | null } {
    let rows: Flight[];
    if (cursor === undefined) {
      rows = this.first.all(limit + 1) as Flight[];
    } else {
      const pos = this.decode(cursor);
      rows = (
        pos.value === null ? this.after.all(pos.id, limit + 1) : this.after.all(pos.value, pos.value, pos.id, limit + 1)
      ) as Flight[];
    }
    const items = rows.slice(0, limit);
    const next_cursor = rows.length > limit ? this.encode(items[items.length - 1]) : null;
    return { items, next_cursor };
  }
}

function parseLimit(raw: unknown): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  if (typeof raw !== 'string' || !/^-?\d+$/.test(raw)) throw new BadRequest('limit must be an integer');
  const n = Number(raw);
  return n < 1 ? 1 : n > MAX_LIMIT ? MAX_LIMIT : n;
}

function parseSort(raw: unknown): SortName {
  if (raw === undefined) return 'id';
  const found = SORTS.find((s) => s === raw);
  if (!found) throw new BadRequest(`sort must be one of ${SORTS.join(', ')}`);
  return found;
}

function parseCursor(raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(raw)) throw new BadRequest('cursor is malformed');
  return raw;
}

export function createApp(db: Database.Database): express.Express {
  db.exec(`
    CREATE INDEX IF NOT EXISTS flights_delay_id ON flights (delay, id);
    CREATE INDEX IF NOT EXISTS flights_distance_id ON flights (distance, id);
  `);
  const pagers = new Map(SORTS.map((s) => [s, new FlightPager(db, s)] as const));

  const app = express();
  app.get('/flights', (req: Request, res: Response) => {
    try {
      const limit = parseLimit(req.query.limit);
      const sort = parseSort(req.query.sort);
      const cursor = parseCursor(req.query.cursor);
      res.json(pagers.get(sort)!.page(limit, cursor));
    } catch (err) {
      if (err instanceof BadRequest) {
        res.status(400).json({ error: err.message });
        return;
      }
      throw err;
    }
  });
  return app;
}
