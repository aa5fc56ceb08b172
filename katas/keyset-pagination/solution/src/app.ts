// Keyset (cursor) pagination over the 200,000-row flights table.
//
// A page after the first is "the next `limit` rows after the last row I saw", expressed as a range
// condition on the sort key plus the id tiebreaker: `(delay, id) > (?, ?)`. With an index on
// (delay, id) SQLite seeks straight to that position, so page 400 costs the same as page 1, and rows
// inserted or deleted before the cursor do not shift what comes next (OFFSET would do both wrong).
import express, { type Request, type Response } from 'express';
import type Database from 'better-sqlite3';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

interface Flight {
  id: number;
  delay: number;
  distance: number;
  time: number;
}

/** The sorts the API accepts: a column (or id alone) and a direction; ties are broken by id. */
const SORTS = {
  id: { column: null, desc: false },
  delay: { column: 'delay', desc: false },
  '-delay': { column: 'delay', desc: true },
  distance: { column: 'distance', desc: false },
  '-distance': { column: 'distance', desc: true },
} as const;
type SortName = keyof typeof SORTS;

/** What a cursor holds: the sort it belongs to and the key of the last row of the page. */
interface CursorData {
  sort: SortName;
  key: number[]; // [value, id], or [id] for sort=id
}

class BadRequest extends Error {}

function isSortName(value: string): value is SortName {
  return Object.hasOwn(SORTS, value);
}

function keyOf(sort: SortName, row: Flight): number[] {
  const { column } = SORTS[sort];
  return column ? [row[column], row.id] : [row.id];
}

function encodeCursor(data: CursorData): string {
  return Buffer.from(JSON.stringify(data)).toString('base64url');
}

function decodeCursor(raw: string, sort: SortName): number[] {
  let data: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(raw)) throw new Error('not base64url');
    data = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw new BadRequest('cursor is not valid: pass back a next_cursor exactly as you received it');
  }
  const cursor = data as Partial<CursorData> | null;
  const width = SORTS[sort].column ? 2 : 1;
  if (
    typeof cursor !== 'object' || cursor === null ||
    !Array.isArray(cursor.key) || cursor.key.length !== width ||
    !cursor.key.every((n) => Number.isSafeInteger(n))
  ) {
    throw new BadRequest('cursor is not valid: pass back a next_cursor exactly as you received it');
  }
  if (cursor.sort !== sort) {
    throw new BadRequest(`cursor was issued for sort=${String(cursor.sort)}, not sort=${sort}`);
  }
  return cursor.key;
}

function parseLimit(raw: unknown): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  if (typeof raw !== 'string' || !/^-?\d+$/.test(raw)) {
    throw new BadRequest(`limit must be an integer, got ${JSON.stringify(raw)}`);
  }
  return Math.min(MAX_LIMIT, Math.max(1, Number(raw)));
}

function parseSort(raw: unknown): SortName {
  if (raw === undefined) return 'id';
  if (typeof raw !== 'string' || !isSortName(raw)) {
    throw new BadRequest(`sort must be one of ${Object.keys(SORTS).join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw;
}

export function createApp(db: Database.Database): express.Express {
  // One index per sortable column, ending in id: SQLite walks it in either direction, seeks to a
  // cursor with a row-value comparison, and never has to sort.
  db.exec(`
    CREATE INDEX IF NOT EXISTS flights_delay_id ON flights (delay, id);
    CREATE INDEX IF NOT EXISTS flights_distance_id ON flights (distance, id);
  `);

  // Two prepared statements per sort: the first page, and the page after a cursor.
  const statements = new Map<SortName, { first: Database.Statement; after: Database.Statement }>();
  for (const name of Object.keys(SORTS) as SortName[]) {
    const { column, desc } = SORTS[name];
    const dir = desc ? 'DESC' : 'ASC';
    const cmp = desc ? '<' : '>';
    const order = column ? `${column} ${dir}, id ${dir}` : `id ${dir}`;
    const seek = column ? `(${column}, id) ${cmp} (?, ?)` : `id ${cmp} ?`;
    const select = 'SELECT id, delay, distance, time FROM flights';
    statements.set(name, {
      first: db.prepare(`${select} ORDER BY ${order} LIMIT ?`),
      after: db.prepare(`${select} WHERE ${seek} ORDER BY ${order} LIMIT ?`),
    });
  }

  const app = express();

  app.get('/flights', (req: Request, res: Response) => {
    try {
      const limit = parseLimit(req.query.limit);
      const sort = parseSort(req.query.sort);
      const rawCursor = req.query.cursor;
      if (rawCursor !== undefined && typeof rawCursor !== 'string') {
        throw new BadRequest('cursor must be given once');
      }
      const { first, after } = statements.get(sort)!;
      // Ask for one row more than the page: if it exists, there is a next page.
      const rows = (rawCursor === undefined
        ? first.all(limit + 1)
        : after.all(...decodeCursor(rawCursor, sort), limit + 1)) as Flight[];
      const items = rows.slice(0, limit);
      const next_cursor = rows.length > limit ? encodeCursor({ sort, key: keyOf(sort, items[items.length - 1]) }) : null;
      res.json({ items, next_cursor });
    } catch (error) {
      if (error instanceof BadRequest) {
        res.status(400).json({ error: error.message });
        return;
      }
      throw error;
    }
  });

  return app;
}
