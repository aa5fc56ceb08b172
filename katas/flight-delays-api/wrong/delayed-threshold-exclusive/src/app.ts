// Flight delays API. README.md has the full contract.
import express, { type NextFunction, type Request, type Response } from 'express';
import type Database from 'better-sqlite3';

type Raw = string | string[] | undefined;

class ParamError extends Error {
  constructor(readonly parameter: string, message: string) {
    super(message);
  }
}

type Check<T> = (name: string, value: string) => T;

const code: Check<string> = (name, v) => {
  if (!/^[a-zA-Z]{3}$/.test(v)) throw new ParamError(name, `${name} must be a three-letter airport code`);
  return v.toUpperCase();
};
const wholeNumber = (min: number, max = Infinity): Check<number> => (name, v) => {
  if (!/^[0-9]+$/.test(v)) throw new ParamError(name, `${name} must be a whole number written with digits`);
  const n = Number(v);
  if (n < min) throw new ParamError(name, `${name} must be at least ${min}`);
  if (n > max) throw new ParamError(name, `${name} must be at most ${max}`);
  return n;
};
const oneOf = <T extends string>(...values: T[]): Check<T> => (name, v) => {
  if (!(values as string[]).includes(v)) throw new ParamError(name, `${name} must be one of ${values.join(', ')}`);
  return v as T;
};
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const calendarDate: Check<string> = (name, v) => {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(v);
  const y = Number(m?.[1]);
  const mo = Number(m?.[2]);
  const d = Number(m?.[3]);
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const last = mo === 2 && leap ? 29 : DAYS[mo - 1];
  if (!m || last === undefined || d < 1 || d > last) throw new ParamError(name, `${name} must be a real date YYYY-MM-DD`);
  return v;
};

/** Reads req.query against a spec: unknown names, repeats and bad values become ParamErrors. */
function readQuery<S extends Record<string, { check: Check<unknown>; fallback?: unknown }>>(
  query: Record<string, Raw>,
  spec: S,
): { [K in keyof S]: ReturnType<S[K]['check']> | (S[K]['fallback'] extends undefined ? undefined : never) } {
  for (const name of Object.keys(query)) {
    if (!Object.hasOwn(spec, name)) throw new ParamError(name, `unknown query parameter '${name}'`);
  }
  const out: Record<string, unknown> = {};
  for (const [name, { check, fallback }] of Object.entries(spec)) {
    const raw = query[name];
    if (raw === undefined) out[name] = fallback;
    else if (typeof raw !== 'string') throw new ParamError(name, `${name} may be given only once`);
    else out[name] = check(name, raw);
  }
  return out as never;
}

// Stats columns computed in SQL from integer totals: half away from zero, exactly.
function statsSql(n: string, total: string, maxd: string, delayed: string): string {
  const round1 = (num: string) =>
    `CASE WHEN ${n} = 0 THEN NULL ELSE
       (CASE WHEN ${num} < 0 THEN -1 ELSE 1 END) * ((abs(${num}) * 20 + ${n}) / (2 * ${n})) / 10.0 END`;
  return `${n} AS flights,
          ${round1(total)} AS avg_delay_min,
          ${maxd} AS max_delay_min,
          ${delayed} AS delayed_flights,
          ${round1(`100 * ${delayed}`)} AS delayed_pct`;
}

const ORDERINGS = {
  flights: 'n DESC, origin ASC, destination ASC',
  delay: 'CAST(total AS REAL) / n DESC, origin ASC, destination ASC',
  route: 'origin ASC, destination ASC',
} as const;

export function createApp(db: Database.Database): express.Express {
  const app = express();

  const perRoute = `
    SELECT origin, destination, MAX(distance_mi) AS distance_mi, COUNT(*) AS n,
           SUM(delay_min) AS total, MAX(delay_min) AS maxd, SUM(delay_min > 15) AS delayed
      FROM flights
     WHERE (@origin IS NULL OR origin = @origin) AND (@destination IS NULL OR destination = @destination)
     GROUP BY origin, destination
    HAVING COUNT(*) >= @min_flights`;

  const pages = Object.fromEntries(
    (Object.keys(ORDERINGS) as (keyof typeof ORDERINGS)[]).map((sort) => [
      sort,
      db.prepare(`
        SELECT origin || '-' || destination AS route, origin, destination, distance_mi,
               ${statsSql('n', 'total', 'maxd', 'delayed')},
               COUNT(*) OVER () AS matching
          FROM (${perRoute})
         ORDER BY ${ORDERINGS[sort]}
         LIMIT @limit OFFSET @offset`),
    ]),
  ) as Record<keyof typeof ORDERINGS, Database.Statement>;
  const countRoutes = db.prepare(`SELECT COUNT(*) FROM (${perRoute})`).pluck();

  const routeDistance = db
    .prepare('SELECT MAX(distance_mi) FROM flights WHERE origin = ? AND destination = ?')
    .pluck();
  const windowDays = db.prepare(`
    SELECT day, ${statsSql('COUNT(*)', 'SUM(delay_min)', 'MAX(delay_min)', 'SUM(delay_min > 15)')}
      FROM flights
     WHERE origin = @origin AND destination = @destination
       AND day >= coalesce(@from, '') AND day <= coalesce(@to, '9999-99-99')
     GROUP BY day
     ORDER BY day`);
  const windowTotals = db.prepare(`
    SELECT ${statsSql('COUNT(*)', 'coalesce(SUM(delay_min), 0)', 'MAX(delay_min)', 'coalesce(SUM(delay_min > 15), 0)')}
      FROM flights
     WHERE origin = @origin AND destination = @destination
       AND day >= coalesce(@from, '') AND day <= coalesce(@to, '9999-99-99')`);

  app.get('/routes', (req: Request, res: Response) => {
    const q = readQuery(req.query as Record<string, Raw>, {
      origin: { check: code },
      destination: { check: code },
      min_flights: { check: wholeNumber(1), fallback: 1 },
      sort: { check: oneOf('flights', 'delay', 'route'), fallback: 'flights' },
      limit: { check: wholeNumber(1, 100), fallback: 20 },
      offset: { check: wholeNumber(0), fallback: 0 },
    });
    const params = {
      origin: q.origin ?? null,
      destination: q.destination ?? null,
      min_flights: q.min_flights,
      limit: q.limit,
      offset: Math.min(q.offset, Number.MAX_SAFE_INTEGER),
    };
    const rows = pages[q.sort as keyof typeof ORDERINGS].all(params) as { matching: number }[];
    const total = rows.length > 0 ? rows[0]!.matching : (countRoutes.get({ origin: params.origin, destination: params.destination, min_flights: params.min_flights }) as number);
    res.json({
      items: rows.map(({ matching: _drop, ...item }) => item),
      total,
      limit: q.limit,
      offset: q.offset,
    });
  });

  app.get('/routes/:route', (req: Request<{ route: string }>, res: Response) => {
    const m = /^([a-zA-Z]{3})-([a-zA-Z]{3})$/.exec(req.params.route);
    if (!m) throw new ParamError('route', 'route must be ORIGIN-DESTINATION, e.g. SFO-LAX');
    const q = readQuery(req.query as Record<string, Raw>, {
      from: { check: calendarDate },
      to: { check: calendarDate },
    });
    if (typeof q.from === 'string' && typeof q.to === 'string' && q.to < q.from) {
      throw new ParamError('to', 'to must be on or after from');
    }
    const origin = m[1]!.toUpperCase();
    const destination = m[2]!.toUpperCase();
    const distance = routeDistance.get(origin, destination) as number | null;
    if (distance === null) {
      res.status(404).json({ error: { message: `there are no flights from ${origin} to ${destination}` } });
      return;
    }
    const params = { origin, destination, from: q.from ?? null, to: q.to ?? null };
    const days = windowDays.all(params);
    const totals = windowTotals.get(params) as object;
    res.json({
      route: `${origin}-${destination}`,
      origin,
      destination,
      distance_mi: distance,
      from: params.from,
      to: params.to,
      ...totals,
      days,
    });
  });

  app.use((req: Request, res: Response) => {
    res.status(404).json({ error: { message: `${req.method} ${req.path} does not exist` } });
  });

  app.use((err: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof ParamError) {
      res.status(400).json({ error: { parameter: err.parameter, message: err.message } });
    } else if (err instanceof URIError) {
      // the route key is not valid percent-encoding (/routes/%ZZ-LAX): Express fails before the handler
      res.status(400).json({ error: { parameter: 'route', message: 'route is not valid percent-encoding' } });
    } else if (err.status && err.status < 500) {
      res.status(err.status).json({ error: { message: err.message || 'bad request' } });
    } else {
      res.status(500).json({ error: { message: 'internal server error' } });
    }
  });

  return app;
}
