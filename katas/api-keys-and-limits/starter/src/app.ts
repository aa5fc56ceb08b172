// The flight-delays API, about to be opened to other teams. The routes work; nothing protects them yet.
// Your job (see README.md): API keys stored hashed, scopes (401 vs 403), and a per-key rate limit.
import { randomBytes } from 'node:crypto';
import express from 'express';
import type Database from 'better-sqlite3';

export interface AppOptions {
  /** The clock, in milliseconds: tests pass a fake one. */
  now?: () => number;
  /** Requests allowed per key in one window. */
  limit?: number;
  /** Window length in milliseconds. */
  windowMs?: number;
}

function ensureSchema(db: Database.Database): void {
  // TODO: never store a key itself. Store something you can look a presented key up by, but that
  //       cannot be turned back into the key.
  db.exec(`
    CREATE TABLE IF NOT EXISTS api_keys (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      key TEXT NOT NULL UNIQUE,
      scopes TEXT NOT NULL
    )`);
}

/** Creates a key with the given scopes and returns it; this is the only time anyone sees the key. */
export function issueKey(db: Database.Database, { name, scopes }: { name: string; scopes: string[] }): string {
  ensureSchema(db);
  const key = `fk_${randomBytes(32).toString('base64url')}`;
  db.prepare('INSERT INTO api_keys (name, key, scopes) VALUES (?, ?, ?)').run(name, key, JSON.stringify(scopes));
  return key;
}

export function createApp(db: Database.Database, options: AppOptions = {}): express.Express {
  const { now = Date.now, limit = 60, windowMs = 60_000 } = options;
  void now, limit, windowMs;
  ensureSchema(db);
  const app = express();

  // TODO 1: authenticate. Read `Authorization: Bearer <key>`, find the key; 401 + WWW-Authenticate if
  //         it is missing or unknown.
  // TODO 2: rate limit per key with `now()`, `limit` and `windowMs`: 429 + Retry-After when used up.
  // TODO 3: authorize. Each route needs a scope; a key without it gets 403.

  const topRoutes = db.prepare(`
    SELECT origin, destination, SUM(flights) AS flights,
           ROUND(SUM(total_delay) * 1.0 / SUM(flights), 1) AS avgDelay
    FROM route_daily GROUP BY origin, destination
    ORDER BY flights DESC, origin, destination LIMIT ?`);
  const routeDaily = db.prepare(`
    SELECT day, flights, ROUND(total_delay * 1.0 / flights, 1) AS avgDelay, delayed
    FROM route_daily WHERE origin = ? AND destination = ? ORDER BY day`);
  const runs = db.prepare('SELECT id, version, source, rows_loaded AS rowsLoaded, finished_at AS finishedAt FROM pipeline_runs ORDER BY id');

  // scope: routes:read
  app.get('/routes/top', (req, res) => {
    const raw = req.query.limit ?? '10';
    const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(n >= 1 && n <= 100)) return void res.status(400).json({ error: 'limit must be an integer from 1 to 100' });
    res.json({ routes: topRoutes.all(n) });
  });

  // scope: routes:read
  app.get('/routes/:origin/:destination/daily', (req, res) => {
    const { origin, destination } = req.params;
    const days = routeDaily.all(origin, destination);
    if (days.length === 0) return void res.status(404).json({ error: `no flights from ${origin} to ${destination}` });
    res.json({ origin, destination, days });
  });

  // scope: pipeline:read
  app.get('/pipeline/runs', (_req, res) => {
    res.json({ runs: runs.all() });
  });

  app.use((_req, res) => void res.status(404).json({ error: 'not found' }));
  // TODO 4: an error middleware (four arguments): a URIError (a path Express cannot percent-decode) is a
  //         400, anything else a 500; both {"error": "..."}, neither revealing the error's details.
  return app;
}
