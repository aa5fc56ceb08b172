// Keyset (cursor) pagination over the 200,000-row flights table.
// Style: zod schemas for the query string and for the decoded cursor, one row-value statement per sort
// built from a small spec table, rows pulled with .iterate() and the loop left after limit + 1 rows.
import express, { type Request, type Response } from 'express';
import type Database from 'better-sqlite3';
import { z } from 'zod';

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

interface SortSpec {
  /** The columns of the position, in ORDER BY order. */
  columns: readonly ('id' | 'delay' | 'distance')[];
  descending: boolean;
}

const SPECS: Record<SortName, SortSpec> = {
  id: { columns: ['id'], descending: false },
  delay: { columns: ['delay', 'id'], descending: false },
  '-delay': { columns: ['delay', 'id'], descending: true },
  distance: { columns: ['distance', 'id'], descending: false },
  '-distance': { columns: ['distance', 'id'], descending: true },
};

const intString = z.string().regex(/^-?[0-9]+$/, 'limit must be an integer');

const querySchema = z.object({
  limit: intString
    .optional()
    .transform((raw) => (raw === undefined ? DEFAULT_LIMIT : Math.min(MAX_LIMIT, Math.max(1, Number(raw))))),
  sort: z.enum(SORTS).optional().default('id'),
  cursor: z.string().regex(/^[A-Za-z0-9_-]+$/, 'cursor is not valid').optional(),
});

const cursorSchema = z.tuple([z.enum(SORTS)]).rest(z.number().int().safe());

function encodeCursor(sort: SortName, key: number[]): string {
  return Buffer.from(JSON.stringify([sort, ...key])).toString('base64url');
}

function decodeCursor(raw: string, sort: SortName): number[] | null {
  let parsed: unknown;
  try {
    const text = Buffer.from(raw, 'base64url').toString('utf8');
    // Buffer's base64url decoder skips characters it does not know: insist on a canonical encoding.
    if (Buffer.from(text).toString('base64url') !== raw) return null;
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  const result = cursorSchema.safeParse(parsed);
  if (!result.success) return null;
  const [cursorSort, ...key] = result.data;
  if (cursorSort !== sort || key.length !== SPECS[sort].columns.length) return null;
  return key;
}

export function createApp(db: Database.Database): express.Express {
  db.exec('CREATE INDEX IF NOT EXISTS flights_by_delay ON flights (delay, id)');
  db.exec('CREATE INDEX IF NOT EXISTS flights_by_distance ON flights (distance, id)');

  const statements = new Map<SortName, { first: Database.Statement; after: Database.Statement }>();
  for (const sort of SORTS) {
    const { columns, descending } = SPECS[sort];
    const dir = descending ? 'DESC' : 'ASC';
    const orderBy = columns.map((c) => `${c} ${dir}`).join(', ');
    const tuple = columns.length === 1 ? columns[0] : `(${columns.join(', ')})`;
    const params = columns.length === 1 ? '?' : `(${columns.map(() => '?').join(', ')})`;
    const cmp = descending ? '<' : '>';
    statements.set(sort, {
      first: db.prepare(`SELECT id, delay, distance, time FROM flights ORDER BY ${orderBy} LIMIT ?`),
      after: db.prepare(
        `SELECT id, delay, distance, time FROM flights WHERE ${tuple} ${cmp} ${params} ORDER BY ${orderBy} LIMIT ?`,
      ),
    });
  }

  const app = express();

  app.get('/flights', (req: Request, res: Response) => {
    const query = querySchema.safeParse(req.query);
    if (!query.success) {
      const issue = query.error.issues[0];
      res.status(400).json({ error: `${issue.path.join('.') || 'query'}: ${issue.message}` });
      return;
    }
    const { limit, sort, cursor } = query.data;
    const { first, after } = statements.get(sort)!;

    let rows: Iterable<unknown>;
    if (cursor === undefined) {
      rows = first.iterate(limit + 1);
    } else {
      const key = decodeCursor(cursor, sort);
      if (key === null) {
        res.status(400).json({ error: `cursor is not a cursor this API issued for sort=${sort}` });
        return;
      }
      rows = after.iterate(...key, limit + 1);
    }

    const items: Flight[] = [];
    let more = false;
    for (const row of rows) {
      if (items.length === limit) {
        more = true;
        break; // closes the iterator
      }
      items.push(row as Flight);
    }

    const last = items[items.length - 1];
    const next_cursor =
      more && last ? encodeCursor(sort, SPECS[sort].columns.map((c) => last[c])) : null;
    res.json({ items, next_cursor });
  });

  return app;
}
