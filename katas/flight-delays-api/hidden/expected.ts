// What the API should answer, computed straight from the raw `flights` table of flights.db (never from
// the pipeline's routes/route_daily aggregates, and never from the reference solution), with the
// README's rules: delayed = delay_min >= 15, averages and percentages to one decimal, halves away from
// zero, from the exact integer totals.
import { request } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { fixturePath, loadSolution, type Host } from '@kata/harness';

export type Db = Database.Database;

export function openFlightsDb(): Db {
  return new Database(fixturePath('flights.db'), { readonly: true, fileMustExist: true });
}

/** The learner's app, served by a fresh solution host over its own read-only handle on flights.db. */
export interface Started {
  url: string;
  host: Host;
  close(): Promise<void>;
}

export async function startApp(): Promise<Started> {
  const { module, host } = await loadSolution('src/app.ts');
  try {
    if (typeof (await module.createApp.$get()) !== 'function') throw new Error('src/app.ts must export a function createApp(db)');
    const db = await host.openDb(fixturePath('flights.db'), { readonly: true });
    const server = await host.serve(module.createApp(db));
    return {
      url: server.url,
      host,
      close: async () => {
        await server.close();
        await host.close();
      },
    };
  } catch (error) {
    await host.close().catch(() => undefined);
    throw error;
  }
}

export interface Reply {
  status: number;
  contentType: string;
  body: any;
}

/** GET over a fresh connection (no keep-alive pool to go stale), with a 5 s answer limit. */
export function get(server: { url: string }, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(server.url + path, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // left as text: the assertions show it
        }
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body });
      });
    });
    req.setTimeout(5000, () => req.destroy(new Error(`GET ${path} got no answer within 5 s: does every path send a response?`)));
    req.on('error', (err) => reject(new Error(`GET ${path} failed: ${err.message}`)));
    req.end();
  });
}

/** Compares two long lists item by item, so a failure shows the first difference, not 3,000 items. */
export function expectSameList(actual: unknown, expected: unknown[], what: string): void {
  expect(Array.isArray(actual), `${what}: expected a list, got ${JSON.stringify(actual)?.slice(0, 200)}`).toBe(true);
  const list = actual as unknown[];
  const n = Math.min(list.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (!isDeepStrictEqual(list[i], expected[i])) {
      expect(list[i], `${what}: item ${i} (0-based) is the first that differs`).toEqual(expected[i]);
    }
  }
  expect(list.length, `${what}: number of items`).toBe(expected.length);
}

/** A short description of a reply for assertion messages. */
export function shown(reply: Reply): string {
  const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  return `${reply.status} ${body.length > 200 ? body.slice(0, 200) + '…' : body}`;
}

/** numerator / denominator to one decimal, halves away from zero, in integer arithmetic. */
export function oneDecimal(numerator: number, denominator: number): number {
  const tenths = Math.floor((20 * Math.abs(numerator) + denominator) / (2 * denominator));
  return (Math.sign(numerator) * tenths) / 10 || 0;
}

/** True when numerator / denominator lies exactly halfway between two tenths. */
export function isTie(numerator: number, denominator: number): boolean {
  return (20 * Math.abs(numerator)) % (2 * denominator) === denominator;
}

export interface Totals {
  origin: string;
  destination: string;
  distance_mi: number;
  flights: number;
  total: number;
  max: number;
  delayed: number;
}

const totalsSql = `
  SELECT origin, destination, MAX(distance_mi) AS distance_mi, COUNT(*) AS flights,
         SUM(delay_min) AS total, MAX(delay_min) AS max, SUM(delay_min >= 15) AS delayed
    FROM flights`;

/** Every route's totals over the whole data. */
export function routeTotals(db: Db): Totals[] {
  return db.prepare(`${totalsSql} GROUP BY origin, destination`).all() as Totals[];
}

export function stats(t: { flights: number; total: number; max: number | null; delayed: number }) {
  const empty = t.flights === 0;
  return {
    flights: t.flights,
    avg_delay_min: empty ? null : oneDecimal(t.total, t.flights),
    max_delay_min: empty ? null : t.max,
    delayed_flights: t.delayed,
    delayed_pct: empty ? null : oneDecimal(100 * t.delayed, t.flights),
  };
}

export function summary(t: Totals) {
  return {
    route: `${t.origin}-${t.destination}`,
    origin: t.origin,
    destination: t.destination,
    distance_mi: t.distance_mi,
    ...stats(t),
  };
}

const byRoute = (a: Totals, b: Totals) =>
  a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : a.destination < b.destination ? -1 : a.destination > b.destination ? 1 : 0;

/** The README's orders; every one ends with the route key. */
export const orders: Record<'flights' | 'delay' | 'route', (a: Totals, b: Totals) => number> = {
  flights: (a, b) => b.flights - a.flights || byRoute(a, b),
  // exact comparison of total/flights without floating point: a.total/a.flights vs b.total/b.flights
  delay: (a, b) => b.total * a.flights - a.total * b.flights || byRoute(a, b),
  route: byRoute,
};

/** Compares a GET /routes/:route body: the route's fields first, then its days one by one. */
export function expectDetail(actual: any, expected: ReturnType<typeof routeDetail>, what: string): void {
  const { days: actualDays, ...actualRoute } = (actual ?? {}) as { days?: unknown };
  const { days, ...route } = expected;
  expect(actualRoute, `${what}: the route's fields (days aside)`).toEqual(route);
  expectSameList(actualDays, days, `${what}: days`);
}

/** The full detail body for one route and an optional inclusive day window. */
export function routeDetail(db: Db, origin: string, destination: string, from?: string, to?: string) {
  const lo = from ?? '0000-01-01';
  const hi = to ?? '9999-12-31';
  const where = 'WHERE origin = ? AND destination = ? AND day BETWEEN ? AND ?';
  const whole = db.prepare(`${totalsSql} WHERE origin = ? AND destination = ?`).get(origin, destination) as Totals;
  const window = db
    .prepare(`SELECT COUNT(*) AS flights, COALESCE(SUM(delay_min), 0) AS total, MAX(delay_min) AS max,
                     COALESCE(SUM(delay_min >= 15), 0) AS delayed FROM flights ${where}`)
    .get(origin, destination, lo, hi) as { flights: number; total: number; max: number | null; delayed: number };
  const days = db
    .prepare(`SELECT day, COUNT(*) AS flights, SUM(delay_min) AS total, MAX(delay_min) AS max,
                     SUM(delay_min >= 15) AS delayed FROM flights ${where} GROUP BY day ORDER BY day`)
    .all(origin, destination, lo, hi) as { day: string; flights: number; total: number; max: number; delayed: number }[];
  return {
    route: `${origin}-${destination}`,
    origin,
    destination,
    distance_mi: whole.distance_mi,
    from: from ?? null,
    to: to ?? null,
    ...stats(window),
    days: days.map((d) => ({ day: d.day, ...stats(d) })),
  };
}
