// The flight-delays API behind API keys: keys are stored as SHA-256 hashes, every route needs a scope,
// and each key gets `limit` requests per fixed window of `windowMs`, measured on an injectable clock.
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

interface ApiKey {
  id: number;
  name: string;
  scopes: string[];
}

const REALM = 'Bearer realm="flights"';

function ensureSchema(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS api_keys (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      key_hash TEXT NOT NULL UNIQUE,
      scopes TEXT NOT NULL,
      created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    )`);
}

/** API keys are long and random, so a fast hash is enough (no salt, no bcrypt) and lookups stay indexed. */
function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Creates a key with the given scopes. The plaintext is returned once and never stored. */
export function issueKey(db: Database.Database, { name, scopes }: { name: string; scopes: string[] }): string {
  ensureSchema(db);
  const key = `fk_${randomBytes(32).toString('base64url')}`;
  db.prepare('INSERT INTO api_keys (name, key_hash, scopes) VALUES (?, ?, ?)').run(name, hashKey(key), JSON.stringify(scopes));
  return key;
}

export function createApp(db: Database.Database, options: AppOptions = {}): express.Express {
  const { now = Date.now, limit = 60, windowMs = 60_000 } = options;
  ensureSchema(db);
  const app = express();

  const findKey = db.prepare('SELECT id, name, scopes FROM api_keys WHERE key_hash = ?');
  /** Per key id: when its current window started and how many requests it has used. */
  const windows = new Map<number, { start: number; used: number }>();

  function unauthorized(res: Response, message: string, error?: string): void {
    res.set('WWW-Authenticate', error ? `${REALM}, error="${error}"` : REALM);
    res.status(401).json({ error: message });
  }

  // 1. Authenticate: who is calling?
  app.use((req, res, next) => {
    const header = req.get('Authorization');
    if (!header) return unauthorized(res, 'missing API key: send Authorization: Bearer <key>');
    const match = /^Bearer +(\S+) *$/i.exec(header);
    if (!match) return unauthorized(res, 'expected an Authorization: Bearer <key> header');
    const row = findKey.get(hashKey(match[1])) as { id: number; name: string; scopes: string } | undefined;
    if (!row) return unauthorized(res, 'invalid API key', 'invalid_token');
    res.locals.apiKey = { id: row.id, name: row.name, scopes: JSON.parse(row.scopes) } satisfies ApiKey;
    next();
  });

  // 2. Rate limit: every authenticated request counts against its key, whatever its outcome.
  app.use((_req, res, next) => {
    const { id } = res.locals.apiKey as ApiKey;
    const t = now();
    let window = windows.get(id);
    if (!window || t >= window.start + windowMs) {
      window = { start: t, used: 0 };
      windows.set(id, window);
    }
    if (window.used >= limit) {
      res.set('X-RateLimit-Remaining', '0');
      res.set('Retry-After', String(Math.max(1, Math.ceil((window.start + windowMs - t) / 1000))));
      res.status(429).json({ error: `rate limit of ${limit} requests per ${windowMs / 1000} s exceeded` });
      return;
    }
    window.used += 1;
    res.set('X-RateLimit-Limit', String(limit));
    res.set('X-RateLimit-Remaining', String(limit - window.used));
    next();
  });

  // 3. Authorize: does this key have the route's scope?
  const requireScope = (scope: string) => (_req: Request, res: Response, next: NextFunction) => {
    const { scopes } = res.locals.apiKey as ApiKey;
    if (scopes.includes(scope)) return next();
    res.status(403).json({ error: `this API key lacks the "${scope}" scope` });
  };

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
