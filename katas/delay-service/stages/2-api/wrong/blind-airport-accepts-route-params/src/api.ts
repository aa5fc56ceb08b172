// Stage 2 (api): route and airport stats over the flights table (stages/2-api.md).
//
// Parameters are checked against a small table of hand-written parsers (no zod); a route list is one
// GROUP BY for the page (ORDER BY + LIMIT/OFFSET in SQL) and one COUNT over the same groups for the total;
// an airport is one pass over the flights leaving OR arriving at it, split by conditional sums.
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type Database from 'better-sqlite3';

const LATE = 15;
const MAX_OFFSET = 9007199254740991n;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

// ---- parsing --------------------------------------------------------------------------------------

type Parser<T> = (raw: string) => T;

const airportCode: Parser<string> = (raw) => {
  if (!/^[A-Za-z]{3}$/.test(raw)) throw new Error('must be a three-letter airport code');
  return raw.toUpperCase();
};

const calendarDay: Parser<string> = (raw) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(raw)) throw new Error('must be a date written YYYY-MM-DD');
  const t = Date.parse(`${raw}T00:00:00Z`);
  if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== raw) throw new Error('is not a real calendar date');
  return raw;
};

const wholeNumber =
  (min: bigint, max?: bigint): Parser<number> =>
  (raw) => {
    if (!/^\d+$/.test(raw)) throw new Error('must be a whole number written with digits');
    const n = BigInt(raw);
    if (n < min) throw new Error(`must be at least ${min}`);
    if (max !== undefined && n > max) throw new Error(`must be at most ${max}`);
    return n > MAX_OFFSET ? Number.MAX_SAFE_INTEGER + 1 : Number(n); // beyond any count anyway
  };

const SORTS = {
  flights: 'flights DESC, origin ASC, destination ASC',
  late_share: 'CAST(late_flights AS REAL) / flights DESC, origin ASC, destination ASC',
  mean_delay: 'CAST(total_delay AS REAL) / flights DESC, origin ASC, destination ASC',
  route: 'origin ASC, destination ASC',
} as const;
type Sort = keyof typeof SORTS;

const sortName: Parser<Sort> = (raw) => {
  if (!Object.prototype.hasOwnProperty.call(SORTS, raw)) throw new Error(`must be one of ${Object.keys(SORTS).join(', ')}`);
  return raw as Sort;
};

type Spec = Record<string, Parser<unknown>>;
type Parsed<S extends Spec> = { [K in keyof S]?: ReturnType<S[K]> };

/** Reads Express's query object against `spec`: unknown, repeated, empty or malformed values are 400s. */
function readQuery<S extends Spec>(query: unknown, spec: S): Parsed<S> {
  const out: Record<string, unknown> = {};
  const source = (query ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(source)) {
    if (!Object.prototype.hasOwnProperty.call(spec, key)) throw new HttpError(400, `unknown parameter ${key}`, key);
    const raw = source[key];
    if (typeof raw !== 'string') throw new HttpError(400, `${key} must be given once`, key);
    if (raw === '') throw new HttpError(400, `${key} must not be empty`, key);
    try {
      out[key] = spec[key](raw);
    } catch (error) {
      throw new HttpError(400, `${key} ${(error as Error).message}`, key);
    }
  }
  const { from, to } = out as { from?: string; to?: string };
  if (from !== undefined && to !== undefined && to < from) throw new HttpError(400, 'to must not be before from', 'to');
  return out as Parsed<S>;
}

const ROUTES_SPEC = {
  origin: airportCode,
  destination: airportCode,
  from: calendarDay,
  to: calendarDay,
  min_flights: wholeNumber(1n),
  sort: sortName,
  limit: wholeNumber(1n, 100n),
  offset: wholeNumber(0n, MAX_OFFSET),
};
const AIRPORT_SPEC = ROUTES_SPEC; // one list of known parameters for the whole API

// ---- numbers --------------------------------------------------------------------------------------

/** n / d (d > 0) to `decimals` places, halves away from zero, by integer long division. */
function divide(n: number, d: number, decimals: number): number {
  const scale = 10 ** decimals;
  const scaled = Math.abs(n) * scale; // an integer: |sum of delays| * 10 stays far below 2^53
  let units = Math.floor(scaled / d);
  const remainder = scaled - units * d;
  if (remainder * 2 >= d) units += 1;
  const value = units / scale;
  return n < 0 && units !== 0 ? -value : value;
}

interface Totals {
  flights: number;
  late_flights: number;
  total_delay: number;
}
const describe = ({ flights, late_flights, total_delay }: Totals) => ({
  flights,
  late_flights,
  late_share: flights === 0 ? null : divide(late_flights, flights, 3),
  mean_delay: flights === 0 ? null : divide(total_delay, flights, 1),
});

// ---- the app --------------------------------------------------------------------------------------

/** The Express app of the brief, reading `db` (opened read-only by the caller). Do not listen on a port. */
export function createApp(db: Database.Database): express.Express {
  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string) => {
    let s = statements.get(sql);
    if (!s) statements.set(sql, (s = db.prepare(sql)));
    return s;
  };

  const knownAirport = db
    .prepare('SELECT 1 WHERE EXISTS (SELECT 1 FROM flights WHERE origin = @code) OR EXISTS (SELECT 1 FROM flights WHERE destination = @code)')
    .pluck();
  const bothSides = db.prepare(`
    SELECT COUNT(CASE WHEN origin = @code THEN 1 END)                         AS dep_flights,
           COALESCE(SUM(CASE WHEN origin = @code THEN delay >= ${LATE} END), 0)     AS dep_late,
           COALESCE(SUM(CASE WHEN origin = @code THEN delay END), 0)               AS dep_delay,
           COUNT(CASE WHEN destination = @code THEN 1 END)                    AS arr_flights,
           COALESCE(SUM(CASE WHEN destination = @code THEN delay >= ${LATE} END), 0) AS arr_late,
           COALESCE(SUM(CASE WHEN destination = @code THEN delay END), 0)          AS arr_delay
      FROM flights
     WHERE (origin = @code OR destination = @code) AND flight_date BETWEEN @from AND @to`);
  const topDestinations = db.prepare(`
    SELECT destination, COUNT(*) AS flights FROM flights
     WHERE origin = @code AND flight_date BETWEEN @from AND @to
     GROUP BY destination ORDER BY flights DESC, destination ASC LIMIT 5`);

  const app = express();
  app.disable('x-powered-by');

  app.get('/routes', (req: Request, res: Response) => {
    const q = readQuery(req.query, ROUTES_SPEC);
    const limit = q.limit ?? 20;
    const offset = q.offset ?? 0;
    const sort = q.sort ?? 'flights';
    const params = {
      origin: q.origin ?? null,
      destination: q.destination ?? null,
      from: q.from ?? null,
      to: q.to ?? null,
      min_flights: q.min_flights ?? 1,
    };
    const conditions: string[] = [];
    if (q.origin !== undefined) conditions.push('origin = @origin');
    if (q.destination !== undefined) conditions.push('destination = @destination');
    if (q.from !== undefined) conditions.push('flight_date >= @from');
    if (q.to !== undefined) conditions.push('flight_date <= @to');
    const groups = `SELECT origin, destination, COUNT(*) AS flights, SUM(delay >= ${LATE}) AS late_flights, SUM(delay) AS total_delay
                      FROM flights ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
                     GROUP BY origin, destination HAVING COUNT(*) >= @min_flights`;
    const used = Object.fromEntries(
      Object.entries(params).filter(([k]) => k === 'min_flights' || (q as Record<string, unknown>)[k] !== undefined),
    );
    const total = prepared(`SELECT COUNT(*) FROM (${groups})`).pluck().get(used) as number;
    const rows =
      offset >= total
        ? []
        : (prepared(`${groups} ORDER BY ${SORTS[sort]} LIMIT @limit OFFSET @offset`).all({ ...used, limit, offset }) as (Totals & {
            origin: string;
            destination: string;
          })[]);
    res.json({
      items: rows.map((r) => ({ route: `${r.origin}-${r.destination}`, origin: r.origin, destination: r.destination, ...describe(r) })),
      total,
      limit,
      offset,
      next_offset: offset + limit < total ? offset + limit : null,
    });
  });

  app.get('/airports/:code', (req: Request<{ code: string }>, res: Response) => {
    let code: string;
    try {
      code = airportCode(req.params.code);
    } catch (error) {
      throw new HttpError(400, `code ${(error as Error).message}`, 'code');
    }
    const q = readQuery(req.query, AIRPORT_SPEC);
    if (knownAirport.get({ code }) === undefined) throw new HttpError(404, `no flight departs from or arrives at ${code}`);
    const window = { code, from: q.from ?? '0000-01-01', to: q.to ?? '9999-12-31' };
    const s = bothSides.get(window) as Record<string, number>;
    res.json({
      airport: code,
      from: q.from ?? null,
      to: q.to ?? null,
      departures: describe({ flights: s.dep_flights, late_flights: s.dep_late, total_delay: s.dep_delay }),
      arrivals: describe({ flights: s.arr_flights, late_flights: s.arr_late, total_delay: s.arr_delay }),
      top_destinations: topDestinations.all(window),
    });
  });

  app.use((req: Request) => {
    throw new HttpError(404, `no such endpoint: ${req.method} ${req.path}`);
  });

  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof HttpError) {
      res.status(error.status).json({ error: error.field === undefined ? { message: error.message } : { field: error.field, message: error.message } });
    } else if (error instanceof URIError || (error as { status?: number })?.status === 400) {
      // a path escape Express cannot decode (/airports/%zz): only :code is decoded
      res.status(400).json({ error: { field: 'code', message: 'code must be a three-letter airport code' } });
    } else {
      res.status(500).json({ error: { message: 'internal error' } });
    }
  });
  return app;
}
