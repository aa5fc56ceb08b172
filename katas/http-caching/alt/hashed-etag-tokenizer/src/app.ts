// The flight-delays API, now served from a database that a pipeline reloads once a night.
// Style: the ETag is a SHA-256 of the run's version; If-None-Match is split on commas and each
// member trimmed and checked by hand (no regex), and the 200 body is written with res.end() so that
// Express's own freshness check (req.fresh inside res.send) never takes part.
import { createHash } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import type Database from 'better-sqlite3';

/** How long shared caches may reuse an aggregate response before revalidating: 5 minutes. */
export const MAX_AGE_SECONDS = 300;

interface PipelineRun {
  version: string;
  finished_at: string; // ISO 8601, UTC, e.g. '2001-04-01T06:00:00Z'
}

function entityTagFor(run: PipelineRun): string {
  return '"' + createHash('sha256').update(run.version, 'utf8').digest('hex').slice(0, 40) + '"';
}

/** Weak comparison: W/ is ignored on both sides, the quoted opaque tags must be identical. */
function opaque(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

function ifNoneMatchMatches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  const mine = opaque(etag);
  for (const member of header.split(',')) {
    const tag = member.trim();
    if (tag === '') continue;
    const candidate = opaque(tag);
    if (candidate.length >= 2 && candidate.startsWith('"') && candidate.endsWith('"') && candidate === mine) {
      return true;
    }
  }
  return false;
}

function notModifiedSince(header: string, lastModifiedMs: number): boolean {
  const since = Date.parse(header);
  if (Number.isNaN(since)) return false; // a date that does not parse is ignored
  return Math.floor(lastModifiedMs / 1000) <= Math.floor(since / 1000);
}

export function createApp(db: Database.Database): express.Express {
  const app = express();
  app.set('etag', false); // no body-hash ETags, on errors least of all

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

  /** Sends an aggregate (a 200 response whose body only changes when the pipeline reloads). */
  function sendAggregate(req: Request, res: Response, body: unknown): void {
    const run = latestRun.get() as PipelineRun; // read on every request: a reload must show at once
    const etag = entityTagFor(run);
    const lastModifiedMs = Date.parse(run.finished_at);
    res.setHeader('ETag', etag);
    res.setHeader('Last-Modified', new Date(lastModifiedMs).toUTCString());
    res.setHeader('Cache-Control', `public, max-age=${MAX_AGE_SECONDS}`);

    const inm = req.headers['if-none-match'];
    const ims = req.headers['if-modified-since'];
    const notModified =
      inm !== undefined ? ifNoneMatchMatches(inm, etag) : ims !== undefined && notModifiedSince(ims, lastModifiedMs);
    if (notModified) {
      res.status(304).end();
      return;
    }
    const json = JSON.stringify(body);
    res.status(200);
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(json));
    res.end(json); // on HEAD, Node sends the headers only
  }

  function sendError(res: Response, status: number, message: string): void {
    res.removeHeader('ETag');
    res.removeHeader('Last-Modified');
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
