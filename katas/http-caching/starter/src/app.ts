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

export function createApp(db: Database.Database): express.Express {
  const app = express();
  // TODO: Express adds its own weak ETag (a hash of the body) to every response it sends, errors included.
  //       Decide whether you want that.

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
  // TODO: the newest pipeline run (the row of pipeline_runs with the greatest id) is the data version.
  const latestRun = db.prepare('SELECT version, finished_at FROM pipeline_runs ORDER BY id DESC LIMIT 1');

  /** Sends an aggregate (a 200 response whose body only changes when the pipeline reloads). */
  function sendAggregate(req: Request, res: Response, body: unknown): void {
    const run = latestRun.get() as PipelineRun;
    void run;
    // TODO: ETag (strong, quoted, derived from the run), Last-Modified, Cache-Control.
    // TODO: answer conditional requests (If-None-Match, If-Modified-Since) with 304 Not Modified.
    res.json(body);
  }

  /** Sends an error. TODO: errors must not be cached, nor carry validators. */
  function sendError(res: Response, status: number, message: string): void {
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
