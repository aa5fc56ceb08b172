// Stage 2 (api): route and airport stats over the flights table of stage 1.
//
// - Every input is validated at the edge (one zod schema per endpoint); the first problem becomes a 400
//   that names the field. Values are bound into SQL, never spliced; ORDER BY comes from a whitelist.
// - Stats are aggregated in SQL as integer totals (flights, late flights, summed delay) and derived last,
//   rounded from those integers with halves away from zero.
import express, { type NextFunction, type Request, type Response } from 'express';
import type Database from 'better-sqlite3';
import { z } from 'zod';

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;
export const LATE_MINUTES = 15;
export const TOP_DESTINATIONS = 5;

class BadField extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
class NotFound extends Error {}

// ---- input ----------------------------------------------------------------------------------------

const single = () => z.string({ error: 'must be given once' }).min(1, 'must not be empty');
const code = () =>
  single()
    .regex(/^[A-Za-z]{3}$/, 'must be a three-letter airport code, e.g. SFO')
    .transform((c) => c.toUpperCase());
const whole = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  single()
    .regex(/^\d+$/, 'must be a whole number written with digits')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
const day = () =>
  single()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
    .refine((t) => {
      const d = new Date(`${t}T00:00:00Z`);
      return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === t;
    }, 'is not a real calendar date');
const window = { from: day().optional(), to: day().optional() };
const toNotBeforeFrom = (q: { from?: string; to?: string }) => !q.from || !q.to || q.from <= q.to;

/** The sorts of GET /routes: each ends with the route, so the order is total. */
const ORDER_BY = {
  flights: 'flights DESC, origin, destination',
  late_share: 'CAST(late_flights AS REAL) / flights DESC, origin, destination',
  mean_delay: 'CAST(total_delay AS REAL) / flights DESC, origin, destination',
  route: 'origin, destination',
} as const;

const routesQuery = z
  .object({
    origin: code().optional(),
    destination: code().optional(),
    ...window,
    min_flights: whole(1).default(1),
    sort: single()
      .refine((s): s is keyof typeof ORDER_BY => Object.hasOwn(ORDER_BY, s), `must be one of ${Object.keys(ORDER_BY).join(', ')}`)
      .default('flights'),
    limit: whole(1, MAX_LIMIT).default(DEFAULT_LIMIT),
    offset: whole(0).default(0),
  })
  .strict()
  .refine(toNotBeforeFrom, { message: 'must not be before from', path: ['to'] });

const airportQuery = z.object(window).strict().refine(toNotBeforeFrom, { message: 'must not be before from', path: ['to'] });

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue.code === 'unrecognized_keys') throw new BadField(issue.keys[0], `unknown parameter ${issue.keys[0]}`);
  const field = String(issue.path[0]);
  throw new BadField(field, `${field} ${issue.message}`);
}

// ---- numbers --------------------------------------------------------------------------------------

/** numerator / denominator rounded to `decimals`, halves away from zero, exact for integers. */
export function roundQuotient(numerator: number, denominator: number, decimals: number): number {
  const scale = 10 ** decimals;
  // |n| * scale / d is exactly k + 0.5 when the true quotient is a half, so Math.round decides it right.
  const units = Math.round((Math.abs(numerator) * scale) / denominator);
  return (Math.sign(numerator) * units) / scale || 0;
}

interface Totals {
  flights: number;
  late_flights: number;
  total_delay: number;
}
const stats = (t: Totals) => ({
  flights: t.flights,
  late_flights: t.late_flights,
  late_share: t.flights ? roundQuotient(t.late_flights, t.flights, 3) : null,
  mean_delay: t.flights ? roundQuotient(t.total_delay, t.flights, 1) : null,
});

// ---- the app --------------------------------------------------------------------------------------

export function createApp(db: Database.Database): express.Express {
  const totals = `count(*) AS flights, coalesce(sum(delay >= ${LATE_MINUTES}), 0) AS late_flights, coalesce(sum(delay), 0) AS total_delay`;
  // One statement per combination of filters (at most 2^3 × 4 sorts), so each uses its index; the
  // conditions are fixed fragments, the values bound.
  const routeStatements = new Map<string, Database.Statement>();
  const routesFor = (q: { origin?: string; destination?: string; from?: string; to?: string }, sort: keyof typeof ORDER_BY) => {
    const where = [
      q.origin !== undefined && 'origin = @origin',
      q.destination !== undefined && 'destination = @destination',
      q.from !== undefined && 'flight_date >= @from',
      q.to !== undefined && 'flight_date <= @to',
    ].filter(Boolean);
    const sql = `SELECT origin, destination, ${totals} FROM flights ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      GROUP BY origin, destination HAVING count(*) >= @min_flights ORDER BY ${ORDER_BY[sort]}`;
    if (!routeStatements.has(sql)) routeStatements.set(sql, db.prepare(sql));
    return routeStatements.get(sql)!;
  };

  const known = db.prepare('SELECT EXISTS (SELECT 1 FROM flights WHERE origin = ?) OR EXISTS (SELECT 1 FROM flights WHERE destination = ?)').pluck();
  const departures = db.prepare(`SELECT ${totals} FROM flights WHERE origin = @code AND flight_date >= @from AND flight_date <= @to`);
  const arrivals = db.prepare(`SELECT ${totals} FROM flights WHERE destination = @code AND flight_date >= @from AND flight_date <= @to`);
  // Counted in JavaScript, in the order flights were inserted; sorted by count alone.
  const destinations = db.prepare('SELECT destination FROM flights WHERE origin = @code AND flight_date >= @from AND flight_date <= @to ORDER BY id').pluck();
  const top = {
    all: (params: Record<string, unknown>) => {
      const counts = new Map<string, number>();
      for (const d of destinations.all(params) as string[]) counts.set(d, (counts.get(d) ?? 0) + 1);
      return [...counts].map(([destination, flights]) => ({ destination, flights })).sort((a, b) => b.flights - a.flights).slice(0, TOP_DESTINATIONS);
    },
  };

  const app = express();
  app.disable('x-powered-by');

  app.get('/routes', (req: Request, res: Response) => {
    const q = parse(routesQuery, req.query);
    const { limit, offset, sort, ...filters } = q;
    // Every matching route, sorted (a few thousand at most): the page and the total from one query.
    const all = routesFor(filters, sort).all(filters) as (Totals & { origin: string; destination: string })[];
    const total = all.length;
    res.json({
      items: all.slice(offset, offset + limit).map((r) => ({ route: `${r.origin}-${r.destination}`, origin: r.origin, destination: r.destination, ...stats(r) })),
      total,
      limit,
      offset,
      next_offset: offset + limit < total ? offset + limit : null,
    });
  });

  app.get('/airports/:code', (req: Request<{ code: string }>, res: Response) => {
    const airport = parse(z.object({ code: code() }), req.params).code;
    const q = parse(airportQuery, req.query);
    if (!known.get(airport, airport)) throw new NotFound(`no flight departs from or arrives at ${airport}`);
    const params = { code: airport, from: q.from ?? '0000-01-01', to: q.to ?? '9999-12-31' };
    res.json({
      airport,
      from: q.from ?? null,
      to: q.to ?? null,
      departures: stats(departures.get(params) as Totals),
      arrivals: stats(arrivals.get(params) as Totals),
      top_destinations: top.all(params),
    });
  });

  app.use((_req: Request, _res: Response, next: NextFunction) => next(new NotFound('no such endpoint: GET /routes or GET /airports/:code')));
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof BadField) res.status(400).json({ error: { field: error.field, message: error.message } });
    // Express cannot percent-decode a broken escape in :code (/airports/%zz) and fails with a URIError.
    else if (error instanceof URIError) res.status(400).json({ error: { field: 'code', message: 'code must be a three-letter airport code, e.g. SFO' } });
    else if (error instanceof NotFound) res.status(404).json({ error: { message: error.message } });
    else res.status(500).json({ error: { message: 'internal error' } });
  });
  return app;
}
