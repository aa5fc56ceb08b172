// The flight-delays API behind one gate: a single middleware authenticates, counts and authorises every
// request, reading the scope a request needs from a table of routes. Keys are stored as SHA-512
// digests (base64url) with their scopes as a space-separated string, OAuth style.
import { createHash, randomBytes } from 'node:crypto';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type Database from 'better-sqlite3';

export interface AppOptions {
  /** The clock, in milliseconds: tests pass a fake one. */
  now?: () => number;
  /** Requests allowed per key in one window. */
  limit?: number;
  /** Window length in milliseconds. */
  windowMs?: number;
}

const digestOf = (key: string): string => createHash('sha512').update(key).digest('base64url');

function ensureSchema(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS gateway_keys (
    digest TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT ''
  ) WITHOUT ROWID`);
}

/** Creates a key with the given scopes and returns it; this is the only time anyone sees the key. */
export function issueKey(db: Database.Database, { name, scopes }: { name: string; scopes: string[] }): string {
  ensureSchema(db);
  const key = 'fk_' + randomBytes(24).toString('hex'); // 192 random bits
  db.prepare('INSERT INTO gateway_keys (digest, label, scope) VALUES (?, ?, ?)').run(digestOf(key), name, scopes.join(' '));
  return key;
}

/** Which scope each route needs (Express matches paths case-insensitively and with an optional trailing slash). */
const ROUTE_SCOPES: { method: string[]; path: RegExp; scope: string }[] = [
  { method: ['GET', 'HEAD'], path: /^\/routes\/top\/?$/i, scope: 'routes:read' },
  { method: ['GET', 'HEAD'], path: /^\/routes\/[^/]+\/[^/]+\/daily\/?$/i, scope: 'routes:read' },
  { method: ['GET', 'HEAD'], path: /^\/pipeline\/runs\/?$/i, scope: 'pipeline:read' },
];

export function createApp(db: Database.Database, options: AppOptions = {}): express.Express {
  const now = options.now ?? Date.now;
  const limit = options.limit ?? 60;
  const windowMs = options.windowMs ?? 60_000;
  ensureSchema(db);
  const lookup = db.prepare<[string], { scope: string }>('SELECT scope FROM gateway_keys WHERE digest = ?');
  /** digest → [window start, requests counted in it] */
  const counters = new Map<string, [number, number]>();

  const gate: RequestHandler = (req, res, next) => {
    const m = /^Bearer +([^\s]+)$/i.exec(req.headers.authorization ?? '');
    if (m === null) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="flights"');
      res.status(401).json({ error: 'authentication required: Authorization: Bearer <key>' });
      return;
    }
    const digest = digestOf(m[1]);
    const row = lookup.get(digest);
    if (row === undefined) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="flights", error="invalid_token"');
      res.status(401).json({ error: 'unknown API key' });
      return;
    }

    const t = now();
    let counter = counters.get(digest);
    if (counter === undefined || t - counter[0] >= windowMs) counters.set(digest, (counter = [t, 0]));
    res.setHeader('X-RateLimit-Limit', String(limit));
    if (counter[1] >= limit) {
      const msLeft = counter[0] + windowMs - t;
      res.setHeader('X-RateLimit-Remaining', '0');
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(msLeft / 1000))));
      res.status(429).json({ error: 'rate limit exceeded' });
      return;
    }
    counter[1] += 1;
    res.setHeader('X-RateLimit-Remaining', String(limit - counter[1]));

    const needed = ROUTE_SCOPES.find((r) => r.method.includes(req.method) && r.path.test(req.path))?.scope;
    const granted = row.scope.split(' ').filter(Boolean);
    if (needed !== undefined && !granted.includes(needed)) {
      res.status(403).json({ error: `missing scope: ${needed}` });
      return;
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

  const api = express.Router();
  api.get('/routes/top', (req, res) => {
    const raw = req.query.limit ?? '10';
    const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(n >= 1 && n <= 100)) return void res.status(400).json({ error: 'limit must be an integer from 1 to 100' });
    res.json({ routes: topRoutes.all(n) });
  });
  api.get('/routes/:origin/:destination/daily', (req, res) => {
    const { origin, destination } = req.params;
    const days = routeDaily.all(origin, destination);
    if (days.length === 0) return void res.status(404).json({ error: `no flights from ${origin} to ${destination}` });
    res.json({ origin, destination, days });
  });
  api.get('/pipeline/runs', (_req, res) => {
    res.json({ runs: runs.all() });
  });

  // Express hands a path it cannot percent-decode to the error handler as a URIError: the client's 400.
  // Every other error is a 500, told to the client without its message.
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    const [status, error] = err instanceof URIError ? ([400, 'undecodable percent-escape in the path'] as const) : ([500, 'internal server error'] as const);
    res.status(status).json({ error });
  };

  const app = express();
  app.use(gate, api);
  app.use((_req, res) => void res.status(404).json({ error: 'not found' }));
  app.use(onError);
  return app;
}
