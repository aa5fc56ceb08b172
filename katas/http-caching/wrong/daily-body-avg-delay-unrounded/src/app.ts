// The flight-delays API with HTTP caching: every aggregate carries validators derived from the pipeline
// run that loaded the data, so clients and shared caches revalidate with a cheap 304 until the next load.
import express, { type Request, type Response } from 'express';
import type Database from 'better-sqlite3';

/** How long shared caches may reuse an aggregate response before revalidating: 5 minutes. */
export const MAX_AGE_SECONDS = 300;

interface PipelineRun {
  version: string;
  finished_at: string; // ISO 8601, UTC, e.g. '2001-04-01T06:00:00Z'
}

/** The entity-tags of an If-None-Match list, weakness dropped (`W/"a", "b"` → ['"a"', '"b"']). */
function parseEntityTags(header: string): string[] {
  return [...header.matchAll(/(?:W\/)?("[^"]*")/g)].map((m) => m[1]);
}

/** RFC 9110 §13.1: If-None-Match (weak comparison) wins; If-Modified-Since counts only without it. */
function isNotModified(req: Request, etag: string, lastModified: Date): boolean {
  const ifNoneMatch = req.get('If-None-Match');
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() === '*') return true;
    return parseEntityTags(ifNoneMatch).includes(etag);
  }
  const ifModifiedSince = req.get('If-Modified-Since');
  if (ifModifiedSince === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  if (Number.isNaN(since)) return false; // an invalid date is ignored
  // HTTP dates have whole seconds: compare at that resolution.
  return Math.floor(lastModified.getTime() / 1000) <= Math.floor(since / 1000);
}

export function createApp(db: Database.Database): express.Express {
  const app = express();
  // Our validators come from the data version; Express's body-hash ETags would also tag errors.
  app.set('etag', false);

  const topRoutes = db.prepare(`
    SELECT origin, destination, SUM(flights) AS flights,
           ROUND(SUM(total_delay) * 1.0 / SUM(flights), 1) AS avgDelay
    FROM route_daily
    GROUP BY origin, destination
    ORDER BY flights DESC, origin, destination
    LIMIT ?`);
  const routeDaily = db.prepare(`
    SELECT day, flights, total_delay * 1.0 / flights AS avgDelay, delayed
    FROM route_daily
    WHERE origin = ? AND destination = ?
    ORDER BY day`);
  const latestRun = db.prepare('SELECT version, finished_at FROM pipeline_runs ORDER BY id DESC LIMIT 1');

  /** Sends an aggregate: validators from the current run, 304 when the client's copy is still current. */
  function sendAggregate(req: Request, res: Response, body: unknown): void {
    // Read per request (one indexed row): a reload must be visible without restarting the server.
    const run = latestRun.get() as PipelineRun;
    const etag = `"${run.version}"`; // strong: the bytes only change with the version
    const lastModified = new Date(run.finished_at);
    res.set({
      ETag: etag,
      'Last-Modified': lastModified.toUTCString(),
      'Cache-Control': `public, max-age=${MAX_AGE_SECONDS}`,
    });
    if (isNotModified(req, etag, lastModified)) {
      res.status(304).end();
      return;
    }
    // Not res.json(): res.send() makes its own freshness decision (req.fresh), which reads an empty
    // If-None-Match as absent and would let If-Modified-Since turn this 200 into a 304.
    const json = JSON.stringify(body);
    res.status(200).set({ 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(json)) });
    res.end(json);
  }

  /** Errors are never stored by caches and carry no validators. */
  function sendError(res: Response, status: number, message: string): void {
    res.status(status).set('Cache-Control', 'no-store').json({ error: message });
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
