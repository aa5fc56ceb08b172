// The flight-delays API, now served from a database that a pipeline reloads once a night.
// Style: route handlers return a result ({ error } or a lazy body); one wrapper evaluates the
// preconditions in RFC 9110 §13.2.2 order and only computes the aggregate when the answer is a 200.
// The ETag is the version itself when it is made of plain etag characters.
import express, { type Request, type Response } from 'express';
import type Database from 'better-sqlite3';

/** How long shared caches may reuse an aggregate response before revalidating: 5 minutes. */
export const MAX_AGE_SECONDS = 300;

interface PipelineRun {
  version: string;
  finished_at: string; // ISO 8601, UTC, e.g. '2001-04-01T06:00:00Z'
}

type Result = { status: 400 | 404; error: string } | { status: 200; body: () => unknown };

/** A strong entity-tag for a version: the version itself if it only holds etagc characters. */
export function entityTag(version: string): string {
  const plain = /^[\x21\x23-\x7d]+$/.test(version); // visible ASCII except '"' and '~' ('~' marks the encoded form)
  return `"${plain ? version : '~' + Buffer.from(version, 'utf8').toString('base64url')}"`;
}

function stripWeak(tag: string): string {
  return tag.replace(/^W\//, '');
}

/** RFC 9110 §13.1.2: true when the condition is false, i.e. the client's copy is current. */
function ifNoneMatchFails(fieldValue: string, etag: string): boolean {
  const members = fieldValue
    .split(/\s*,\s*/)
    .map((m) => m.trim())
    .filter(Boolean);
  if (members.length === 1 && members[0] === '*') return true;
  return members.some((m) => /^(W\/)?"[^"]*"$/.test(m) && stripWeak(m) === stripWeak(etag));
}

/** RFC 9110 §13.1.3: true when the representation has not been modified since the given date. */
function ifModifiedSinceFails(fieldValue: string, lastModifiedSeconds: number): boolean {
  const t = Date.parse(fieldValue);
  return !Number.isNaN(t) && lastModifiedSeconds <= Math.floor(t / 1000);
}

export function createApp(db: Database.Database): express.Express {
  const app = express();
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

  function respond(handler: (req: Request) => Result) {
    return (req: Request, res: Response) => {
      const result = handler(req);
      if (result.status !== 200) {
        res.status(result.status).set('Cache-Control', 'no-store').json({ error: result.error });
        return;
      }
      const run = latestRun.get() as PipelineRun;
      const etag = entityTag(run.version);
      const lastModified = new Date(run.finished_at);
      res.set('ETag', etag);
      res.set('Last-Modified', lastModified.toUTCString());
      res.set('Cache-Control', `public, max-age=${MAX_AGE_SECONDS}`);

      const inm = req.headers['if-none-match'];
      let notModified: boolean;
      if (inm !== undefined) notModified = ifNoneMatchFails(inm, etag); // step 3
      else {
        const ims = req.headers['if-modified-since']; // step 4: only without If-None-Match
        notModified = ims !== undefined && ifModifiedSinceFails(ims, Math.floor(lastModified.getTime() / 1000));
      }
      if (notModified) {
        res.sendStatus(304);
        return;
      }
      const payload = JSON.stringify(result.body());
      res.status(200).set('Content-Type', 'application/json; charset=utf-8').set('Content-Length', String(Buffer.byteLength(payload)));
      res.end(payload);
    };
  }

  app.get(
    '/routes/top',
    respond((req) => {
      const raw = req.query.limit ?? '10';
      const limit = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!(limit >= 1 && limit <= 100)) return { status: 400, error: 'limit must be an integer from 1 to 100' };
      return { status: 200, body: () => ({ routes: topRoutes.all(limit) }) };
    }),
  );

  app.get(
    '/routes/:origin/:destination/daily',
    respond((req) => {
      const origin = String(req.params.origin);
      const destination = String(req.params.destination);
      const days = routeDaily.all(origin, destination);
      if (days.length === 0) return { status: 404, error: `no flights from ${origin} to ${destination}` };
      return { status: 200, body: () => ({ origin, destination, days }) };
    }),
  );

  app.use(respond(() => ({ status: 404, error: 'not found' })));
  return app;
}
