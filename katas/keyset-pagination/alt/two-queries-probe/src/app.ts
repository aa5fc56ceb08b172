// Keyset (cursor) pagination over the 200,000-row flights table.
// Style: plain functions and hand-written SQL per sort; each page runs two statements: the page itself
// (LIMIT limit) and an existence probe "is there a row after the last one?" instead of fetching limit + 1.
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

const SELECT = 'SELECT id, delay, distance, time FROM flights';

const SQL: Record<SortName, { first: string; after: string; probe: string }> = {
  id: {
    first: `${SELECT} ORDER BY id LIMIT ?`,
    after: `${SELECT} WHERE id > ? ORDER BY id LIMIT ?`,
    probe: 'SELECT 1 FROM flights WHERE id > ? LIMIT 1',
  },
  delay: {
    first: `${SELECT} ORDER BY delay, id LIMIT ?`,
    after: `${SELECT} WHERE (delay, id) > (?, ?) ORDER BY delay, id LIMIT ?`,
    probe: 'SELECT 1 FROM flights WHERE (delay, id) > (?, ?) LIMIT 1',
  },
  '-delay': {
    first: `${SELECT} ORDER BY delay DESC, id DESC LIMIT ?`,
    after: `${SELECT} WHERE (delay, id) < (?, ?) ORDER BY delay DESC, id DESC LIMIT ?`,
    probe: 'SELECT 1 FROM flights WHERE (delay, id) < (?, ?) LIMIT 1',
  },
  distance: {
    first: `${SELECT} ORDER BY distance, id LIMIT ?`,
    after: `${SELECT} WHERE (distance, id) > (?, ?) ORDER BY distance, id LIMIT ?`,
    probe: 'SELECT 1 FROM flights WHERE (distance, id) > (?, ?) LIMIT 1',
  },
  '-distance': {
    first: `${SELECT} ORDER BY distance DESC, id DESC LIMIT ?`,
    after: `${SELECT} WHERE (distance, id) < (?, ?) ORDER BY distance DESC, id DESC LIMIT ?`,
    probe: 'SELECT 1 FROM flights WHERE (distance, id) < (?, ?) LIMIT 1',
  },
};

function isSort(value: unknown): value is SortName {
  return typeof value === 'string' && (SORTS as readonly string[]).includes(value);
}

/** The position of a row in a sort: [id] for sort=id, [value, id] otherwise. */
function keyOf(sort: SortName, row: Flight): number[] {
  if (sort === 'id') return [row.id];
  const column = sort.startsWith('-') ? sort.slice(1) : sort;
  return [row[column as 'delay' | 'distance'], row.id];
}

function encodeCursor(sort: SortName, key: number[]): string {
  return Buffer.from(`k1|${sort}|${key.join('|')}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string, sort: SortName): number[] | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^k1\|(-?[a-z]+)\|(-?\d+)(?:\|(-?\d+))?$/.exec(text);
  if (!match || match[1] !== sort) return undefined;
  const key = (match[3] === undefined ? [match[2]] : [match[2], match[3]]).map(Number);
  if (key.length !== (sort === 'id' ? 1 : 2) || !key.every(Number.isSafeInteger)) return undefined;
  if (encodeCursor(sort, key) !== cursor) return undefined; // only the exact text we issue
  return key;
}

function badRequest(res: Response, message: string): void {
  res.status(400).json({ error: message });
}

export function createApp(db: Database.Database): express.Express {
  db.prepare('CREATE INDEX IF NOT EXISTS idx_flights_delay ON flights (delay, id)').run();
  db.prepare('CREATE INDEX IF NOT EXISTS idx_flights_distance ON flights (distance, id)').run();

  const statements = Object.fromEntries(
    SORTS.map((sort) => [
      sort,
      { first: db.prepare(SQL[sort].first), after: db.prepare(SQL[sort].after), probe: db.prepare(SQL[sort].probe) },
    ]),
  ) as Record<SortName, { first: Database.Statement; after: Database.Statement; probe: Database.Statement }>;

  const app = express();

  app.get('/flights', (req: Request, res: Response) => {
    const { limit: rawLimit, sort: rawSort, cursor: rawCursor } = req.query;

    let limit = DEFAULT_LIMIT;
    if (rawLimit !== undefined) {
      if (typeof rawLimit !== 'string' || !/^-?\d+$/.test(rawLimit)) {
        return badRequest(res, `limit must be an integer, got ${JSON.stringify(rawLimit)}`);
      }
      limit = Math.max(1, Math.min(MAX_LIMIT, Number(rawLimit)));
    }

    let sort: SortName = 'id';
    if (rawSort !== undefined) {
      if (!isSort(rawSort)) return badRequest(res, `sort must be one of: ${SORTS.join(', ')}`);
      sort = rawSort;
    }

    const st = statements[sort];
    let items: Flight[];
    if (rawCursor === undefined) {
      items = st.first.all(limit) as Flight[];
    } else {
      const key = typeof rawCursor === 'string' ? decodeCursor(rawCursor, sort) : undefined;
      if (!key) return badRequest(res, `cursor is not a next_cursor issued for sort=${sort}`);
      items = st.after.all(...key, limit) as Flight[];
    }

    let next_cursor: string | null = null;
    if (items.length === limit) {
      const key = keyOf(sort, items[items.length - 1]);
      if (st.probe.get(...key) !== undefined) next_cursor = encodeCursor(sort, key);
    }
    res.json({ items, next_cursor });
  });

  return app;
}
