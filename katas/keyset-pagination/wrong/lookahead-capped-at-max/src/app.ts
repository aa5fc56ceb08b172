// Keyset (cursor) pagination over the 200,000-row flights table. See README.md for the contract.
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

/** The sorts the API accepts. Ties are broken by id, in the same direction as the sort. */
export const SORTS = ['id', 'delay', '-delay', 'distance', '-distance'] as const;
export type SortName = (typeof SORTS)[number];

const COLUMNS = 'id, delay, distance, time';

interface Cursor {
  sort: SortName;
  key: number[];
}

function keyOf(sort: SortName, row: Flight): number[] {
  if (sort === 'id') return [row.id];
  const column = sort.replace('-', '') as 'delay' | 'distance';
  return [row[column], row.id];
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(raw: string, sort: SortName): number[] | null {
  if (!/^[A-Za-z0-9_-]+$/.test(raw)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { sort: cursorSort, key } = parsed as Partial<Cursor>;
  if (cursorSort !== sort) return null;
  if (!Array.isArray(key) || key.length !== (sort === 'id' ? 1 : 2)) return null;
  if (!key.every((k) => Number.isSafeInteger(k))) return null;
  return key;
}

function parseLimit(raw: unknown): number | null {
  if (raw === undefined) return DEFAULT_LIMIT;
  if (typeof raw !== 'string' || !/^-?\d+$/.test(raw)) return null;
  return Math.min(MAX_LIMIT, Math.max(1, Number(raw)));
}

export function createApp(db: Database.Database): express.Express {
  db.exec('CREATE INDEX IF NOT EXISTS flights_delay_id ON flights (delay, id)');
  db.exec('CREATE INDEX IF NOT EXISTS flights_distance_id ON flights (distance, id)');

  const first: Record<SortName, Database.Statement> = {
    id: db.prepare(`SELECT ${COLUMNS} FROM flights ORDER BY id LIMIT ?`),
    delay: db.prepare(`SELECT ${COLUMNS} FROM flights ORDER BY delay, id LIMIT ?`),
    '-delay': db.prepare(`SELECT ${COLUMNS} FROM flights ORDER BY delay DESC, id DESC LIMIT ?`),
    distance: db.prepare(`SELECT ${COLUMNS} FROM flights ORDER BY distance, id LIMIT ?`),
    '-distance': db.prepare(`SELECT ${COLUMNS} FROM flights ORDER BY distance DESC, id DESC LIMIT ?`),
  };
  const after: Record<SortName, Database.Statement> = {
    id: db.prepare(`SELECT ${COLUMNS} FROM flights WHERE id > ? ORDER BY id LIMIT ?`),
    delay: db.prepare(`SELECT ${COLUMNS} FROM flights WHERE (delay, id) > (?, ?) ORDER BY delay, id LIMIT ?`),
    '-delay': db.prepare(
      `SELECT ${COLUMNS} FROM flights WHERE (delay, id) < (?, ?) ORDER BY delay DESC, id DESC LIMIT ?`,
    ),
    distance: db.prepare(`SELECT ${COLUMNS} FROM flights WHERE (distance, id) > (?, ?) ORDER BY distance, id LIMIT ?`),
    '-distance': db.prepare(
      `SELECT ${COLUMNS} FROM flights WHERE (distance, id) < (?, ?) ORDER BY distance DESC, id DESC LIMIT ?`,
    ),
  };

  const app = express();

  app.get('/flights', (req: Request, res: Response) => {
    const limit = parseLimit(req.query.limit);
    if (limit === null) {
      res.status(400).json({ error: 'limit must be an integer' });
      return;
    }

    const rawSort = req.query.sort ?? 'id';
    if (typeof rawSort !== 'string' || !(SORTS as readonly string[]).includes(rawSort)) {
      res.status(400).json({ error: `sort must be one of ${SORTS.join(', ')}` });
      return;
    }
    const sort = rawSort as SortName;

    let rows: Flight[];
    const rawCursor = req.query.cursor;
    if (rawCursor === undefined) {
      rows = first[sort].all(Math.min(limit + 1, MAX_LIMIT)) as Flight[];
    } else {
      const key = typeof rawCursor === 'string' ? decodeCursor(rawCursor, sort) : null;
      if (key === null) {
        res.status(400).json({ error: `cursor is not a next_cursor issued for sort=${sort}` });
        return;
      }
      rows = after[sort].all(...key, Math.min(limit + 1, MAX_LIMIT)) as Flight[];
    }

    const items = rows.slice(0, limit);
    const next_cursor = rows.length > limit ? encodeCursor({ sort, key: keyOf(sort, items[items.length - 1]) }) : null;
    res.json({ items, next_cursor });
  });

  return app;
}
