// The flight-delays API with API keys (stored as SHA-256 digests), scopes checked in SQL with
// json_each, and a fixed-window limiter per key kept in this app's closure.
import { createHash, randomUUID } from 'node:crypto';
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
  db.exec(`
    CREATE TABLE IF NOT EXISTS api_keys (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      digest TEXT NOT NULL UNIQUE,
      scopes TEXT NOT NULL
    )`);
}

function digestOf(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('base64');
}

/** Creates a key with the given scopes and returns it; this is the only time anyone sees the key. */
export function issueKey(db: Database.Database, { name, scopes }: { name: string; scopes: string[] }): string {
  ensureSchema(db);
  const key = `fk_${randomUUID()}`;
  db.prepare('INSERT INTO api_keys (name, digest, scopes) VALUES (?, ?, ?)').run(name, digestOf(key), JSON.stringify(scopes));
  return key;
}

const REALM = 'Bearer realm="flights"';

/**
 * Reads `Bearer <key>` by hand: the scheme in any case, one or more SP, then a key containing no
 * whitespace, and nothing after it. Returns undefined when the header is not of that shape.
 */
function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const scheme = 'bearer';
  if (header.length <= scheme.length) return undefined;
  if (header.slice(0, scheme.length).toLowerCase() !== scheme) return undefined;
  let i = scheme.length;
  if (header[i] !== ' ') return undefined;
  while (header[i] === ' ') i++;
  const token = header.slice(i);
  if (token === '') return undefined;
  for (const ch of token) if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') return undefined;
  return token;
}

type Window = { start: number; used: number };

export function createApp(db: Database.Database, options: AppOptions = {}): express.Express {
  const { now = Date.now, limit = 60, windowMs = 60_000 } = options;
  ensureSchema(db);
  const app = express();

  const findKey = db.prepare('SELECT id FROM api_keys WHERE digest = ?').pluck();
  const hasScope = db.prepare('SELECT 1 FROM api_keys, json_each(api_keys.scopes) WHERE api_keys.id = ? AND json_each.value = ?').pluck();
  const windows = new Map<number, Window>();

  // 1. who is calling?
  app.use((req, res, next) => {
    const token = bearerToken(req.headers.authorization);
    if (token === undefined) {
      res.set('WWW-Authenticate', REALM);
      return void res.status(401).json({ error: 'send your API key as Authorization: Bearer <key>' });
    }
    const id = findKey.get(digestOf(token)) as number | undefined;
    if (id === undefined) {
      res.set('WWW-Authenticate', `${REALM}, error="invalid_token"`);
      return void res.status(401).json({ error: 'this API key is not valid' });
    }
    res.locals.keyId = id;
    next();
  });

  // 2. too many requests in this key's window?
  app.use((_req, res, next) => {
    const id = res.locals.keyId as number;
    const t = now();
    let w = windows.get(id);
    if (w === undefined || t >= w.start + windowMs) {
      w = { start: t, used: 0 };
      windows.set(id, w);
    }
    res.set('X-RateLimit-Limit', String(limit));
    if (w.used >= limit) {
      const seconds = Math.max(1, Math.ceil((w.start + windowMs - t) / 1000));
      res.set('Retry-After', String(seconds));
      res.set('X-RateLimit-Remaining', '0');
      return void res.status(429).json({ error: `rate limit of ${limit} requests reached; retry in ${seconds} s` });
    }
    w.used += 1;
    res.set('X-RateLimit-Remaining', String(limit - w.used));
    next();
  });

  // 3. may this key do this?
  const need = (scope: string): express.RequestHandler => (_req, res, next) => {
    if (hasScope.get(res.locals.keyId, scope) === undefined) {
      return void res.status(403).json({ error: `this key lacks the scope ${scope}` });
    }
    next();
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

  app.get('/routes/top', need('routes:read'), (req, res) => {
    const raw = req.query.limit ?? '10';
    const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(n >= 1 && n <= 100)) return void res.status(400).json({ error: 'limit must be an integer from 1 to 100' });
    res.json({ routes: topRoutes.all(n) });
  });

  app.get('/routes/:origin/:destination/daily', need('routes:read'), (req, res) => {
    const { origin, destination } = req.params;
    const days = routeDaily.all(origin, destination);
    if (days.length === 0) return void res.status(404).json({ error: `no flights from ${origin} to ${destination}` });
    res.json({ origin, destination, days });
  });

  app.get('/pipeline/runs', need('pipeline:read'), (_req, res) => {
    res.json({ runs: runs.all() });
  });

  app.use((_req, res) => void res.status(404).json({ error: 'not found' }));

  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    if (res.headersSent) return void _next(err);
    if (err instanceof URIError) return void res.status(400).json({ error: 'the path is not valid percent-encoding' });
    res.status(500).json({ error: 'internal server error' });
  });
  return app;
}
