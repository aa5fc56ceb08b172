// Flight delays API. README.md has the full contract.
import express, { type NextFunction, type Request, type Response } from 'express';
import type Database from 'better-sqlite3';

class InvalidParameter extends Error {
  readonly status = 400;
  constructor(readonly parameter: string, message: string) {
    super(message);
  }
}

/** A thin reader over the URL's own query string. */
class Query {
  private readonly params: URLSearchParams;

  constructor(url: string, allowed: readonly string[]) {
    const q = url.indexOf('?');
    this.params = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    for (const name of new Set(this.params.keys())) {
      if (!allowed.includes(name)) throw new InvalidParameter(name, `'${name}' is not a parameter of this endpoint`);
      if (this.params.getAll(name).length > 1) throw new InvalidParameter(name, `'${name}' is given more than once`);
    }
  }

  private raw(name: string): string | undefined {
    return this.params.get(name) ?? undefined;
  }

  airport(name: string): string | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    if (v.length !== 3 || !/^[A-Z]+$/i.test(v)) throw new InvalidParameter(name, `${name} is not a three-letter airport code`);
    return v.toUpperCase();
  }

  integer(name: string, fallback: number, min: number, max = Number.POSITIVE_INFINITY): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (v === '' || [...v].some((c) => c < '0' || c > '9')) throw new InvalidParameter(name, `${name} must be written with digits only`);
    const n = Number(v);
    if (n < min || n > max) {
      const range = max === Number.POSITIVE_INFINITY ? `at least ${min}` : `between ${min} and ${max}`;
      throw new InvalidParameter(name, `${name} must be ${range}`);
    }
    return n;
  }

  choice<T extends string>(name: string, fallback: T, options: readonly T[]): T {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const hit = options.find((o) => o === v);
    if (hit === undefined) throw new InvalidParameter(name, `${name} must be ${options.join(' or ')}`);
    return hit;
  }

  date(name: string): string | null {
    const v = this.raw(name);
    if (v === undefined) return null;
    const parts = /^(\d\d\d\d)-(\d\d)-(\d\d)$/.exec(v);
    if (parts) {
      const [y, m, d] = [+parts[1]!, +parts[2]!, +parts[3]!];
      const probe = new Date(0);
      probe.setUTCFullYear(y, m - 1, d);
      if (probe.getUTCFullYear() === y && probe.getUTCMonth() === m - 1 && probe.getUTCDate() === d) return v;
    }
    throw new InvalidParameter(name, `${name} must be a calendar date YYYY-MM-DD`);
  }
}

/** numerator / denominator to one decimal, halves away from zero, in integers only. */
function oneDecimal(numerator: number, denominator: number): number {
  const tenths = Math.floor((20 * Math.abs(numerator) + denominator) / (2 * denominator));
  return (numerator < 0 ? -tenths : tenths) / 10;
}

interface Sums {
  flights: number;
  total_delay_min: number;
  max_delay_min: number | null;
  delayed_flights: number;
}

const describeSums = (s: Sums) =>
  s.flights === 0
    ? { flights: 0, avg_delay_min: null, max_delay_min: null, delayed_flights: 0, delayed_pct: null }
    : {
        flights: s.flights,
        avg_delay_min: oneDecimal(s.total_delay_min, s.flights),
        max_delay_min: s.max_delay_min,
        delayed_flights: s.delayed_flights,
        delayed_pct: oneDecimal(100 * s.delayed_flights, s.flights),
      };

type Sort = 'flights' | 'delay' | 'route';
interface ListFilter {
  origin?: string;
  destination?: string;
  minFlights: number;
}
interface RouteRow extends Sums {
  origin: string;
  destination: string;
  distance_mi: number;
}

class RouteRepository {
  private static readonly ORDER: Record<Sort, string> = {
    flights: 'flights DESC, origin, destination',
    delay: 'total_delay_min * 1.0 / flights DESC, origin, destination',
    route: 'origin, destination',
  };

  constructor(private readonly db: Database.Database) {}

  private where(f: ListFilter): { sql: string; args: unknown[] } {
    const clauses = ['flights >= ?'];
    const args: unknown[] = [f.minFlights];
    if (f.origin) {
      clauses.push('origin = ?');
      args.push(f.origin);
    }
    if (f.destination) {
      clauses.push('destination = ?');
      args.push(f.destination);
    }
    return { sql: clauses.join(' AND '), args };
  }

  count(f: ListFilter): number {
    const w = this.where(f);
    return this.db.prepare(`SELECT COUNT(*) FROM routes WHERE ${w.sql}`).pluck().get(...w.args) as number;
  }

  page(f: ListFilter, sort: Sort, limit: number, offset: number): RouteRow[] {
    const w = this.where(f);
    return this.db
      .prepare(
        `SELECT origin, destination, distance_mi, flights, total_delay_min, max_delay_min, delayed_flights
           FROM routes WHERE ${w.sql} ORDER BY ${RouteRepository.ORDER[sort]} LIMIT ? OFFSET ?`,
      )
      .all(...w.args, limit, offset) as RouteRow[];
  }

  find(origin: string, destination: string): { distance_mi: number } | undefined {
    return this.db
      .prepare('SELECT distance_mi FROM routes WHERE origin = ? AND destination = ? AND flights > 0')
      .get(origin, destination) as { distance_mi: number } | undefined;
  }

  days(origin: string, destination: string, from: string | null, to: string | null): (Sums & { day: string })[] {
    return this.db
      .prepare(
        `SELECT day, flights, total_delay_min, max_delay_min, delayed_flights FROM route_daily
          WHERE origin = ? AND destination = ? AND day >= ? AND day <= ? ORDER BY day ASC`,
      )
      .all(origin, destination, from ?? '0000-00-00', to ?? '9999-12-31') as (Sums & { day: string })[];
  }

  windowSums(origin: string, destination: string, from: string | null, to: string | null): Sums {
    return this.db
      .prepare(
        `SELECT COALESCE(SUM(flights), 0) AS flights, COALESCE(SUM(total_delay_min), 0) AS total_delay_min,
                MAX(max_delay_min) AS max_delay_min, COALESCE(SUM(delayed_flights), 0) AS delayed_flights
           FROM route_daily WHERE origin = ? AND destination = ? AND day >= ? AND day <= ?`,
      )
      .get(origin, destination, from ?? '0000-00-00', to ?? '9999-12-31') as Sums;
  }
}

export function createApp(db: Database.Database): express.Express {
  const app = express();
  const repo = new RouteRepository(db);

  app.get('/routes', (req: Request, res: Response) => {
    const query = new Query(req.originalUrl, ['origin', 'destination', 'min_flights', 'sort', 'limit', 'offset']);
    const filter: ListFilter = {
      origin: query.airport('origin'),
      destination: query.airport('destination'),
      minFlights: query.integer('min_flights', 1, 1),
    };
    const sort = query.choice<Sort>('sort', 'flights', ['flights', 'delay', 'route']);
    const limit = query.integer('limit', 20, 1, 100);
    const offset = query.integer('offset', 0, 0);
    const total = repo.count(filter);
    const rows = offset >= total ? [] : repo.page(filter, sort, limit, offset);
    res.json({
      items: rows.map((r) => ({
        route: `${r.origin}-${r.destination}`,
        origin: r.origin,
        destination: r.destination,
        distance_mi: r.distance_mi,
        ...describeSums(r),
      })),
      total,
      limit,
      offset,
    });
  });

  app.get('/routes/:route', (req: Request<{ route: string }>, res: Response) => {
    const key = req.params.route.toUpperCase();
    if (!/^[A-Z]{3}-[A-Z]{3}$/.test(key)) throw new InvalidParameter('route', 'a route is written ORIGIN-DESTINATION');
    const query = new Query(req.originalUrl, ['from', 'to']);
    const from = query.date('from');
    const to = query.date('to');
    if (from !== null && to !== null && to < from) throw new InvalidParameter('to', 'to is before from');
    const [origin, destination] = key.split('-') as [string, string];
    const route = repo.find(origin, destination);
    if (route === undefined) {
      res.status(404).json({ error: { message: `no route ${key}` } });
      return;
    }
    res.json({
      route: key,
      origin,
      destination,
      distance_mi: route.distance_mi,
      from,
      to,
      ...describeSums(repo.windowSums(origin, destination, from, to)),
      days: repo.days(origin, destination, from, to).map(({ day, ...sums }) => ({ day, ...describeSums(sums) })),
    });
  });

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: { message: 'no such endpoint' } });
  });

  app.use((caught: unknown, _req: Request, res: Response, _next: NextFunction) => {
    // Express throws a URIError when it cannot decode the :route segment (/routes/SFO-LA%).
    const err = caught instanceof URIError ? new InvalidParameter('route', 'a route is written ORIGIN-DESTINATION') : caught;
    if (err instanceof InvalidParameter) {
      res.status(400).json({ error: { parameter: err.parameter, message: err.message } });
      return;
    }
    const status = typeof (err as { status?: unknown })?.status === 'number' ? (err as { status: number }).status : 500;
    res.status(status).json({ error: { message: status < 500 ? 'bad request' : 'internal error' } });
  });

  return app;
}
