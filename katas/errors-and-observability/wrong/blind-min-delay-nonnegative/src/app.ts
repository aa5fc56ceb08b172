// The flight-delays API, made operable: one error path answering RFC 9457 problem documents, request
// ids, one structured log entry per request, and a /healthz that asks the database.
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
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
    minDelay: z.number().int().nonnegative().optional(), // a delay filter below zero makes no sense
  })
  .strict();

/** What a handler reports when the client (or the situation) is at fault; the message is public. */
interface Refusal {
  refusal: true;
  status: number;
  detail: string;
  cause?: unknown;
}
const refuse = (status: number, detail: string, cause?: unknown): Refusal => ({ refusal: true, status, detail, cause });
const isRefusal = (x: unknown): x is Refusal => typeof x === 'object' && x !== null && (x as Refusal).refusal === true;

/** Per-request state, kept beside the request rather than on it. */
interface Context {
  id: string;
  started: bigint;
  cause?: unknown;
}
const contexts = new WeakMap<express.Request, Context>();

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

function describeBodyIssue(issues: z.core.$ZodIssue[]): string {
  const issue = issues[0];
  if (issue === undefined) return 'the body is not valid';
  if (issue.code === 'unrecognized_keys') return `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.path.length === 0) return 'the body must be a JSON object sent as application/json';
  const field = issue.path.map(String).join('.');
  if (field === 'minDelay') return 'field "minDelay" must be a safe integer, 0 or more';
  if (issue.code === 'invalid_type' && issue.input === undefined) return `field "${field}" is required`;
  return `field "${field}" ${issue.message}`;
}

function errorMessage(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return String(cause);
}

/** An Express handler around a function that returns the 200 body (or throws a Refusal). */
const handle = (fn: (req: express.Request, res: express.Response) => unknown): express.RequestHandler => (req, res) => {
  res.json(fn(req, res));
};

export function createApp(db: Database.Database, { log = (e) => console.log(JSON.stringify(e)) }: AppOptions = {}): express.Express {
  const app = express();
  app.disable('x-powered-by');

  // The request's id and start time, before anything can fail.
  app.use((req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const ctx: Context = { id, started: process.hrtime.bigint() };
    contexts.set(req, ctx);
    res.setHeader('X-Request-Id', id);

    let written = false;
    const write = () => {
      if (written) return;
      written = true;
      const status = res.statusCode;
      const entry: LogEntry = {
        requestId: id,
        method: req.method,
        path: req.path,
        status,
        durationMs: Number(process.hrtime.bigint() - ctx.started) / 1e6,
        level: status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info',
      };
      if (status >= 500) {
        entry.error = ctx.cause === undefined ? STATUS_CODES[status] ?? 'error' : errorMessage(ctx.cause);
        if (ctx.cause instanceof Error && ctx.cause.stack) entry.stack = ctx.cause.stack;
      }
      log(entry);
    };
    res.once('finish', write);
    res.once('close', write);
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

  app.get('/healthz', handle((_req, res) => {
    res.set('Cache-Control', 'no-store');
    try {
      db.prepare('SELECT 1').get();
    } catch (cause) {
      throw refuse(503, 'the database is not answering', cause);
    }
    return { status: 'ok' };
  }));

  app.get('/routes/top', handle((req) => {
    const raw = req.query.limit ?? '10';
    const limit = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(limit >= 1 && limit <= 100)) throw refuse(400, 'limit must be an integer from 1 to 100');
    return { routes: topRoutes.all(limit) };
  }));

  app.get('/routes/:origin/:destination/daily', handle((req) => {
    const { origin, destination } = req.params as { origin: string; destination: string };
    const days = routeDaily.all(origin, destination);
    if (days.length === 0) throw refuse(404, `no flights from ${origin} to ${destination}`);
    return { origin, destination, days };
  }));

  app.post('/delays/search', handle((req) => {
    const parsed = searchBody.safeParse(req.body);
    if (!parsed.success) throw refuse(400, describeBodyIssue(parsed.error.issues));
    const { origin, destination = null, minDelay = null } = parsed.data;
    const row = search.get({ origin, destination, minDelay }) as { flights: number; avgDelay: number | null };
    return { origin, destination, minDelay, ...row };
  }));

  app.use((req) => {
    throw refuse(404, `there is no ${req.method} ${req.path}`);
  });

  // The one way out for every error.
  app.use((err: unknown, req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (res.headersSent) return void next(err);
    let status = 500;
    let detail = 'something went wrong on our side; the request id will help us find it';
    const ctx = contexts.get(req);
    if (isRefusal(err)) {
      status = err.status;
      detail = err.detail;
      if (ctx && err.cause !== undefined) ctx.cause = err.cause;
    } else if (err instanceof URIError) {
      status = 400;
      detail = 'the path is not valid percent-encoding';
    } else if (typeof err === 'object' && err !== null && (err as { expose?: unknown }).expose === true) {
      const e = err as { status?: unknown; statusCode?: unknown; type?: unknown };
      const s = Number(e.status ?? e.statusCode);
      if (Number.isInteger(s) && s >= 400 && s < 500) {
        status = s;
        detail = e.type === 'entity.parse.failed' ? 'the body is not valid JSON'
          : e.type === 'entity.too.large' ? 'the body is larger than 100 kB'
          : `the request could not be read (${STATUS_CODES[s] ?? 'client error'})`;
      }
    }
    if (status >= 500 && ctx && ctx.cause === undefined) ctx.cause = err;
    const requestId = ctx?.id ?? String(res.getHeader('X-Request-Id') ?? '');
    res.status(status).type('application/problem+json').send(JSON.stringify({
      type: 'about:blank',
      title: STATUS_CODES[status] ?? 'Error',
      status,
      detail,
      instance: req.path,
      requestId,
    }));
  });

  return app;
}
