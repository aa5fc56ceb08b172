// Flight delays API: a read-only HTTP view of the pipeline's routes and route_daily tables.
//
// Three ideas carry it:
// - Validate every input at the edge with one schema per endpoint, and turn the first problem into a
//   400 that names the parameter. Nothing unvalidated reaches SQL; values are bound, never spliced.
// - Re-aggregate additive columns (flights, total_delay_min, delayed_flights) and derive averages and
//   percentages last: the mean of daily means is not the mean of the flights.
// - Round from the integer totals, halves away from zero, so 81 / 20 = 4.05 becomes 4.1 (the double
//   4.05 is 4.04999…, which is why ROUND(avg, 1) and toFixed(1) say 4.0).
import express, { type NextFunction, type Request, type Response } from 'express';
import type Database from 'better-sqlite3';
import { z } from 'zod';

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

/** A client error that names the query or path parameter at fault. */
class BadParameter extends Error {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
  }
}

class NotFound extends Error {}

// ---- input schemas --------------------------------------------------------------------------------

/** One query value: Express gives an array for `?a=1&a=2`, which no parameter accepts. */
const single = () => z.string({ error: 'must be given once, as a single value' });

const airportCode = single()
  .regex(/^[A-Za-z]{3}$/, 'must be a three-letter IATA airport code, e.g. SFO')
  .transform((code) => code.toUpperCase());

const wholeNumber = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  single()
    .regex(/^\d+$/, 'must be a whole number written with digits only')
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, `must be at least ${min}`)
        .max(max, `must be at most ${max}`),
    );

const calendarDate = single()
  .regex(/\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD')
  .transform((text) => text.slice(-10))
  .refine((text) => {
    const date = new Date(`${text}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
  }, 'is not a real calendar date');

/** The sort orders of GET /routes; every one ends with the route key, so pages never overlap. */
const ORDER_BY = {
  flights: 'flights DESC, origin, destination',
  delay: 'avg_delay_min DESC, origin, destination', // the exact mean: the stored REAL is total/flights
  route: 'origin, destination',
} as const;

const listQuery = z
  .object({
    origin: airportCode.optional(),
    destination: airportCode.optional(),
    min_flights: wholeNumber(1).default(1),
    sort: single()
      .refine((value): value is keyof typeof ORDER_BY => Object.hasOwn(ORDER_BY, value), {
        message: `must be one of ${Object.keys(ORDER_BY).join(', ')}`,
      })
      .default('flights'),
    limit: wholeNumber(1, MAX_LIMIT).default(DEFAULT_LIMIT),
    offset: wholeNumber(0).default(0),
  })
  .strict();

const routeQuery = z
  .object({ from: calendarDate.optional(), to: calendarDate.optional() })
  .strict()
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'must not be before from', path: ['to'] });

function parse<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    throw new BadParameter(issue.keys[0], `unknown parameter "${issue.keys[0]}"`);
  }
  const parameter = String(issue.path[0]);
  throw new BadParameter(parameter, `${parameter} ${issue.message}`);
}

function parseRouteKey(key: string): { origin: string; destination: string } {
  const match = /^([A-Za-z]{3})-([A-Za-z]{3})$/.exec(key);
  if (!match) throw new BadParameter('route', 'route must be ORIGIN-DESTINATION, e.g. SFO-LAX');
  return { origin: match[1].toUpperCase(), destination: match[2].toUpperCase() };
}

// ---- numbers --------------------------------------------------------------------------------------

/** numerator / denominator to one decimal, halves away from zero, exact for integer inputs. */
export function oneDecimal(numerator: number, denominator: number): number {
  // |n| * 10 / d is exactly k + 0.5 when the true quotient is a half, so Math.round decides it right.
  const tenths = Math.round((Math.abs(numerator) * 10) / denominator);
  return (Math.sign(numerator) * tenths) / 10 || 0;
}

interface Totals {
  flights: number;
  total_delay_min: number;
  max_delay_min: number | null;
  delayed_flights: number;
}

function stats(t: Totals) {
  const empty = t.flights === 0;
  return {
    flights: t.flights,
    avg_delay_min: empty ? null : oneDecimal(t.total_delay_min, t.flights),
    max_delay_min: empty ? null : t.max_delay_min,
    delayed_flights: t.delayed_flights,
    delayed_pct: empty ? null : oneDecimal(100 * t.delayed_flights, t.flights),
  };
}

// ---- the app --------------------------------------------------------------------------------------

interface RouteRow extends Totals {
  origin: string;
  destination: string;
  distance_mi: number;
}

interface DayRow extends Totals {
  day: string;
}

export function createApp(db: Database.Database): express.Express {
  const filters = `
    FROM routes
    WHERE (@origin IS NULL OR origin = @origin)
      AND (@destination IS NULL OR destination = @destination)
      AND flights >= @min_flights`;
  const columns = 'origin, destination, distance_mi, flights, total_delay_min, max_delay_min, delayed_flights';
  const countRoutes = db.prepare(`SELECT COUNT(*) AS total ${filters}`).pluck();
  const pageOf = Object.fromEntries(
    Object.entries(ORDER_BY).map(([sort, orderBy]) => [
      sort,
      db.prepare(`SELECT ${columns} ${filters} ORDER BY ${orderBy} LIMIT @limit OFFSET @offset`),
    ]),
  ) as Record<keyof typeof ORDER_BY, Database.Statement>;
  const routeByKey = db.prepare('SELECT origin, destination, distance_mi FROM routes WHERE origin = ? AND destination = ?');
  const daysOf = db.prepare(
    `SELECT day, flights, total_delay_min, max_delay_min, delayed_flights
       FROM route_daily
      WHERE origin = @origin AND destination = @destination AND day BETWEEN @from AND @to
      ORDER BY day`,
  );

  const summary = (row: RouteRow) => ({
    route: `${row.origin}-${row.destination}`,
    origin: row.origin,
    destination: row.destination,
    distance_mi: row.distance_mi,
    ...stats(row),
  });

  const app = express();
  app.disable('x-powered-by');

  app.get('/routes', (req: Request, res: Response) => {
    const q = parse(listQuery, req.query);
    const params = {
      origin: q.origin ?? null,
      destination: q.destination ?? null,
      min_flights: q.min_flights,
      limit: q.limit,
      offset: q.offset,
    };
    const rows = pageOf[q.sort].all(params) as RouteRow[];
    res.json({
      items: rows.map(summary),
      total: countRoutes.get(params) as number,
      limit: q.limit,
      offset: q.offset,
    });
  });

  app.get('/routes/:route', (req: Request<{ route: string }>, res: Response) => {
    const { origin, destination } = parseRouteKey(req.params.route);
    const q = parse(routeQuery, req.query);
    const route = routeByKey.get(origin, destination) as Omit<RouteRow, keyof Totals> | undefined;
    if (!route) throw new NotFound(`no flights from ${origin} to ${destination} in the data`);

    const days = daysOf.all({ origin, destination, from: q.from ?? '0000-01-01', to: q.to ?? '9999-12-31' }) as DayRow[];
    const totals = days.reduce<Totals>(
      (sum, d) => ({
        flights: sum.flights + d.flights,
        total_delay_min: sum.total_delay_min + d.total_delay_min,
        max_delay_min: Math.max(sum.max_delay_min ?? -Infinity, d.max_delay_min ?? -Infinity),
        delayed_flights: sum.delayed_flights + d.delayed_flights,
      }),
      { flights: 0, total_delay_min: 0, max_delay_min: null, delayed_flights: 0 },
    );
    res.json({
      route: `${origin}-${destination}`,
      origin,
      destination,
      distance_mi: route.distance_mi,
      from: q.from ?? null,
      to: q.to ?? null,
      ...stats(totals),
      days: days.map((d) => ({ day: d.day, ...stats(d) })),
    });
  });

  // Any other path: a JSON 404 too, not Express's HTML page ("All responses are JSON").
  app.use((req: Request) => {
    throw new NotFound(`no such endpoint: ${req.method} ${req.path}`);
  });

  app.use((thrown: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(thrown);
    // Express could not percent-decode the route key (/routes/%ZZ-LAX): a malformed key, not a server error.
    const err = thrown instanceof URIError ? new BadParameter('route', 'route must be ORIGIN-DESTINATION, e.g. SFO-LAX') : thrown;
    if (err instanceof BadParameter) {
      res.status(400).json({ error: { parameter: err.parameter, message: err.message } });
    } else if (err instanceof NotFound) {
      res.status(404).json({ error: { message: err.message } });
    } else {
      console.error(err);
      res.status(500).json({ error: { message: 'internal error' } });
    }
  });

  return app;
}
