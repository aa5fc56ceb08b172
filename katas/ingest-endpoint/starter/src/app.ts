// Ingest endpoint — your code goes here. README.md has the full contract; `kata test` grades it.
import express, { type NextFunction, type Request, type Response } from 'express';
import type Database from 'better-sqlite3';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS flights (
    id          INTEGER PRIMARY KEY,
    departed_at TEXT    NOT NULL,
    origin      TEXT    NOT NULL,
    destination TEXT    NOT NULL,
    delay       INTEGER NOT NULL,
    distance    INTEGER NOT NULL,
    UNIQUE (departed_at, origin, destination)
  );
`;
// TODO: a table for idempotency keys (key, something to compare request bodies by, the response body).

export function createApp(db: Database.Database): express.Express {
  db.exec(SCHEMA);
  const app = express();
  // TODO: a body limit of 256 KiB. express.json() reports a too-large body and malformed JSON as
  //       errors with err.type 'entity.too.large' / 'entity.parse.failed': turn them into 413 and 400.
  app.use(express.json());

  app.post('/flights/batch', (req: Request, res: Response) => {
    // TODO: 1. Idempotency-Key: a replay of a written request answers 200 with the stored body;
    //          the same key with another body answers 422.
    // TODO: 2. validate the whole batch and answer 400 listing EVERY bad field ("3.delay", ...).
    //          (zod is available: z.array(z.object({...})).min(1), then map error.issues.)
    // TODO: 3. in ONE transaction (db.transaction): insert every flight (departed_at as
    //          'YYYY-MM-DD HH:MM'); if any already exists, answer 409 with every conflicting index and
    //          write nothing; else save the idempotency key and answer 201 { inserted }.
    const rows = Array.isArray(req.body) ? req.body : [];
    const insert = db.prepare(
      'INSERT OR IGNORE INTO flights (departed_at, origin, destination, delay, distance) VALUES (?, ?, ?, ?, ?)',
    );
    for (const r of rows) insert.run(r.date, r.origin, r.destination, r.delay, r.distance);
    res.status(201).json({ inserted: rows.length });
  });

  // TODO: an error handler that answers { error: { code, message } } as JSON for every error.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ error: { code: 'internal', message: String(err) } });
  });

  return app;
}
