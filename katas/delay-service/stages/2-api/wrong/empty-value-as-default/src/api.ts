// Stage 2 (api): route and airport stats over the flights table (stages/2-api.md).
// SQL does the grouping, filtering, sorting and paging; TypeScript validates the raw query string by hand
// and rounds the exact integer quotients (halves away from zero) without floating-point rounding.
import express from 'express';
import type Database from 'better-sqlite3';

class BadInput extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

const MAX_OFFSET = Number.MAX_SAFE_INTEGER;
const SORTS = ['flights', 'late_share', 'mean_delay', 'route'] as const;
type Sort = (typeof SORTS)[number];

/** num / den rounded to `decimals` decimals, halves away from zero, from the exact integers. */
function roundQuotient(num: number, den: number, decimals: number): number {
  const scale = 10 ** decimals;
  const big = BigInt(num) * BigInt(scale);
  const d = BigInt(den);
  const neg = big < 0n;
  const a = neg ? -big : big;
  const k = (2n * a + d) / (2n * d); // floor(a/d + 1/2)
  const v = Number(k) / scale;
  return neg && v !== 0 ? -v : v;
}

interface Totals {
  flights: number;
  late: number | null;
  delay_sum: number | null;
}

function stats(t: Totals) {
  const n = t.flights;
  return {
    flights: n,
    late_flights: n === 0 ? 0 : (t.late ?? 0),
    late_share: n === 0 ? null : roundQuotient(t.late ?? 0, n, 3),
    mean_delay: n === 0 ? null : roundQuotient(t.delay_sum ?? 0, n, 1),
  };
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(m) ? 30 : 31;
}

function parseDate(field: string, v: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (!m) throw new BadInput(field, `${field} must be a date YYYY-MM-DD, got '${v}'`);
  const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) {
    throw new BadInput(field, `${field} is not a real calendar date: '${v}'`);
  }
  return v;
}

function parseWhole(field: string, v: string, min: number, max: number): number {
  if (!/^\d+$/.test(v)) throw new BadInput(field, `${field} must be a whole number, got '${v}'`);
  const n = Number(v);
  if (n < min || n > max) throw new BadInput(field, `${field} must be between ${min} and ${max}, got '${v}'`);
  return n;
}

function parseCode(field: string, v: string): string {
  if (!/^[A-Za-z]{3}$/.test(v)) throw new BadInput(field, `${field} must be a three-letter airport code, got '${v}'`);
  return v.toUpperCase();
}

/** The query string as a map, refusing unknown, repeated and empty parameters. */
function readQuery(url: string, allowed: readonly string[]): Map<string, string> {
  const q = url.indexOf('?');
  const params = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  const out = new Map<string, string>();
  for (const [key, value] of params) {
    if (!allowed.includes(key)) throw new BadInput(key, `unknown query parameter '${key}'`);
    if (out.has(key)) throw new BadInput(key, `${key} is given more than once`);
    if (value === '') continue;
    out.set(key, value);
  }
  return out;
}

function readWindow(q: Map<string, string>): { from: string | null; to: string | null } {
  const from = q.has('from') ? parseDate('from', q.get('from')!) : null;
  const to = q.has('to') ? parseDate('to', q.get('to')!) : null;
  if (from !== null && to !== null && to < from) throw new BadInput('to', `to (${to}) is before from (${from})`);
  return { from, to };
}

const ORDER: Record<Sort, string> = {
  flights: 'flights DESC, origin, destination',
  late_share: 'CAST(late AS REAL) / flights DESC, origin, destination',
  mean_delay: 'CAST(delay_sum AS REAL) / flights DESC, origin, destination',
  route: 'origin, destination',
};

export function createApp(db: Database.Database): express.Express {
  const app = express();

  const routeStatements = new Map<string, { page: Database.Statement; count: Database.Statement }>();
  function routeQuery(where: string[], sort: Sort) {
    const key = where.join(' AND ') + '|' + sort;
    let s = routeStatements.get(key);
    if (!s) {
      const grouped = `SELECT origin, destination, COUNT(*) AS flights, SUM(delay >= 15) AS late, SUM(delay) AS delay_sum
        FROM flights ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
        GROUP BY origin, destination HAVING COUNT(*) >= @min`;
      s = {
        page: db.prepare(`SELECT *, COUNT(*) OVER () AS total FROM (${grouped}) ORDER BY ${ORDER[sort]} LIMIT @limit OFFSET @offset`),
        count: db.prepare(`SELECT COUNT(*) AS n FROM (${grouped})`),
      };
      routeStatements.set(key, s);
    }
    return s;
  }

  app.get('/routes', (req, res) => {
    const q = readQuery(req.originalUrl, ['origin', 'destination', 'from', 'to', 'min_flights', 'sort', 'limit', 'offset']);
    const origin = q.has('origin') ? parseCode('origin', q.get('origin')!) : null;
    const destination = q.has('destination') ? parseCode('destination', q.get('destination')!) : null;
    const { from, to } = readWindow(q);
    const min = q.has('min_flights') ? parseWhole('min_flights', q.get('min_flights')!, 1, Infinity) : 1;
    const sortRaw = q.get('sort') ?? 'flights';
    if (!(SORTS as readonly string[]).includes(sortRaw)) {
      throw new BadInput('sort', `sort must be one of ${SORTS.join(', ')}, got '${sortRaw}'`);
    }
    const sort = sortRaw as Sort;
    const limit = q.has('limit') ? parseWhole('limit', q.get('limit')!, 1, 100) : 20;
    const offset = q.has('offset') ? parseWhole('offset', q.get('offset')!, 0, MAX_OFFSET) : 0;

    const where: string[] = [];
    const params: Record<string, unknown> = { min: Math.min(min, Number.MAX_SAFE_INTEGER), limit, offset: BigInt(offset) };
    if (origin) (where.push('origin = @origin'), (params.origin = origin));
    if (destination) (where.push('destination = @destination'), (params.destination = destination));
    // `+flight_date`: keep the planner on the covering (origin, destination, flight_date, delay) index
    // rather than the date index, which would need a temporary B-tree for the GROUP BY.
    if (from) (where.push('+flight_date >= @from'), (params.from = from));
    if (to) (where.push('+flight_date <= @to'), (params.to = to));
    const s = routeQuery(where, sort);
    const rows = s.page.all(params) as Array<Totals & { origin: string; destination: string; total: number }>;
    let total: number;
    if (rows.length > 0) total = rows[0].total;
    else {
      // A page past the end has no row to carry the total: count the routes on their own.
      const { limit: _l, offset: _o, ...countParams } = params;
      total = (s.count.get(countParams) as { n: number }).n;
    }
    res.json({
      items: rows.map((r) => ({ route: `${r.origin}-${r.destination}`, origin: r.origin, destination: r.destination, ...stats(r) })),
      total,
      limit,
      offset,
      next_offset: offset + limit < total ? offset + limit : null,
    });
  });

  const known = db.prepare(
    `SELECT EXISTS (SELECT 1 FROM flights WHERE origin = @code) OR EXISTS (SELECT 1 FROM flights WHERE destination = @code) AS ok`,
  );
  const departures = db.prepare(`SELECT COUNT(*) AS flights, SUM(delay >= 15) AS late, SUM(delay) AS delay_sum FROM flights
    WHERE origin = @code AND flight_date >= @from AND flight_date <= @to`);
  const arrivals = db.prepare(`SELECT COUNT(*) AS flights, SUM(delay >= 15) AS late, SUM(delay) AS delay_sum FROM flights
    WHERE destination = @code AND flight_date >= @from AND flight_date <= @to`);
  const top = db.prepare(`SELECT destination, COUNT(*) AS flights FROM flights
    WHERE origin = @code AND flight_date >= @from AND flight_date <= @to
    GROUP BY destination ORDER BY flights DESC, destination LIMIT 5`);

  app.get('/airports/:code', (req, res) => {
    const code = parseCode('code', req.params.code);
    const q = readQuery(req.originalUrl, ['from', 'to']);
    const { from, to } = readWindow(q);
    if (!(known.get({ code }) as { ok: number }).ok) {
      res.status(404).json({ error: { message: `unknown airport ${code}` } });
      return;
    }
    const p = { code, from: from ?? '0000-00-00', to: to ?? '9999-99-99' };
    res.json({
      airport: code,
      from,
      to,
      departures: stats(departures.get(p) as Totals),
      arrivals: stats(arrivals.get(p) as Totals),
      top_destinations: top.all(p),
    });
  });

  app.use((_req, res) => {
    res.status(404).json({ error: { message: 'not found' } });
  });
  app.use((err: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    if (err instanceof BadInput) {
      res.status(400).json({ error: { field: err.field, message: err.message } });
      return;
    }
    if ((err as { status?: unknown })?.status === 400 && req.path.startsWith('/airports/')) {
      // A path segment that cannot be percent-decoded is not a three-letter code either.
      res.status(400).json({ error: { field: 'code', message: 'the airport code cannot be decoded' } });
      return;
    }
    const status = typeof (err as { status?: unknown })?.status === 'number' ? (err as { status: number }).status : 500;
    res.status(status).json({ error: { message: err instanceof Error ? err.message || 'error' : 'error' } });
  });
  return app;
}
