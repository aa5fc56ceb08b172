// The flight-delays API made operable: every error leaves through one middleware as RFC 9457 problem
// details, every request carries an id (echoed in X-Request-Id, in error bodies and in the logs), every
// request produces exactly one structured log entry, and /healthz tells a load balancer whether the
// database answers.
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type Database from 'better-sqlite3';
import { z } from 'zod';

export type LogEntry = Record<string, unknown>;

export interface AppOptions {
  /** Receives one structured entry per request. */
  log?: (entry: LogEntry) => void;
}

/** An error whose status and detail are safe to show to the client. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(detail);
  }
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

const searchBody = z
  .object({
    origin: z.string().regex(/^[A-Z]{3}$/, 'must be a 3-letter airport code'),
    destination: z.string().regex(/^[A-Z]{3}$/, 'must be a 3-letter airport code').optional(),
    minDelay: z.number().int().optional(),
  })
  .strict();

export function createApp(db: Database.Database, { log = (e) => console.log(JSON.stringify(e)) }: AppOptions = {}): express.Express {
  const app = express();
  app.disable('x-powered-by');

  // Request id first, so that everything after it (logs, errors) can use it.
  app.use((req, res, next) => {
    const incoming = req.get('X-Request-Id');
    const id = incoming !== undefined && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = id;
    res.set('X-Request-Id', id);
    next();
  });

  // One log entry per request, written when the response is done (or the client went away).
  app.use((req, res, next) => {
    const started = performance.now();
    let logged = false;
    const done = () => {
      if (logged) return;
      logged = true;
      const status = res.statusCode;
      const cause = res.locals.error as Error | undefined;
      log({
        level: status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info',
        requestId: res.locals.requestId,
        method: req.method,
        path: req.path, // no query string: it may hold things that do not belong in logs
        status,
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
        ...(cause ? { error: cause.message, stack: cause.stack } : {}),
      });
    };
    res.once('finish', done);
    res.once('close', done);
    next();
  });

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
    res.set('Cache-Control', 'no-store');
    try {
      db.prepare('SELECT 1').get();
    } catch (err) {
      res.locals.error = err;
      throw new HttpError(503, 'the database is not answering');
    }
    res.json({ status: 'ok' });
  });

  app.get('/routes/top', (req, res) => {
    const raw = req.query.limit ?? '10';
    const limit = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(limit >= 1 && limit <= 100)) throw new HttpError(400, 'limit must be an integer from 1 to 100');
    res.json({ routes: topRoutes.all(limit) });
  });

  app.get('/routes/:origin/:destination/daily', (req, res) => {
    const { origin, destination } = req.params;
    const days = routeDaily.all(origin, destination);
    if (days.length === 0) throw new HttpError(404, `no flights from ${origin} to ${destination}`);
    res.json({ days });
  });

  app.post('/delays/search', (req, res) => {
    const parsed = searchBody.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new HttpError(400, `${issue.path.join('.') || 'body'}: ${issue.message}`);
    }
    const { origin, destination = null, minDelay = null } = parsed.data;
    const row = search.get({ origin, destination, minDelay }) as { flights: number; avgDelay: number | null };
    res.json({ origin, destination, minDelay, ...row });
  });

  app.use((req) => {
    throw new HttpError(404, `no such resource: ${req.method} ${req.path}`);
  });

  // The one place errors become responses.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let status = 500;
    let detail = 'An unexpected error occurred. Quote the request id when reporting it.';
    if (err instanceof HttpError) {
      ({ status, detail } = err);
    } else if (err instanceof URIError) {
      // Express could not percent-decode a path parameter (/routes/%ZZ/LAX/daily): the client's mistake.
      status = 400;
      detail = 'the path is not valid percent-encoding';
    } else if (isClientError(err)) {
      // Errors from Express's own middleware (malformed JSON, body too large) mark themselves safe to show.
      status = err.status;
      detail = err.message;
    }
    if (status >= 500 && !res.locals.error) res.locals.error = err;
    if (res.headersSent) return void res.destroy();
    res
      .status(status)
      .type('application/problem+json')
      .send(
        JSON.stringify({
          type: 'about:blank',
          title: STATUS_CODES[status] ?? 'Error',
          status,
          detail,
          instance: req.originalUrl.split('?')[0],
          requestId: res.locals.requestId,
        }),
      );
  });

  return app;
}

function isClientError(err: unknown): err is { status: number; message: string } {
  if (typeof err !== 'object' || err === null) return false;
  const { status, expose } = err as { status?: unknown; expose?: unknown };
  return typeof status === 'number' && status >= 400 && status < 500 && expose === true;
}
