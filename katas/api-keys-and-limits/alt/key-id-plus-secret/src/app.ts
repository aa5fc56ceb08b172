// The flight-delays API with "id + secret" API keys (the GitHub / Stripe shape): a key reads
// fk_<row id>_<secret>; the database keeps the row id and the SHA-256 of the secret, and a presented key
// is checked by loading its row and comparing digests in constant time. Functions, no classes.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
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

/** fk_, the row id with no leading zero, _, then 32 random bytes in base64url (43 characters). */
const KEY_SHAPE = /^fk_([1-9][0-9]{0,15})_([A-Za-z0-9_-]{43})$/;

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

function ensureSchema(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS api_credentials (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      owner TEXT NOT NULL,
      secret_sha256 BLOB,
      scopes_json TEXT NOT NULL
    )`);
}

/** Creates a key with the given scopes and returns it; this is the only time anyone sees the key. */
export function issueKey(db: Database.Database, { name, scopes }: { name: string; scopes: string[] }): string {
  ensureSchema(db);
  const secret = randomBytes(32).toString('base64url');
  const { lastInsertRowid } = db
    .prepare('INSERT INTO api_credentials (owner, secret_sha256, scopes_json) VALUES (?, ?, ?)')
    .run(name, sha256(secret), JSON.stringify([...scopes]));
  return `fk_${lastInsertRowid}_${secret}`;
}

export function createApp(db: Database.Database, { now = Date.now, limit = 60, windowMs = 60_000 }: AppOptions = {}): express.Express {
  ensureSchema(db);
  const byId = db.prepare('SELECT secret_sha256, scopes_json FROM api_credentials WHERE id = ?');
  const windowStart = new Map<number, number>();
  const used = new Map<number, number>();

  const challenge = (res: Response, invalid: boolean, error: string) => {
    res.set('WWW-Authenticate', invalid ? 'Bearer realm="flights", error="invalid_token"' : 'Bearer realm="flights"');
    res.status(401).json({ error });
  };

  function whoIsCalling(req: Request, res: Response, next: NextFunction) {
    const header = req.headers.authorization;
    // "Bearer" in any case (RFC 7235), then one or more spaces, then the key
    const scheme = header === undefined ? null : /^bearer +/i.exec(header);
    const presented = header === undefined || scheme === null ? '' : header.slice(scheme[0].length);
    if (presented === '' || /\s/.test(presented)) {
      return challenge(res, false, 'an API key is required (Authorization: Bearer <key>)');
    }
    const shape = KEY_SHAPE.exec(presented);
    const row = shape ? (byId.get(Number(shape[1])) as { secret_sha256: Buffer; scopes_json: string } | undefined) : undefined;
    if (!shape || !row || !timingSafeEqual(row.secret_sha256, sha256(shape[2]))) {
      return challenge(res, true, 'the API key is not valid');
    }
    res.locals.keyId = Number(shape[1]);
    res.locals.scopes = JSON.parse(row.scopes_json) as string[];
    next();
  }

  function countRequest(_req: Request, res: Response, next: NextFunction) {
    const id = res.locals.keyId as number;
    const t = now();
    const start = windowStart.get(id);
    if (start === undefined || t >= start + windowMs) {
      windowStart.set(id, t);
      used.set(id, 0);
    }
    const begun = windowStart.get(id)!;
    const count = used.get(id)!;
    res.set('X-RateLimit-Limit', `${limit}`);
    if (count >= limit) {
      res.set('X-RateLimit-Remaining', '0');
      res.set('Retry-After', `${Math.max(1, Math.ceil((begun + windowMs - t) / 1000))}`);
      return void res.status(429).json({ error: 'too many requests for this key' });
    }
    used.set(id, count + 1);
    res.set('X-RateLimit-Remaining', `${limit - count - 1}`);
    next();
  }

  const needs = (scope: string) => (_req: Request, res: Response, next: NextFunction) =>
    (res.locals.scopes as string[]).includes(scope) ? next() : void res.status(403).json({ error: `requires scope ${scope}` });

  /** Last stop: an undecodable path (Express's URIError) is a 400; anything else a 500 that names no cause. */
  function failed(err: unknown, _req: Request, res: Response, _next: NextFunction) {
    if (err instanceof Error && err.name === 'URIError') return void res.status(400).json({ error: 'the path has a broken %-escape' });
    res.status(500).json({ error: 'internal error' });
  }

  const app = express();
  app.use(whoIsCalling);
  app.use(countRequest);

  const topRoutes = db.prepare(`
    SELECT origin, destination, SUM(flights) AS flights,
           ROUND(SUM(total_delay) * 1.0 / SUM(flights), 1) AS avgDelay
    FROM route_daily GROUP BY origin, destination
    ORDER BY flights DESC, origin, destination LIMIT ?`);
  const routeDaily = db.prepare(`
    SELECT day, flights, ROUND(total_delay * 1.0 / flights, 1) AS avgDelay, delayed
    FROM route_daily WHERE origin = ? AND destination = ? ORDER BY day`);
  const runs = db.prepare('SELECT id, version, source, rows_loaded AS rowsLoaded, finished_at AS finishedAt FROM pipeline_runs ORDER BY id');

  app.get('/routes/top', needs('routes:read'), (req, res) => {
    const raw = req.query.limit ?? '10';
    const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(n >= 1 && n <= 100)) return void res.status(400).json({ error: 'limit must be an integer from 1 to 100' });
    res.json({ routes: topRoutes.all(n) });
  });

  app.get('/routes/:origin/:destination/daily', needs('routes:read'), (req, res) => {
    const { origin, destination } = req.params;
    const days = routeDaily.all(origin, destination);
    if (days.length === 0) return void res.status(404).json({ error: `no flights from ${origin} to ${destination}` });
    res.json({ origin, destination, days });
  });

  app.get('/pipeline/runs', needs('pipeline:read'), (_req, res) => {
    res.json({ runs: runs.all() });
  });

  app.use((_req, res) => void res.status(404).json({ error: 'not found' }));
  app.use(failed);
  return app;
}
