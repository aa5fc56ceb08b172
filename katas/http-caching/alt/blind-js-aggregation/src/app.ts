// The flight-delays API, served from a database that a pipeline reloads once a night, made cacheable.
//
// Style of this version: SQL only fetches raw `route_daily` rows with plain SELECTs; grouping (Map),
// averaging, rounding and ordering happen in TypeScript. The data version (newest pipeline run) and the
// body are read inside one read transaction, so the validators always describe the body they go with.
import express, { type NextFunction, type Request, type Response } from 'express';
import type Database from 'better-sqlite3';

/** How long shared caches may reuse an aggregate response before revalidating: 5 minutes. */
export const MAX_AGE_SECONDS = 300;

const AGGREGATE_CACHE_CONTROL = `public, max-age=${MAX_AGE_SECONDS}`;

interface PipelineRun {
  version: string;
  finished_at: string; // ISO 8601, UTC, e.g. '2001-04-01T06:00:00Z'
}

interface RawRow {
  origin: string;
  destination: string;
  day: string;
  flights: number;
  total_delay: number;
  delayed: number;
}

interface Totals {
  flights: number;
  totalDelay: number;
  delayed: number;
}

/** The outcome of a handler, decided before anything is written to the socket. */
type Outcome = { kind: 'ok'; body: unknown; run: PipelineRun | undefined } | { kind: 'error'; status: number; message: string };

// ---------------------------------------------------------------------------------------------------
// Aggregation in TypeScript
// ---------------------------------------------------------------------------------------------------

/**
 * SQLite's ROUND(x, 1) on the double x: half away from zero, decided on the exact binary value of x.
 * Number.prototype.toFixed does exactly that (it rounds |x| with ties going up, then re-applies the sign).
 * A zero divisor gives NULL in SQL, so it gives null here.
 */
function avgDelay(totalDelay: number, flights: number): number | null {
  if (flights === 0) return null;
  const value = Number((totalDelay / flights).toFixed(1));
  return Number.isFinite(value) ? value : null;
}

/** SQLite's BINARY collation on ASCII text (and on any BMP text) is plain code-unit order. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function addTo(map: Map<string, Totals>, key: string, row: RawRow): void {
  const totals = map.get(key);
  if (totals) {
    totals.flights += row.flights;
    totals.totalDelay += row.total_delay;
    totals.delayed += row.delayed;
  } else {
    map.set(key, { flights: row.flights, totalDelay: row.total_delay, delayed: row.delayed });
  }
}

function dailyDays(rows: RawRow[]): { day: string; flights: number; avgDelay: number | null; delayed: number }[] {
  const byDay = new Map<string, Totals>();
  for (const row of rows) addTo(byDay, row.day, row);
  return [...byDay.entries()]
    .sort(([a], [b]) => compareText(a, b))
    .map(([day, t]) => ({ day, flights: t.flights, avgDelay: avgDelay(t.totalDelay, t.flights), delayed: t.delayed }));
}

function topRoutesOf(rows: RawRow[], limit: number) {
  const byRoute = new Map<string, Map<string, Totals>>();
  for (const row of rows) {
    let destinations = byRoute.get(row.origin);
    if (!destinations) byRoute.set(row.origin, (destinations = new Map()));
    addTo(destinations, row.destination, row);
  }
  const routes: { origin: string; destination: string; flights: number; totalDelay: number }[] = [];
  for (const [origin, destinations] of byRoute) {
    for (const [destination, t] of destinations) routes.push({ origin, destination, flights: t.flights, totalDelay: t.totalDelay });
  }
  routes.sort(
    (a, b) => b.flights - a.flights || compareText(a.origin, b.origin) || compareText(a.destination, b.destination),
  );
  return routes.slice(0, limit).map((r) => ({
    origin: r.origin,
    destination: r.destination,
    flights: r.flights,
    avgDelay: avgDelay(r.totalDelay, r.flights),
  }));
}

// ---------------------------------------------------------------------------------------------------
// Validators and preconditions
// ---------------------------------------------------------------------------------------------------

/** etagc = %x21 / %x23-7E: a version made only of those goes into the tag as is; anything else is encoded. */
function entityTagFor(version: string): string {
  const plain = /^[\x21\x23-\x7d]+$/.test(version); // '~' (0x7E) is kept for the encoded form
  const opaque = plain ? version : `~${Buffer.from(version, 'utf8').toString('base64url')}`;
  return `"${opaque}"`;
}

function httpDate(iso: string): string | undefined {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : new Date(ms).toUTCString();
}

/**
 * The members of an If-None-Match header: '*' when it is a lone '*', otherwise the opaque-tags (quotes
 * included, W/ dropped) of the members that are well-formed entity-tags. Malformed members are skipped.
 */
function ifNoneMatchTags(header: string): '*' | string[] {
  if (header.trim() === '*') return '*';
  const tags: string[] = [];
  const isOws = (c: string | undefined) => c === ' ' || c === '\t';
  let i = 0;
  const n = header.length;
  while (i < n) {
    while (isOws(header[i])) i++;
    if (i >= n) break;
    let tag: string | undefined;
    const open = header.startsWith('W/"', i) ? i + 2 : header[i] === '"' ? i : -1;
    if (open >= 0) {
      const close = header.indexOf('"', open + 1);
      if (close > 0) {
        let k = close + 1;
        while (isOws(header[k])) k++;
        if (k >= n || header[k] === ',') {
          tag = header.slice(open, close + 1);
          i = k;
        }
      }
    }
    if (tag === undefined) {
      const comma = header.indexOf(',', i);
      i = comma < 0 ? n : comma; // not an entity-tag: skip the member, it matches nothing
    } else {
      tags.push(tag);
    }
    if (header[i] === ',') i++;
  }
  return tags;
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** RFC 9110 §13.2.2 steps 3 and 4 for GET/HEAD: true when the answer is 304 Not Modified. */
function notModified(req: Request, etag: string | undefined, lastModified: string | undefined): boolean {
  const inm = singleHeader(req.headers['if-none-match']);
  if (inm !== undefined) {
    if (etag === undefined) return false;
    const tags = ifNoneMatchTags(inm);
    return tags === '*' || tags.includes(etag); // weak comparison: W/ already stripped, ours is strong
  }
  const ims = singleHeader(req.headers['if-modified-since']);
  if (ims === undefined || lastModified === undefined) return false;
  const since = Date.parse(ims);
  if (Number.isNaN(since)) return false;
  return Math.floor(Date.parse(lastModified) / 1000) <= Math.floor(since / 1000);
}

// ---------------------------------------------------------------------------------------------------
// The app
// ---------------------------------------------------------------------------------------------------

export function createApp(db: Database.Database): express.Express {
  const app = express();
  app.set('etag', false); // our validators are the data version, not a hash of each body
  app.set('x-powered-by', false);

  const allRows = db.prepare('SELECT origin, destination, flights, total_delay, delayed FROM route_daily');
  const routeRows = db.prepare(
    'SELECT origin, destination, day, flights, total_delay, delayed FROM route_daily WHERE origin = ? AND destination = ?',
  );
  const latestRun = db.prepare('SELECT version, finished_at FROM pipeline_runs ORDER BY id DESC LIMIT 1');

  /** Runs the read and the version lookup against one snapshot of the database. */
  const snapshot = <T>(read: () => T): T => db.transaction(read)();

  function sendError(res: Response, status: number, message: string): void {
    const payload = JSON.stringify({ error: message });
    res.status(status);
    res.removeHeader('ETag');
    res.removeHeader('Last-Modified');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(payload));
    res.end(payload);
  }

  function sendAggregate(req: Request, res: Response, body: unknown, run: PipelineRun | undefined): void {
    const etag = run ? entityTagFor(run.version) : undefined;
    const lastModified = run ? httpDate(run.finished_at) : undefined;
    if (etag) res.setHeader('ETag', etag);
    if (lastModified) res.setHeader('Last-Modified', lastModified);
    res.setHeader('Cache-Control', AGGREGATE_CACHE_CONTROL);

    if (notModified(req, etag, lastModified)) {
      res.status(304).end();
      return;
    }
    // Not res.json(): Express's own req.fresh check would second-guess the decision above.
    const payload = JSON.stringify(body);
    res.status(200);
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(payload));
    res.end(payload);
  }

  function respond(req: Request, res: Response, outcome: Outcome): void {
    if (outcome.kind === 'error') sendError(res, outcome.status, outcome.message);
    else sendAggregate(req, res, outcome.body, outcome.run);
  }

  app.get('/routes/top', (req, res) => {
    const raw = req.query.limit ?? '10';
    const limit = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(limit >= 1 && limit <= 100)) {
      return respond(req, res, { kind: 'error', status: 400, message: 'limit must be an integer from 1 to 100' });
    }
    const outcome = snapshot((): Outcome => {
      const routes = topRoutesOf(allRows.all() as RawRow[], limit);
      return { kind: 'ok', body: { routes }, run: latestRun.get() as PipelineRun | undefined };
    });
    respond(req, res, outcome);
  });

  app.get('/routes/:origin/:destination/daily', (req, res) => {
    const { origin, destination } = req.params as { origin: string; destination: string };
    const outcome = snapshot((): Outcome => {
      const rows = routeRows.all(origin, destination) as RawRow[];
      if (rows.length === 0) return { kind: 'error', status: 404, message: `no flights from ${origin} to ${destination}` };
      return { kind: 'ok', body: { origin, destination, days: dailyDays(rows) }, run: latestRun.get() as PipelineRun | undefined };
    });
    respond(req, res, outcome);
  });

  app.use((_req: Request, res: Response) => sendError(res, 404, 'not found'));

  // Malformed URLs (bad percent-encoding in a parameter) and anything unexpected: still a JSON error.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: unknown })?.status;
    const code = typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
    if (res.headersSent) return void res.end();
    sendError(res, code, code === 500 ? 'internal error' : 'bad request');
  });

  return app;
}
