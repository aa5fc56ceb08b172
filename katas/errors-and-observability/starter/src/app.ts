// The flight-delays API, about to go to production. It works on a good day; on a bad day it answers
// with whatever shape each route improvised, Express's default error page (stack trace included), and
// no way to find the matching log line. Your job: see README.md.
import express from 'express';
import type Database from 'better-sqlite3';
import { z } from 'zod';

export type LogEntry = Record<string, unknown>;

export interface AppOptions {
  /** Receives one structured entry per request. */
  log?: (entry: LogEntry) => void;
}

const searchBody = z
  .object({
    origin: z.string().regex(/^[A-Z]{3}$/, 'must be a 3-letter airport code'),
    destination: z.string().regex(/^[A-Z]{3}$/, 'must be a 3-letter airport code').optional(),
    minDelay: z.number().int().optional(),
  })
  .strict();

export function createApp(db: Database.Database, { log = (e) => console.log(JSON.stringify(e)) }: AppOptions = {}): express.Express {
  const app = express();
  void log;
  // TODO: a request id for every request (X-Request-Id), one structured log entry per request,
  //       and a single error middleware at the end that answers application/problem+json.

  app.use(express.json());

  const topRoutes = db.prepare(`
    SELECT origin, destination, SUM(flights) AS flights,
           ROUND(SUM(total_delay) * 1.0 / SUM(flights), 1) AS avgDelay
    FROM route_daily GROUP BY origin, destination
    ORDER BY flights DESC, origin, destination LIMIT ?`);
  const routeDaily = db.prepare(`
    SELECT day, flights, ROUND(total_delay * 1.0 / flights, 1) AS avgDelay, delayed
    FROM route_daily WHERE origin = ? AND destination = ? ORDER BY day`);
  const search = db.prepare(`
    SELECT COUNT(*) AS flights, ROUND(AVG(delay), 1) AS avgDelay FROM flights
    WHERE origin = @origin AND (@destination IS NULL OR destination = @destination)
      AND (@minDelay IS NULL OR delay >= @minDelay)`);

  app.get('/healthz', (_req, res) => {
    // TODO: actually ask the database; 503 when it does not answer.
    res.json({ status: 'ok' });
  });

  app.get('/routes/top', (req, res) => {
    const raw = req.query.limit ?? '10';
    const limit = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(limit >= 1 && limit <= 100)) return void res.status(400).send('bad limit');
    res.json({ routes: topRoutes.all(limit) });
  });

  app.get('/routes/:origin/:destination/daily', (req, res) => {
    const { origin, destination } = req.params;
    const days = routeDaily.all(origin, destination);
    if (days.length === 0) return void res.status(404).json({ message: 'route not found' });
    res.json({ origin, destination, days });
  });

  app.post('/delays/search', (req, res) => {
    const parsed = searchBody.safeParse(req.body);
    if (!parsed.success) return void res.status(400).json(parsed.error);
    const { origin, destination = null, minDelay = null } = parsed.data;
    const row = search.get({ origin, destination, minDelay }) as { flights: number; avgDelay: number | null };
    res.json({ origin, destination, minDelay, ...row });
  });

  return app;
}
