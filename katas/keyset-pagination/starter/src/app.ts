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

export function createApp(db: Database.Database): express.Express {
  // TODO 1: create the indexes your page queries need (CREATE INDEX IF NOT EXISTS ...). `db` is a
  //         writable copy of flights-200k.db; it has only the id primary key.

  // TODO 2: prepare your statements once, here, not on every request.
  const firstPage = db.prepare('SELECT id, delay, distance, time FROM flights ORDER BY id LIMIT ?');

  const app = express();

  app.get('/flights', (req: Request, res: Response) => {
    // TODO 3: read and validate `limit` (default 50, clamped to [1, 500]; not an integer → 400),
    //         `sort` (one of SORTS, default 'id'; anything else → 400) and `cursor` (bad → 400).
    // TODO 4: with a cursor, fetch the rows strictly after the cursor's position in the sort order
    //         (a range condition on the sort key and id, not OFFSET).
    // TODO 5: next_cursor: an opaque, URL-safe string holding the position of the page's last row,
    //         or null when no row follows.
    const items = firstPage.all(DEFAULT_LIMIT) as Flight[];
    res.json({ items, next_cursor: null });
  });

  return app;
}
