// The flight-delays API, now served from a database that a pipeline reloads once a night.
// Style: a middleware reads the data version once per request into res.locals; If-None-Match tags
// are pulled out with a global regex; the ETag is the version itself, base64url-encoded and quoted.
import express, { type NextFunction, type Request, type Response } from 'express';
import type Database from 'better-sqlite3';

/** How long shared caches may reuse an aggregate response before revalidating: 5 minutes. */
export const MAX_AGE_SECONDS = 300;

interface PipelineRun {
  version: string;
  finished_at: string; // ISO 8601, UTC, e.g. '2001-04-01T06:00:00Z'
}

interface Validators {
  etag: string;
  lastModified: Date;
}

const ENTITY_TAG = /(?:W\/)?("[^"]*")/g;

function preconditionHolds(req: Request, v: Validators): boolean {
  const inm = req.get('If-None-Match');
  if (inm !== undefined) {
    if (inm.trim() === '*') return true;
    for (const [, quoted] of inm.matchAll(ENTITY_TAG)) {
      if (quoted === v.etag) return true; // weak comparison: W/ dropped on both sides
    }
    return false;
  }
  const ims = req.get('If-Modified-Since');
  if (ims === undefined) return false;
  const since = new Date(ims).getTime();
  if (!Number.isFinite(since)) return false;
  return Math.trunc(v.lastModified.getTime() / 1000) <= Math.trunc(since / 1000);
}

export function createApp(db: Database.Database): express.Express {
  const app = express();
  app.disable('etag');

  const topRoutes = db.prepare(`
    SELECT origin, destination, SUM(flights) AS flights,
           ROUND(SUM(total_delay) * 1.0 / SUM(flights), 1) AS avgDelay
    FROM route_daily
    GROUP BY origin, destination
    ORDER BY flights DESC, origin, destination
    LIMIT ?`);
  const routeDaily = db.prepare(`
    SELECT day, flights, ROUND(total_delay * 1.0 / flights, 1) AS avgDelay, delayed
    FROM route_daily
    WHERE origin = ? AND destination = ?
    ORDER BY day`);
  const latestRun = db.prepare('SELECT version, finished_at FROM pipeline_runs WHERE id = (SELECT MAX(id) FROM pipeline_runs)');

  // Every request sees the data version current when it arrived.
  app.use((_req: Request, res: Response, next: NextFunction) => {
    const run = latestRun.get() as PipelineRun;
    const validators: Validators = {
      etag: `"${Buffer.from(run.version, 'utf8').toString('base64url')}"`,
      lastModified: new Date(run.finished_at),
    };
    res.locals.validators = validators;
    next();
  });

  function sendAggregate(req: Request, res: Response, body: unknown): void {
    const v = res.locals.validators as Validators;
    res.set({
      ETag: v.etag,
      'Last-Modified': v.lastModified.toUTCString(),
      'Cache-Control': `public, max-age=${MAX_AGE_SECONDS}`,
    });
    if (preconditionHolds(req, v)) {
      res.status(304).end();
      return;
    }
    // Not res.json(): res.send() consults Express's req.fresh, which reads an empty If-None-Match as
    // absent and would then let If-Modified-Since turn this 200 into a 304 behind our back.
    const json = JSON.stringify(body);
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(json) });
    res.end(json);
  }

  function sendError(res: Response, status: number, message: string): void {
    res.set('Cache-Control', 'no-store');
    res.status(status).json({ error: message });
  }

  app.get('/routes/top', (req, res) => {
    const raw = req.query.limit ?? '10';
    const limit = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(limit >= 1 && limit <= 100)) return sendError(res, 400, 'limit must be an integer from 1 to 100');
    sendAggregate(req, res, { routes: topRoutes.all(limit) });
  });

  app.get('/routes/:origin/:destination/daily', (req, res) => {
    const { origin, destination } = req.params;
    const days = routeDaily.all(origin, destination);
    if (days.length === 0) return sendError(res, 404, `no flights from ${origin} to ${destination}`);
    sendAggregate(req, res, { origin, destination, days });
  });

  app.use((_req, res) => sendError(res, 404, 'not found'));
  return app;
}
