// The flight-delays API, made operable. This version keeps the request's context (id, start time, the
// cause of a failure) in an AsyncLocalStorage, validates the search body by hand instead of with zod,
// turns every error into a problem document in one function, and logs from the response's 'close' event.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type Database from 'better-sqlite3';

export type LogEntry = Record<string, unknown>;

export interface AppOptions {
  /** Receives one structured entry per request. */
  log?: (entry: LogEntry) => void;
}

interface Context {
  id: string;
  startedAt: bigint;
  cause?: unknown;
}

/** Thrown by routes: a status and a sentence that are safe for the client. */
interface ClientError {
  kind: 'client';
  status: number;
  detail: string;
  cause?: unknown;
}
const fail = (status: number, detail: string, cause?: unknown): ClientError => ({ kind: 'client', status, detail, cause });
const isClientError = (e: unknown): e is ClientError => typeof e === 'object' && e !== null && (e as ClientError).kind === 'client';

const ID_CHARS = /^[A-Za-z0-9._-]+$/;
const CODE = /^[A-Z]{3}$/;
const UNEXPECTED = 'Something went wrong on our side. Quote the request id when you report it.';

/** The search body, checked field by field; throws a 400 naming the field. */
function parseSearch(body: unknown): { origin: string; destination: string | null; minDelay: number | null } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw fail(400, 'the body must be a JSON object');
  const b = body as Record<string, unknown>;
  const extra = Object.keys(b).filter((k) => k !== 'origin' && k !== 'destination' && k !== 'minDelay');
  if (typeof b.origin !== 'string' || !CODE.test(b.origin)) throw fail(400, 'origin must be a 3-letter airport code in capitals');
  if ('destination' in b && (typeof b.destination !== 'string' || !CODE.test(b.destination))) {
    throw fail(400, 'destination, when given, must be a 3-letter airport code in capitals');
  }
  if ('minDelay' in b && !(typeof b.minDelay === 'number' && Number.isSafeInteger(b.minDelay))) {
    throw fail(400, 'minDelay, when given, must be an integer number of minutes');
  }
  if (extra.length > 0) throw fail(400, `unexpected field ${extra.map((k) => JSON.stringify(k)).join(', ')}: only origin, destination and minDelay are allowed`);
  return { origin: b.origin, destination: (b.destination as string | undefined) ?? null, minDelay: (b.minDelay as number | undefined) ?? null };
}

/** Maps anything thrown to [status, detail] that are safe to send. */
function classify(err: unknown): [number, string] {
  if (isClientError(err)) return [err.status, err.detail];
  // A path parameter Express could not percent-decode (/routes/%ZZ/LAX/daily) is the client's mistake.
  if (err instanceof URIError) return [400, 'the path is not valid percent-encoding'];
  const e = (typeof err === 'object' && err !== null ? err : {}) as { type?: string; status?: number; expose?: boolean; message?: string };
  if (e.type === 'entity.parse.failed') return [400, 'the body is not valid JSON'];
  if (e.type === 'entity.too.large') return [413, 'the body is over the 100 kB limit'];
  if (e.expose === true && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return [e.status, e.message ? `the request could not be read: ${e.message}` : 'the request could not be read'];
  }
  return [500, UNEXPECTED];
}

export function createApp(db: Database.Database, { log = (e) => console.log(JSON.stringify(e)) }: AppOptions = {}): express.Express {
  const als = new AsyncLocalStorage<Context>();
  const ctx = (): Context => als.getStore()!;
  const pathOnly = (url: string) => {
    const q = url.indexOf('?');
    return q === -1 ? url : url.slice(0, q);
  };

  const context: RequestHandler = (req, res, next) => {
    const sent = req.headers['x-request-id'];
    const id = typeof sent === 'string' && sent.length <= 128 && ID_CHARS.test(sent) ? sent : randomUUID();
    const store: Context = { id, startedAt: process.hrtime.bigint() };
    res.setHeader('X-Request-Id', id);
    const method = req.method;
    const path = pathOnly(req.originalUrl);
    let logged = false;
    res.on('close', () => {
      if (logged) return;
      logged = true;
      const status = res.statusCode;
      const entry: LogEntry = {
        level: status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info',
        requestId: id,
        method,
        path,
        status,
        durationMs: Number(process.hrtime.bigint() - store.startedAt) / 1e6,
      };
      if (status >= 500) {
        const cause = store.cause;
        entry.error = cause instanceof Error ? cause.message : typeof cause === 'string' ? cause : 'unknown failure';
        if (cause instanceof Error && cause.stack !== undefined) entry.stack = cause.stack;
      }
      log(entry);
    });
    als.run(store, next);
  };

  // Statements are prepared on first use, so a database that changes shape fails per request, not at start-up.
  const statements = new Map<string, Database.Statement>();
  const sql = (text: string): Database.Statement => {
    let s = statements.get(text);
    if (s === undefined) statements.set(text, (s = db.prepare(text)));
    return s;
  };
  const TOP = `
    SELECT origin, destination, SUM(flights) AS flights,
           ROUND(SUM(total_delay) * 1.0 / SUM(flights), 1) AS avgDelay
    FROM route_daily GROUP BY origin, destination
    ORDER BY flights DESC, origin, destination LIMIT ?`;
  const DAILY = `
    SELECT day, flights, ROUND(total_delay * 1.0 / flights, 1) AS avgDelay, delayed
    FROM route_daily WHERE origin = ? AND destination = ? ORDER BY day`;
  const SEARCH = `
    SELECT COUNT(*) AS flights, ROUND(AVG(delay), 1) AS avgDelay FROM flights
    WHERE origin = @origin AND (@destination IS NULL OR destination = @destination)
      AND (@minDelay IS NULL OR delay >= @minDelay)`;

  const problems: ErrorRequestHandler = (err, req, res, _next) => {
    const [status, detail] = classify(err);
    if (status >= 500) ctx().cause = isClientError(err) && err.cause !== undefined ? err.cause : err;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.statusCode = status;
    res.setHeader('Content-Type', 'application/problem+json; charset=utf-8');
    res.end(JSON.stringify({ type: 'about:blank', title: STATUS_CODES[status], status, detail, instance: pathOnly(req.originalUrl), requestId: ctx().id }));
  };

  const app = express();
  app.set('x-powered-by', false);
  app.use(context);
  app.use(express.json());

  app.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    try {
      db.pragma('schema_version', { simple: true });
    } catch (err) {
      throw fail(503, 'the database does not answer', err);
    }
    res.json({ status: 'ok' });
  });

  app.get('/routes/top', (req, res) => {
    const raw = req.query.limit ?? '10';
    const limit = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(limit >= 1 && limit <= 100)) throw fail(400, 'limit must be an integer from 1 to 100');
    res.json({ routes: sql(TOP).all(limit) });
  });

  app.get('/routes/:origin/:destination/daily', (req, res) => {
    const { origin, destination } = req.params;
    const days = sql(DAILY).all(origin, destination);
    if (days.length === 0) throw fail(404, `no flights from ${origin} to ${destination}`);
    res.json({ origin, destination, days });
  });

  app.post('/delays/search', (req, res) => {
    const { origin, destination, minDelay } = parseSearch(req.body);
    const row = sql(SEARCH).get({ origin, destination, minDelay }) as { flights: number; avgDelay: number | null };
    res.json({ origin, destination, minDelay, ...row });
  });

  app.all('/{*any}', (req) => {
    throw fail(404, `there is no ${req.method} ${pathOnly(req.originalUrl)} here`);
  });
  app.use(problems);
  return app;
}
