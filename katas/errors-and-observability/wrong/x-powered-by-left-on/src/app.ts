// The flight-delays API, made operable: one error middleware answering RFC 9457 problem documents,
// request ids, one structured log entry per request, and a /healthz that asks the database.
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

/** An error a route decided on: its status and detail are safe to show the client. */
export class HttpError extends Error {
  constructor(readonly status: number, detail: string, options?: { cause?: unknown }) {
    super(detail, options);
    this.name = 'HttpError';
  }
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;
const INTERNAL = 'An unexpected error occurred; the request id identifies it in the logs.';

const searchBody = z
  .object({
    origin: z.string().regex(/^[A-Z]{3}$/, 'must be a 3-letter airport code'),
    destination: z.string().regex(/^[A-Z]{3}$/, 'must be a 3-letter airport code').optional(),
    minDelay: z.number().int().optional(),
  })
  .strict();

const pathOf = (req: Request): string => req.originalUrl.split('?')[0];

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unexpected field(s): ${issue.keys.join(', ')}`;
  if (issue.path.length === 0) return `body: ${issue.message}`;
  return `${issue.path.join('.')}: ${issue.message}`;
}

export function createApp(db: Database.Database, { log = (e) => console.log(JSON.stringify(e)) }: AppOptions = {}): express.Express {
  const app = express();

  // 1. request id
  app.use((req, res, next) => {
    const incoming = req.get('x-request-id');
    const id = incoming !== undefined && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = id;
    res.set('X-Request-Id', id);
    next();
  });

  // 2. one log entry per request, once the response is finished or the client went away ('close' fires in both cases)
  app.use((req, res, next) => {
    const started = performance.now();
    res.once('close', () => {
      const status = res.statusCode;
      const entry: LogEntry = {
        requestId: res.locals.requestId,
        method: req.method,
        path: pathOf(req),
        status,
        durationMs: performance.now() - started,
        level: status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info',
      };
      if (status >= 500) {
        const cause = res.locals.cause as unknown;
        entry.error = cause instanceof Error ? cause.message : String(cause ?? 'unknown error');
        if (cause instanceof Error && cause.stack) entry.stack = cause.stack;
      }
      log(entry);
    });
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
      throw new HttpError(503, 'the database is not answering', { cause: err });
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
    res.json({ origin, destination, days });
  });

  app.post('/delays/search', (req, res) => {
    const parsed = searchBody.safeParse(req.body);
    if (!parsed.success) throw new HttpError(400, describe(parsed.error.issues[0]));
    const { origin, destination = null, minDelay = null } = parsed.data;
    const row = search.get({ origin, destination, minDelay }) as { flights: number; avgDelay: number | null };
    res.json({ origin, destination, minDelay, ...row });
  });

  app.use((req) => {
    throw new HttpError(404, `no such endpoint: ${req.method} ${pathOf(req)}`);
  });

  // The one error path.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let status = 500;
    let detail = INTERNAL;
    if (err instanceof HttpError) {
      status = err.status;
      detail = err.message;
    } else if (err instanceof URIError) {
      // Express could not percent-decode a path parameter (/routes/%ZZ/LAX/daily): the client's mistake.
      status = 400;
      detail = 'the path is not valid percent-encoding';
    } else if (isExposed(err)) {
      status = err.status;
      detail =
        err.type === 'entity.parse.failed' ? 'the request body is not valid JSON'
        : err.type === 'entity.too.large' ? 'the request body is larger than 100 kB'
        : err.message || STATUS_CODES[status] || 'bad request';
    }
    if (status >= 500) res.locals.cause = err instanceof HttpError && err.cause !== undefined ? err.cause : err;
    if (res.headersSent) return void res.end();
    res.status(status).type('application/problem+json').json({
      type: 'about:blank',
      title: STATUS_CODES[status] ?? 'Error',
      status,
      detail,
      instance: pathOf(req),
      requestId: res.locals.requestId,
    });
  });

  return app;
}

/** body-parser's own errors: a 4xx status with expose === true. */
function isExposed(err: unknown): err is { status: number; expose: true; type?: string; message: string } {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { status?: unknown; expose?: unknown };
  return e.expose === true && typeof e.status === 'number' && e.status >= 400 && e.status < 500;
}
