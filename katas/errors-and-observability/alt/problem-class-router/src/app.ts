// The flight-delays API, made operable. This version models errors as a Problem class that knows how to
// render itself, mounts the data routes on an express.Router of async handlers that call next(problem),
// and keeps per-request state (id, start, cause) in res.locals.
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

/** An RFC 9457 problem the client may see. `cause` (never rendered) is what the logs get. */
class Problem extends Error {
  constructor(readonly status: number, readonly detail: string, cause?: unknown) {
    super(detail, { cause });
  }

  static internal(cause: unknown): Problem {
    return new Problem(500, 'The server failed to handle this request. It has been logged under the request id.', cause);
  }

  /** What an arbitrary thrown value becomes. */
  static from(err: unknown): Problem {
    if (err instanceof Problem) return err;
    // Express could not percent-decode a path parameter (/routes/%ZZ/LAX/daily): a malformed request.
    if (err instanceof URIError) return new Problem(400, 'The path is not valid percent-encoding.', err);
    const e = err as { type?: unknown; status?: unknown; expose?: unknown } | null;
    if (e?.type === 'entity.parse.failed') return new Problem(400, 'The request body is not well-formed JSON.', err);
    if (e?.type === 'entity.too.large') return new Problem(413, 'The request body is over 100 kB.', err);
    if (e?.expose === true && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      return new Problem(e.status, STATUS_CODES[e.status] ? `${STATUS_CODES[e.status]}: the request body could not be read.` : 'The request body could not be read.', err);
    }
    return Problem.internal(err);
  }

  render(req: Request, requestId: string) {
    return {
      type: 'about:blank',
      title: STATUS_CODES[this.status] ?? 'Unknown',
      status: this.status,
      detail: this.detail,
      instance: withoutQuery(req.originalUrl),
      requestId,
    };
  }
}

const withoutQuery = (url: string): string => url.replace(/\?[\s\S]*$/, '');
const validRequestId = (v: string | undefined): v is string => v !== undefined && /^[-._0-9A-Za-z]{1,128}$/.test(v);
const levelOf = (status: number): 'info' | 'warn' | 'error' => (status < 400 ? 'info' : status < 500 ? 'warn' : 'error');

const code = z.string().regex(/^[A-Z]{3}$/, 'must be a 3-letter airport code');
const searchBody = z.strictObject({
  origin: code,
  destination: code.optional(),
  minDelay: z.number().int().optional(),
});

function badBody(error: z.ZodError): Problem {
  const issue = error.issues[0];
  if (issue.code === 'unrecognized_keys') return new Problem(400, `Field ${issue.keys.map((k) => `"${k}"`).join(', ')} is not allowed.`);
  const field = issue.path.length > 0 ? `Field "${issue.path.join('.')}"` : 'The body';
  return new Problem(400, `${field} is invalid: ${issue.message}.`);
}

function dataRoutes(db: Database.Database): express.Router {
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

  const router = express.Router();
  router.get('/routes/top', async (req, res, next) => {
    const raw = req.query.limit ?? '10';
    const limit = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(limit >= 1 && limit <= 100)) return next(new Problem(400, 'The limit parameter must be an integer from 1 to 100.'));
    res.json({ routes: topRoutes.all(limit) });
  });
  router.get('/routes/:origin/:destination/daily', async (req, res, next) => {
    const { origin, destination } = req.params;
    const days = routeDaily.all(origin, destination);
    if (days.length === 0) return next(new Problem(404, `There are no flights from ${origin} to ${destination}.`));
    res.json({ origin, destination, days });
  });
  router.post('/delays/search', async (req, res, next) => {
    const parsed = searchBody.safeParse(req.body);
    if (!parsed.success) return next(badBody(parsed.error));
    const { origin, destination = null, minDelay = null } = parsed.data;
    const row = search.get({ origin, destination, minDelay }) as { flights: number; avgDelay: number | null };
    res.json({ origin, destination, minDelay, ...row });
  });
  return router;
}

export function createApp(db: Database.Database, { log = (e) => console.log(JSON.stringify(e)) }: AppOptions = {}): express.Express {
  const app = express();
  app.disable('x-powered-by');

  app.use((req: Request, res: Response, next: NextFunction) => {
    const header = req.header('X-Request-Id');
    const requestId = validRequestId(header) ? header : randomUUID();
    const startedAt = Date.now();
    const method = req.method;
    const path = withoutQuery(req.originalUrl);
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    // 'close' rather than 'finish': it also fires when the client hangs up before the response is done
    res.once('close', () => {
      const status = res.statusCode;
      const cause = (res.locals.problem as Problem | undefined)?.cause;
      log({
        requestId,
        method,
        path,
        status,
        durationMs: Math.max(0, Date.now() - startedAt),
        level: levelOf(status),
        ...(status >= 500
          ? { error: cause instanceof Error ? cause.message : String(cause), ...(cause instanceof Error ? { stack: cause.stack } : {}) }
          : {}),
      });
    });
    next();
  });

  app.use(express.json());

  app.get('/healthz', (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    try {
      db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get();
    } catch (err) {
      return next(new Problem(503, 'The database is not answering.', err));
    }
    res.json({ status: 'ok' });
  });

  app.use(dataRoutes(db));

  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new Problem(404, `No endpoint answers ${req.method} ${withoutQuery(req.originalUrl)}.`));
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const problem = Problem.from(err);
    res.locals.problem = problem;
    if (res.headersSent) return void res.destroy();
    res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem.render(req, res.locals.requestId)));
  });

  return app;
}
