// Stage 2 (api): route and airport stats over the flights table (stages/2-api.md).
// zod schemas over Express's parsed req.query; SQL only totals each route (one GROUP BY), and TypeScript
// filters by min_flights, sorts by the exact quotients (cross-multiplied integers) and slices the page.
import express from 'express';
import type Database from 'better-sqlite3';
import { z } from 'zod';

// Express's query parser gives a string for a parameter given once, an array for one given twice.
const single = <T extends z.ZodType<unknown, string>>(inner: T) =>
  z.string({ message: 'must be given once, as text' }).min(1, { message: 'must not be empty' }).pipe(inner);

const code = z
  .string()
  .regex(/^[A-Za-z]{3}$/, { message: 'must be a three-letter airport code' })
  .transform((s) => s.toUpperCase());

const date = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a date YYYY-MM-DD' })
  .refine(
    (s) => {
      const [y, m, d] = s.split('-').map(Number);
      const t = new Date(0);
      t.setUTCFullYear(y, m - 1, d);
      return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
    },
    { message: 'is not a real calendar date' },
  );

const whole = (min: number, max: number) =>
  z
    .string()
    .regex(/^[0-9]+$/, { message: 'must be a whole number written with digits' })
    .transform((s) => Number(s))
    .refine((n) => n >= min && n <= max, { message: `must be between ${min} and ${max}` });

const windowShape = { from: single(date).optional(), to: single(date).optional() };

const routesQuery = z
  .object({
    origin: single(code).optional(),
    destination: single(code).optional(),
    ...windowShape,
    min_flights: single(whole(1, Infinity)).optional(),
    sort: single(z.enum(['flights', 'late_share', 'mean_delay', 'route'])).optional(),
    limit: single(whole(1, 100)).optional(),
    offset: single(whole(0, Number.MAX_SAFE_INTEGER)).optional(),
  })
  .strict();

const airportQuery = z.object(windowShape).strict();

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly field?: string) {
    super(message);
  }
}

function parse<T>(schema: z.ZodType<T>, input: unknown, fieldPrefix?: string): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  let field: string;
  if (issue.code === 'unrecognized_keys') field = String(issue.keys[0]);
  else field = fieldPrefix ?? String(issue.path[0]);
  throw new HttpError(400, `${field} ${issue.message}`, field);
}

function checkWindow(w: { from?: string; to?: string }) {
  if (w.from !== undefined && w.to !== undefined && w.to < w.from) {
    throw new HttpError(400, `to ${w.to} is before from ${w.from}`, 'to');
  }
}

/** Halves away from zero: sign × floor((2|n|·10^k + d) / 2d) / 10^k, all in safe integers. */
function rounded(n: number, d: number, k: number): number {
  const scale = 10 ** k;
  const a = Math.abs(n) * scale;
  const q = (2 * a + d - ((2 * a + d) % (2 * d))) / (2 * d);
  return n < 0 && q !== 0 ? -q / scale : q / scale;
}

interface Agg {
  flights: number;
  late: number;
  sum: number;
}

const statsOf = ({ flights, late, sum }: Agg) => ({
  flights,
  late_flights: late,
  late_share: flights ? rounded(late, flights, 3) : null,
  mean_delay: flights ? rounded(sum, flights, 1) : null,
});

type RouteAgg = Agg & { origin: string; destination: string };

const byRoute = (a: RouteAgg, b: RouteAgg) =>
  a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : a.destination < b.destination ? -1 : a.destination > b.destination ? 1 : 0;

// a.x / a.flights vs b.x / b.flights, exactly: compare a.x * b.flights with b.x * a.flights.
const quotientDesc = (key: 'late' | 'sum') => (a: RouteAgg, b: RouteAgg) =>
  b[key] * a.flights - a[key] * b.flights || byRoute(a, b);

const comparators = {
  flights: (a: RouteAgg, b: RouteAgg) => b.flights - a.flights || byRoute(a, b),
  late_share: quotientDesc('late'),
  mean_delay: quotientDesc('sum'),
  route: byRoute,
};

export function createApp(db: Database.Database): express.Express {
  const app = express();
  const sumsSql = `COUNT(*) AS flights, COALESCE(SUM(CASE WHEN delay >= 15 THEN 1 ELSE 0 END), 0) AS late, COALESCE(SUM(delay), 0) AS sum`;

  app.get('/routes', (req, res) => {
    const q = parse(routesQuery, req.query);
    checkWindow(q);
    const conds: string[] = [];
    const args: string[] = [];
    if (q.origin) conds.push('origin = ?'), args.push(q.origin);
    if (q.destination) conds.push('destination = ?'), args.push(q.destination);
    if (q.from) conds.push('flight_date BETWEEN ? AND ?'), args.push(q.from, q.to ?? '9999-12-31');
    else if (q.to) conds.push('flight_date <= ?'), args.push(q.to);
    const sql = `SELECT origin, destination, ${sumsSql} FROM flights INDEXED BY flights_route
      ${conds.length ? 'WHERE ' + conds.join(' AND ') : ''} GROUP BY origin, destination`;
    const minFlights = q.min_flights ?? 1;
    const all = (db.prepare(sql).all(...args) as RouteAgg[]).filter((r) => r.flights >= minFlights);
    all.sort(comparators[q.sort ?? 'flights']);
    const limit = q.limit ?? 20;
    const offset = q.offset ?? 0;
    const page = offset < all.length ? all.slice(offset, offset + limit) : [];
    res.json({
      items: page.map((r) => ({ route: r.origin + '-' + r.destination, origin: r.origin, destination: r.destination, ...statsOf(r) })),
      total: all.length,
      limit,
      offset,
      next_offset: offset + limit < all.length ? offset + limit : null,
    });
  });

  const exists = db.prepare(`SELECT 1 FROM flights WHERE origin = ? UNION ALL SELECT 1 FROM flights WHERE destination = ? LIMIT 1`);

  app.get('/airports/:code', (req, res) => {
    const airport = parse(code, req.params.code, 'code');
    const w = parse(airportQuery, req.query);
    checkWindow(w);
    if (!exists.get(airport, airport)) throw new HttpError(404, `no flight departs from or arrives at ${airport}`);
    const lo = w.from ?? '';
    const hi = w.to ?? '\uffff';
    const side = (col: 'origin' | 'destination') =>
      db.prepare(`SELECT ${sumsSql} FROM flights WHERE ${col} = ? AND flight_date >= ? AND flight_date <= ?`).get(airport, lo, hi) as Agg;
    const top = db
      .prepare(`SELECT destination, COUNT(*) AS flights FROM flights WHERE origin = ? AND flight_date >= ? AND flight_date <= ?
        GROUP BY destination ORDER BY COUNT(*) DESC, destination ASC LIMIT 5`)
      .all(airport, lo, hi);
    res.json({
      airport,
      from: w.from ?? null,
      to: w.to ?? null,
      departures: statsOf(side('origin')),
      arrivals: statsOf(side('destination')),
      top_destinations: top,
    });
  });

  app.all('/{*rest}', () => {
    throw new HttpError(404, 'no such endpoint');
  });

  app.use((err: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    if (err instanceof HttpError) {
      res.status(err.status).json({ error: err.field === undefined ? { message: err.message } : { field: err.field, message: err.message } });
    } else if ((err as { status?: number }).status === 400 && req.path.startsWith('/airports/')) {
      res.status(400).json({ error: { field: 'code', message: 'the airport code cannot be decoded' } });
    } else {
      const status = (err as { status?: number }).status ?? 500;
      res.status(status).json({ error: { message: String((err as Error).message || 'error') } });
    }
  });
  return app;
}
