// The flight-delays API behind an API-key gateway, written as two small classes: a KeyStore over
// SQLite (sha-256 digests as BLOBs, scopes in their own table) and a FixedWindowLimiter in memory.
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

interface Caller {
  id: number;
  scopes: Set<string>;
}

class KeyStore {
  constructor(private readonly db: Database.Database) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS api_keys (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        digest BLOB NOT NULL UNIQUE
      );
      CREATE TABLE IF NOT EXISTS api_key_scopes (
        key_id INTEGER NOT NULL REFERENCES api_keys (id),
        scope TEXT NOT NULL,
        PRIMARY KEY (key_id, scope)
      );`);
  }

  static digest(key: string): Buffer {
    return createHash('sha256').update(key, 'utf8').digest();
  }

  issue(name: string, scopes: string[]): string {
    const key = `fk_${randomBytes(32).toString('base64url')}`;
    const insertKey = this.db.prepare('INSERT INTO api_keys (name, digest) VALUES (?, ?)');
    const insertScope = this.db.prepare('INSERT OR IGNORE INTO api_key_scopes (key_id, scope) VALUES (?, ?)');
    this.db.transaction(() => {
      const { lastInsertRowid } = insertKey.run(name, KeyStore.digest(key));
      for (const scope of scopes) insertScope.run(lastInsertRowid, scope);
    })();
    return key;
  }

  /** The caller a presented key belongs to, or undefined when no such key was issued. */
  find(key: string): Caller | undefined {
    const rows = this.db
      .prepare(`SELECT k.id AS id, s.scope AS scope FROM api_keys k
                LEFT JOIN api_key_scopes s ON s.key_id = k.id WHERE k.digest = ?`)
      .all(KeyStore.digest(key)) as { id: number; scope: string | null }[];
    if (rows.length === 0) return undefined;
    return { id: rows[0].id, scopes: new Set(rows.flatMap((r) => (r.scope === null ? [] : [r.scope]))) };
  }
}

type Decision = { allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number };

class FixedWindowLimiter {
  private readonly windows = new Map<number, { start: number; used: number }>();

  constructor(private readonly limit: number, private readonly windowMs: number) {}

  hit(id: number, t: number): Decision {
    let w = this.windows.get(id);
    if (w === undefined || t >= w.start + this.windowMs) {
      w = { start: t, used: 0 };
      this.windows.set(id, w);
    }
    if (w.used >= this.limit) {
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((w.start + this.windowMs - t) / 1000)) };
    }
    w.used += 1;
    return { allowed: true, remaining: this.limit - w.used };
  }
}

/** Creates a key with the given scopes and returns it; this is the only time anyone sees the key. */
export function issueKey(db: Database.Database, { name, scopes }: { name: string; scopes: string[] }): string {
  return new KeyStore(db).issue(name, scopes);
}

export function createApp(db: Database.Database, options: AppOptions = {}): express.Express {
  const { now = Date.now, limit = 60, windowMs = 60_000 } = options;
  const store = new KeyStore(db);
  const limiter = new FixedWindowLimiter(limit, windowMs);
  const app = express();

  app.use((req: Request, res: Response, next: NextFunction) => {
    // 1. who is calling?
    // the scheme is case-insensitive (RFC 7235) and one or more spaces separate it from the key
    const parts = (req.get('authorization') ?? '').split(/ +/);
    if (parts.length !== 2 || parts[0].toLowerCase() !== 'bearer' || parts[1] === '') {
      res.set('WWW-Authenticate', 'Bearer realm="flights"');
      return void res.status(401).json({ error: 'send your API key as Authorization: Bearer <key>' });
    }
    const caller = store.find(parts[1]);
    if (caller === undefined) {
      res.set('WWW-Authenticate', 'Bearer realm="flights", error="invalid_token"');
      return void res.status(401).json({ error: 'this API key is not valid' });
    }
    // 2. too many?
    const decision = limiter.hit(caller.id, now());
    res.set('X-RateLimit-Limit', String(limit));
    if (!decision.allowed) {
      res.set({ 'X-RateLimit-Remaining': '0', 'Retry-After': String(decision.retryAfterSeconds) });
      return void res.status(429).json({ error: `too many requests: at most ${limit} per ${windowMs} ms` });
    }
    res.set('X-RateLimit-Remaining', String(decision.remaining));
    res.locals.caller = caller;
    next();
  });

  // 3. allowed? (per route, so that unknown paths fall through to the 404)
  const scope = (needed: string) => (_req: Request, res: Response, next: NextFunction) => {
    if ((res.locals.caller as Caller).scopes.has(needed)) return void next();
    res.status(403).json({ error: `forbidden: this key does not have the "${needed}" scope` });
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

  app.get('/routes/top', scope('routes:read'), (req, res) => {
    const raw = req.query.limit ?? '10';
    const n = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(n >= 1 && n <= 100)) return void res.status(400).json({ error: 'limit must be an integer from 1 to 100' });
    res.json({ routes: topRoutes.all(n) });
  });

  app.get('/routes/:origin/:destination/daily', scope('routes:read'), (req, res) => {
    const { origin, destination } = req.params;
    const days = routeDaily.all(origin, destination);
    if (days.length === 0) return void res.status(404).json({ error: `no flights from ${origin} to ${destination}` });
    res.json({ origin, destination, days });
  });

  app.get('/pipeline/runs', scope('pipeline:read'), (_req, res) => {
    res.json({ runs: runs.all() });
  });

  app.use((_req, res) => void res.status(404).json({ error: 'not found' }));

  // 4. failed? A path Express cannot percent-decode arrives here as a URIError (the caller's fault, a 400);
  // any other error is ours, and its details stay on the server.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const callersFault = err instanceof URIError;
    res.status(callersFault ? 400 : 500).json({ error: callersFault ? 'malformed percent-encoding in the path' : 'something went wrong on our side' });
  });
  return app;
}
