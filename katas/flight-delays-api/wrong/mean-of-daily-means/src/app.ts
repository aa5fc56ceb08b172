// Flight delays API. README.md has the full contract.
import express, { type NextFunction, type Request, type Response } from 'express';
import type Database from 'better-sqlite3';
import { z } from 'zod';

class BadRequest extends Error {
  constructor(readonly parameter: string, message: string) {
    super(message);
  }
}

const airport = z.string().regex(/^[A-Za-z]{3}$/, 'must be a three-letter airport code').transform((s) => s.toUpperCase());
const whole = (name: string, min: number, max?: number) =>
  z
    .string()
    .regex(/^[0-9]+$/, `${name} must be a whole number`)
    .transform(Number)
    .refine((n) => n >= min, `${name} must be at least ${min}`)
    .refine((n) => max === undefined || n <= max, `${name} must be at most ${max}`);

const listQuery = z
  .object({
    origin: airport.optional(),
    destination: airport.optional(),
    min_flights: whole('min_flights', 1).default(1),
    sort: z.enum(['flights', 'delay', 'route']).default('flights'),
    limit: whole('limit', 1, 100).default(20),
    offset: whole('offset', 0).default(0),
  })
  .strict();

function isCalendarDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}
const calendarDate = z.string().refine(isCalendarDate, 'must be a real date YYYY-MM-DD');
const routeQuery = z.object({ from: calendarDate.optional(), to: calendarDate.optional() }).strict();

function parse<T extends z.ZodType>(schema: T, query: unknown): z.output<T> {
  const result = schema.safeParse(query);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    throw new BadRequest(issue.keys[0]!, `unknown query parameter ${issue.keys[0]}`);
  }
  const parameter = String(issue.path[0]);
  const message = issue.code === 'invalid_type' ? `${parameter} must be given exactly once` : issue.message;
  throw new BadRequest(parameter, message);
}

/** Round num / den to one decimal, halves away from zero, from the integers. */
function ratio1(num: number, den: number): number {
  const tenths = Math.round((Math.abs(num) * 10) / den);
  return (Math.sign(num) * tenths) / 10;
}

interface Totals {
  flights: number;
  total_delay_min: number;
  max_delay_min: number | null;
  delayed_flights: number;
}

function stats(t: Totals) {
  const none = t.flights === 0;
  return {
    flights: t.flights,
    avg_delay_min: none ? null : ratio1(t.total_delay_min, t.flights),
    max_delay_min: none ? null : t.max_delay_min,
    delayed_flights: t.delayed_flights,
    delayed_pct: none ? null : ratio1(100 * t.delayed_flights, t.flights),
  };
}

const ORDER_BY = {
  flights: 'flights DESC, origin, destination',
  delay: 'avg_delay_min DESC, origin, destination',
  route: 'origin, destination',
} as const;

export function createApp(db: Database.Database): express.Express {
  const app = express();

  app.get('/routes', (req: Request, res: Response) => {
    const q = parse(listQuery, req.query);
    const where: string[] = ['flights >= @min_flights'];
    if (q.origin !== undefined) where.push('origin = @origin');
    if (q.destination !== undefined) where.push('destination = @destination');
    const params = { origin: q.origin, destination: q.destination, min_flights: q.min_flights };
    const whereSql = where.join(' AND ');
    const total = db.prepare(`SELECT COUNT(*) FROM routes WHERE ${whereSql}`).pluck().get(params) as number;
    const rows = db
      .prepare(
        `SELECT origin, destination, distance_mi, flights, total_delay_min, max_delay_min, delayed_flights
           FROM routes WHERE ${whereSql}
          ORDER BY ${ORDER_BY[q.sort]}
          LIMIT @limit OFFSET @offset`,
      )
      .all({ ...params, limit: q.limit, offset: Math.min(q.offset, Number.MAX_SAFE_INTEGER) }) as (Totals & {
      origin: string;
      destination: string;
      distance_mi: number;
    })[];
    res.json({
      items: rows.map((r) => ({
        route: `${r.origin}-${r.destination}`,
        origin: r.origin,
        destination: r.destination,
        distance_mi: r.distance_mi,
        ...stats(r),
      })),
      total,
      limit: q.limit,
      offset: q.offset,
    });
  });

  app.get('/routes/:route', (req: Request<{ route: string }>, res: Response) => {
    const key = req.params.route;
    if (!/^[A-Za-z]{3}-[A-Za-z]{3}$/.test(key)) {
      throw new BadRequest('route', 'route must look like SFO-LAX');
    }
    const q = parse(routeQuery, req.query);
    if (q.from !== undefined && q.to !== undefined && q.to < q.from) {
      throw new BadRequest('to', 'to must not be before from');
    }
    const [origin, destination] = key.toUpperCase().split('-') as [string, string];
    const route = db
      .prepare('SELECT distance_mi FROM routes WHERE origin = ? AND destination = ? AND flights > 0')
      .get(origin, destination) as { distance_mi: number } | undefined;
    if (!route) {
      res.status(404).json({ error: { message: `no flights from ${origin} to ${destination}` } });
      return;
    }
    const window = { origin, destination, from: q.from ?? null, to: q.to ?? null };
    const days = db
      .prepare(
        `SELECT day, flights, total_delay_min, avg_delay_min, max_delay_min, delayed_flights
           FROM route_daily
          WHERE origin = @origin AND destination = @destination
            AND (@from IS NULL OR day >= @from)
            AND (@to IS NULL OR day <= @to)
          ORDER BY day`,
      )
      .all(window) as (Totals & { day: string; avg_delay_min: number })[];
    const total: Totals = { flights: 0, total_delay_min: 0, max_delay_min: null, delayed_flights: 0 };
    for (const d of days) {
      total.flights += d.flights;
      total.total_delay_min += d.total_delay_min;
      total.delayed_flights += d.delayed_flights;
      if (total.max_delay_min === null || (d.max_delay_min as number) > total.max_delay_min) total.max_delay_min = d.max_delay_min;
    }
    res.json({
      route: `${origin}-${destination}`,
      origin,
      destination,
      distance_mi: route.distance_mi,
      from: window.from,
      to: window.to,
      ...stats(total),
      avg_delay_min: days.length === 0 ? null : Math.sign(days.reduce((s, d) => s + d.avg_delay_min, 0)) * Math.round(Math.abs(days.reduce((s, d) => s + d.avg_delay_min, 0) / days.length) * 10) / 10,
      days: days.map((d) => ({ day: d.day, ...stats(d) })),
    });
  });

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: { message: 'not found' } });
  });

  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof BadRequest) {
      res.status(400).json({ error: { parameter: err.parameter, message: err.message } });
      return;
    }
    if (err instanceof URIError) {
      res.status(400).json({ error: { parameter: 'route', message: 'route must look like SFO-LAX' } });
      return;
    }
    const status = (err as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json({ error: { message: (err as Error).message || 'bad request' } });
      return;
    }
    res.status(500).json({ error: { message: 'internal error' } });
  });

  return app;
}
