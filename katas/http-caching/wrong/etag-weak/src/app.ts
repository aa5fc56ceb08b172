// The flight-delays API, now served from a database that a pipeline reloads once a night.
// The data endpoints below already work. Your job: make them cacheable (see README.md).
import express, { type Request, type Response } from 'express';
import type Database from 'better-sqlite3';

/** How long shared caches may reuse an aggregate response before revalidating: 5 minutes. */
export const MAX_AGE_SECONDS = 300;

interface PipelineRun {
  version: string;
  finished_at: string; // ISO 8601, UTC, e.g. '2001-04-01T06:00:00Z'
}

/** The entity-tags listed in an If-None-Match value, W/ stripped (weak comparison). */
function listedTags(header: string): string[] {
  return [...header.matchAll(/(?:W\/)?("[^"]*")/g)].map((m) => m[1]);
}

function etagFor(run: PipelineRun): string {
  return `W/"${Buffer.from(run.version).toString('base64url')}"`;
}

export function createApp(db: Database.Database): express.Express {
  const app = express();
  // Express's own weak ETags (a hash of each body) would also land on errors: turn them off.
  app.set('etag', false);

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
  const latestRun = db.prepare('SELECT version, finished_at FROM pipeline_runs ORDER BY id DESC LIMIT 1');

  function isNotModified(req: Request, etag: string, lastModified: Date): boolean {
    const ifNoneMatch = req.headers['if-none-match'];
    if (ifNoneMatch !== undefined) {
      if (ifNoneMatch.trim() === '*') return true;
      return listedTags(ifNoneMatch).includes(etag);
    }
    const ifModifiedSince = req.headers['if-modified-since'];
    if (ifModifiedSince === undefined) return false;
    const since = Date.parse(ifModifiedSince);
    if (Number.isNaN(since)) return false;
    return Math.floor(lastModified.getTime() / 1000) <= Math.floor(since / 1000);
  }

  /** Sends an aggregate (a 200 response whose body only changes when the pipeline reloads). */
  function sendAggregate(req: Request, res: Response, body: unknown): void {
    const run = latestRun.get() as PipelineRun;
    const etag = etagFor(run);
    const lastModified = new Date(run.finished_at);
    res.setHeader('ETag', etag);
    res.setHeader('Last-Modified', lastModified.toUTCString());
    res.setHeader('Cache-Control', `public, max-age=${MAX_AGE_SECONDS}`);
    if (isNotModified(req, etag, lastModified)) {
      res.status(304).end();
      return;
    }
    const json = JSON.stringify(body);
    res.status(200).setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(json));
    res.end(json);
  }

  /** Sends an error: never cached, no validators. */
  function sendError(res: Response, status: number, message: string): void {
    res.setHeader('Cache-Control', 'no-store');
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
