// Flight delays API. The database is read-only and small, so createApp reads the per-route and
// per-day totals into memory once and every request is answered from those arrays: filtering,
// sorting and paging in TypeScript, stats added up from the additive columns and rounded from
// the integer totals.
import express, { type NextFunction, type Request, type Response } from 'express';
import type Database from 'better-sqlite3';

interface Totals {
  flights: number;
  total: number; // sum of delay_min
  delayed: number;
  max: number | null;
}
interface RouteRow extends Totals {
  origin: string;
  destination: string;
  distance: number;
}
interface DayRow extends Totals {
  day: string;
}

class BadParameter extends Error {
  constructor(readonly parameter: string, message: string) {
    super(message);
  }
}
class NotFound extends Error {}

/** n / d to one decimal, halves away from zero, in integers: floor((20|n| + d) / 2d) tenths. */
function tenths(n: number, d: number): number {
  const t = Math.floor((20 * Math.abs(n) + d) / (2 * d));
  return n < 0 ? -t / 10 : t / 10;
}

function stats(t: Totals) {
  const empty = t.flights === 0;
  return {
    flights: t.flights,
    avg_delay_min: empty ? null : tenths(t.total, t.flights),
    max_delay_min: empty ? null : t.max,
    delayed_flights: t.delayed,
    delayed_pct: empty ? null : tenths(100 * t.delayed, t.flights),
  };
}

// ---- query checking ------------------------------------------------------------------------

type Query = Record<string, unknown>;

function checkKnown(query: Query, allowed: readonly string[]): void {
  for (const [name, value] of Object.entries(query)) {
    if (!allowed.includes(name)) throw new BadParameter(name, `${name} is not a parameter of this endpoint`);
    if (typeof value !== 'string') throw new BadParameter(name, `${name} must be given once`);
  }
}

function single(query: Query, name: string): string | undefined {
  const v = query[name];
  return typeof v === 'string' ? v : undefined;
}

function wholeNumber(query: Query, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = single(query, name);
  if (raw === undefined) return fallback;
  if (raw.length === 0 || ![...raw].every((c) => c >= '0' && c <= '9')) {
    throw new BadParameter(name, `${name} must be a whole number written with digits`);
  }
  const n = Number(raw);
  if (n > Number.MAX_SAFE_INTEGER) throw new BadParameter(name, `${name} is out of range`);
  if (n < min) throw new BadParameter(name, `${name} must be at least ${min}`);
  if (n > max) throw new BadParameter(name, `${name} must be at most ${max}`);
  return n;
}

function airport(query: Query, name: string): string | undefined {
  const raw = single(query, name);
  if (raw === undefined) return undefined;
  if (!/^[A-Za-z]{3}$/.test(raw)) throw new BadParameter(name, `${name} must be a three-letter airport code`);
  return raw.toUpperCase();
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function calendarDate(query: Query, name: string): string | null {
  const raw = single(query, name);
  if (raw === undefined) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const last = mo === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[mo - 1];
    if (mo >= 1 && mo <= 12 && last !== undefined && d >= 1 && d <= last) return raw;
  }
  throw new BadParameter(name, `${name} must be a real date written YYYY-MM-DD`);
}

// ---- the app -------------------------------------------------------------------------------

const SORTS: Record<string, (a: RouteRow, b: RouteRow) => number> = {
  flights: (a, b) => b.flights - a.flights,
  // exact means compared by cross-multiplying the integer totals
  delay: (a, b) => b.total * a.flights - a.total * b.flights,
  route: () => 0,
};
const byKey = (a: RouteRow, b: RouteRow) =>
  a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : a.destination < b.destination ? -1 : a.destination > b.destination ? 1 : 0;

export function createApp(db: Database.Database): express.Express {
  const app = express();

  const routes = db.prepare(`
    SELECT origin, destination, distance_mi AS distance, flights, total_delay_min AS total,
           delayed_flights AS delayed, max_delay_min AS max
    FROM routes`).all() as RouteRow[];
  const routeByKey = new Map(routes.map((r) => [`${r.origin}-${r.destination}`, r]));
  const daysByKey = new Map<string, DayRow[]>();
  for (const row of db.prepare(`
      SELECT origin, destination, day, flights, total_delay_min AS total, delayed_flights AS delayed, max_delay_min AS max
      FROM route_daily ORDER BY origin, destination, day`).all() as (DayRow & { origin: string; destination: string })[]) {
    const key = `${row.origin}-${row.destination}`;
    let list = daysByKey.get(key);
    if (!list) daysByKey.set(key, (list = []));
    list.push({ day: row.day, flights: row.flights, total: row.total, delayed: row.delayed, max: row.max });
  }

  app.get('/routes', (req: Request, res: Response) => {
    const query = req.query as Query;
    checkKnown(query, ['origin', 'destination', 'min_flights', 'sort', 'limit', 'offset']);
    const origin = airport(query, 'origin');
    const destination = airport(query, 'destination');
    const minFlights = wholeNumber(query, 'min_flights', 1, 1);
    const sortName = single(query, 'sort') ?? 'flights';
    if (!Object.hasOwn(SORTS, sortName)) throw new BadParameter('sort', 'sort must be flights, delay or route');
    const limit = wholeNumber(query, 'limit', 20, 1, 100);
    const offset = wholeNumber(query, 'offset', 0, 0);

    const compare = SORTS[sortName]!;
    const matching = routes
      .filter((r) => (origin === undefined || r.origin === origin)
        && (destination === undefined || r.destination === destination)
        && r.flights >= minFlights)
      .sort((a, b) => compare(a, b) || byKey(a, b));
    const items = matching.slice(offset, offset + limit).map((r) => ({
      route: `${r.origin}-${r.destination}`,
      origin: r.origin,
      destination: r.destination,
      distance_mi: r.distance,
      ...stats(r),
    }));
    res.json({ items, total: matching.length, limit, offset });
  });

  app.get('/routes/:route', (req: Request<{ route: string }>, res: Response) => {
    const key = /^([A-Za-z]{3})-([A-Za-z]{3})$/.exec(req.params.route);
    if (!key) throw new BadParameter('route', 'the route key must be ORIGIN-DESTINATION, e.g. SFO-LAX');
    const query = req.query as Query;
    checkKnown(query, ['from', 'to']);
    const from = calendarDate(query, 'from');
    const to = calendarDate(query, 'to');
    if (from !== null && to !== null && to < from) throw new BadParameter('to', 'to must not be before from');

    const origin = key[1]!.toUpperCase();
    const destination = key[2]!.toUpperCase();
    const route = routeByKey.get(`${origin}-${destination}`);
    if (!route) throw new NotFound(`no flights from ${origin} to ${destination}`);

    const days = (daysByKey.get(`${origin}-${destination}`) ?? [])
      .filter((d) => (from === null || d.day >= from) && (to === null || d.day <= to));
    const sum: Totals = { flights: 0, total: 0, delayed: 0, max: null };
    for (const d of days) {
      sum.flights += d.flights;
      sum.total += d.total;
      sum.delayed += d.delayed;
      if (d.max !== null && (sum.max === null || d.max > sum.max)) sum.max = d.max;
    }
    res.json({
      route: `${origin}-${destination}`,
      origin,
      destination,
      distance_mi: route.distance,
      from,
      to,
      ...stats(sum),
      days: days.map((d) => ({ day: d.day, ...stats(d) })),
    });
  });

  app.use((req: Request) => {
    throw new NotFound(`nothing at ${req.method} ${req.path}`);
  });

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof BadParameter) return void res.status(400).json({ error: { parameter: err.parameter, message: err.message } });
    if (err instanceof URIError) {
      return void res.status(400).json({ error: { parameter: 'route', message: 'the route key is not valid percent-encoding' } });
    }
    if (err instanceof NotFound) return void res.status(404).json({ error: { message: err.message } });
    res.status(500).json({ error: { message: 'internal error' } });
  });

  return app;
}
