// The flight-delays API, opened to other teams: API keys stored hashed, scopes (401 vs 403), and a
// fixed-window rate limit per key.
import { createHash, randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type Database from 'better-sqlite3';

export interface AppOptions {
  /** The clock, in milliseconds: tests pass a fake one. */
  now?: () => number;
  /** Requests allowed per key in one window. */
  limit?: number;
  /** Window length in milliseconds. */
  windowMs?: number;
}

interface KeyRow {
  id: number;
  name: string;
  scopes: string[];
}

const REALM = 'Bearer realm="flights"';

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function ensureSchema(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS api_keys (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      key_hash TEXT NOT NULL UNIQUE,
      scopes TEXT NOT NULL
    )`);
}

/** Creates a key with the given scopes and returns it; this is the only time anyone sees the key. */
export function issueKey(db: Database.Database, { name, scopes }: { name: string; scopes: string[] }): string {
  ensureSchema(db);
  const key = `fk_${randomBytes(32).toString('base64url')}`;
  db.prepare('INSERT INTO api_keys (name, key_hash, scopes) VALUES (?, ?, ?)').run(name, hashKey(key), JSON.stringify(scopes));
  return key;
}

export function createApp(db: Database.Database, options: AppOptions = {}): express.Express {
  const { now = Date.now, limit = 60, windowMs = 60 } = options;
  ensureSchema(db);
  const app = express();

  const findKey = db.prepare('SELECT id, name, scopes FROM api_keys WHERE key_hash = ?');
  const windows = new Map<number, { start: number; used: number }>();

  function authenticate(req: Request, res: Response, next: NextFunction): void {
    const header = req.get('authorization');
    const match = header === undefined ? null : /^Bearer +(\S+)$/i.exec(header);
    if (!match) {
      res.set('WWW-Authenticate', REALM);
      return void res.status(401).json({ error: 'missing API key: send Authorization: Bearer <key>' });
    }
    const row = findKey.get(hashKey(match[1])) as { id: number; name: string; scopes: string } | undefined;
    if (!row) {
      res.set('WWW-Authenticate', `${REALM}, error="invalid_token"`);
      return void res.status(401).json({ error: 'invalid API key' });
    }
    res.locals.apiKey = { id: row.id, name: row.name, scopes: JSON.parse(row.scopes) } satisfies KeyRow;
    next();
  }

  function rateLimit(_req: Request, res: Response, next: NextFunction): void {
    const key = res.locals.apiKey as KeyRow;
    const t = now();
    let w = windows.get(key.id);
    if (!w || t >= w.start + windowMs) {
      w = { start: t, used: 0 };
      windows.set(key.id, w);
    }
    res.set('X-RateLimit-Limit', String(limit));
    if (w.used >= limit) {
      res.set('X-RateLimit-Remaining', '0');
      res.set('Retry-After', String(Math.max(1, Math.ceil((w.start + windowMs - t) / 1000))));
      return void res.status(429).json({ error: 'rate limit exceeded, try again later' });
    }
    w.used += 1;
    res.set('X-RateLimit-Remaining', String(limit - w.used));
    next();
  }

  const requireScope = (scope: string) => (_req: Request, res: Response, next: NextFunction): void => {
    const key = res.locals.apiKey as KeyRow;
    if (!key.scopes.includes(scope)) return void res.status(403).json({ error: `this key lacks the scope ${scope}` });
    next();
  };

  app.use(authenticate, rateLimit);

  const topRoutes = db.prepare(`
    SELECT origin, destination, SUM(flights) AS flights,
           ROUND(SUM(total_delay) * 1.0 / SUM(flights), 1) AS avgDelay
    FROM route_daily GROUP BY origin, destination
    ORDER BY flights DESC, origin, destination LIMIT ?`);
  const routeDaily = db.prepare(`
    SELECT day, flights, ROUND(total_delay * 1.0 / flights, 1) AS avgDelay, delayed
    FROM route_daily WHERE origin = ? AND destination = ? ORDER BY day`);
  const runs = db.prepare('SELECT id, version, source, rows_loaded AS rowsLoaded, finished_at AS finishedAt FROM pipeline_runs ORDER BY id');

  app.get('/routes/top', requireScope('routes:read'), (req, res) => {
    const raw = req.query.limit ?? '10';
    const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(n >= 1 && n <= 100)) return void res.status(400).json({ error: 'limit must be an integer from 1 to 100' });
    res.json({ routes: topRoutes.all(n) });
  });

  app.get('/routes/:origin/:destination/daily', requireScope('routes:read'), (req, res) => {
    const { origin, destination } = req.params;
    const days = routeDaily.all(origin, destination);
    if (days.length === 0) return void res.status(404).json({ error: `no flights from ${origin} to ${destination}` });
    res.json({ origin, destination, days });
  });

  app.get('/pipeline/runs', requireScope('pipeline:read'), (_req, res) => {
    res.json({ runs: runs.all() });
  });

  app.use((_req, res) => void res.status(404).json({ error: 'not found' }));

  // Errors thrown by a handler or raised by Express. A path Express cannot percent-decode reaches no route:
  // the router passes its URIError here, the client's mistake. Anything else is our fault: a 500 whose
  // message says nothing of the cause (no stack, no SQL, no file paths).
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof URIError) return void res.status(400).json({ error: 'the path is not valid percent-encoding' });
    res.status(500).json({ error: 'internal server error' });
  });
  return app;
}
