// Stage 2's judge side: the learner's app served over a database the judge built with its own reference
// loader (a hidden month), and every expected answer computed here from the raw flights rows with the
// brief's rules: late = delay >= 15; late_share to 3 decimals and mean_delay to 1, halves away from zero,
// from the exact integer totals (BigInt arithmetic, not the learner's way of doing it).
import { request } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { loadSolution, type Host } from '@kata/harness';
import { referenceDb } from '../support/flights.js';

/** The month stage 2 is graded on (never in the learner's folder). */
export const MONTH = '2001-05';
export type Db = Database.Database;

export interface Started {
  url: string;
  host: Host;
  /** An airport with arrivals but no departures in the judge's database (the judge removed its departures). */
  arrivalsOnly: string;
  /** The judge's own read-only connection to the same file. */
  db: Db;
  close(): Promise<void>;
}

/** A fresh host serving the learner's createApp over a read-only handle on a copy of the month's database. */
export async function startApi(): Promise<Started> {
  const { module, host } = await loadSolution('src/api.ts');
  try {
    if (typeof (await module.createApp.$get()) !== 'function') throw new Error('src/api.ts must export a function createApp(db)');
    const file = await referenceDb([MONTH], host.tempDir);
    // The month without the departures of its quietest airport that has both: an airport known by its
    // arrivals only (README: unknown = no flight departs from it or arrives at it). Every expected answer
    // is computed from this same file.
    const edit = new Database(file);
    let arrivalsOnly: string;
    try {
      arrivalsOnly = edit
        .prepare('SELECT origin FROM flights WHERE origin IN (SELECT destination FROM flights) GROUP BY origin ORDER BY count(*), origin LIMIT 1')
        .pluck()
        .get() as string;
      edit.prepare('DELETE FROM flights WHERE origin = ?').run(arrivalsOnly);
    } finally {
      edit.close();
    }
    const db = new Database(file, { readonly: true });
    const appDb = await host.openDb(file, { readonly: true });
    const server = await host.serve(module.createApp(appDb));
    return {
      url: server.url,
      host,
      arrivalsOnly,
      db,
      close: async () => {
        await server.close();
        db.close();
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

/** GET over a fresh connection, with a 10 s answer limit. */
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
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${path} got no answer within 10 s: does every path send a response?`)));
    req.on('error', (err) => reject(new Error(`GET ${path} failed: ${err.message}`)));
    req.end();
  });
}

/** n / d rounded to `decimals`, halves away from zero, exactly (BigInt). */
export function rounded(n: number, d: number, decimals: number): number {
  const scale = 10n ** BigInt(decimals);
  const num = BigInt(Math.abs(n)) * scale;
  const den = BigInt(d);
  let units = num / den;
  if (2n * (num % den) >= den) units += 1n;
  const value = Number(units) / Number(scale);
  return n < 0 && value !== 0 ? -value : value;
}

export interface Totals {
  flights: number;
  late_flights: number;
  total_delay: number;
}
export const stats = (t: Totals) => ({
  flights: t.flights,
  late_flights: t.late_flights,
  late_share: t.flights ? rounded(t.late_flights, t.flights, 3) : null,
  mean_delay: t.flights ? rounded(t.total_delay, t.flights, 1) : null,
});

export interface RouteTotals extends Totals {
  origin: string;
  destination: string;
}
export interface Filters {
  origin?: string;
  destination?: string;
  from?: string;
  to?: string;
  min_flights?: number;
}

const totalsSql = 'count(*) AS flights, coalesce(sum(CASE WHEN delay >= 15 THEN 1 ELSE 0 END), 0) AS late_flights, coalesce(sum(delay), 0) AS total_delay';

const memo = new WeakMap<Db, Map<string, RouteTotals[]>>();
/** Route totals over the raw rows for the filters, in no particular order (a fresh array each call). */
export function routeTotals(db: Db, f: Filters = {}): RouteTotals[] {
  if (!memo.has(db)) memo.set(db, new Map());
  const key = JSON.stringify([f.origin, f.destination, f.from, f.to, f.min_flights]);
  const cached = memo.get(db)!.get(key);
  if (cached) return [...cached];
  // Only the conditions that apply, so SQLite can use the covering indexes (an `? IS NULL OR` form scans).
  const where = [
    f.origin !== undefined && 'origin = @origin',
    f.destination !== undefined && 'destination = @destination',
    f.from !== undefined && 'flight_date >= @from',
    f.to !== undefined && 'flight_date <= @to',
  ].filter(Boolean);
  const rows = db
    .prepare(`SELECT origin, destination, ${totalsSql} FROM flights ${where.length ? `WHERE ${where.join(' AND ')}` : ''} GROUP BY origin, destination`)
    .all(Object.fromEntries(Object.entries({ origin: f.origin, destination: f.destination, from: f.from, to: f.to }).filter(([, v]) => v !== undefined))) as RouteTotals[];
  const kept = rows.filter((r) => r.flights >= (f.min_flights ?? 1));
  memo.get(db)!.set(key, kept);
  return [...kept];
}

const byRoute = (a: RouteTotals, b: RouteTotals) => (a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : a.destination < b.destination ? -1 : a.destination > b.destination ? 1 : 0);
/** a/b vs c/d, exactly (cross-multiplied; the counts are small enough for doubles). */
const desc = (an: number, ad: number, bn: number, bd: number) => bn * ad - an * bd;
export const orders = {
  flights: (a: RouteTotals, b: RouteTotals) => b.flights - a.flights || byRoute(a, b),
  late_share: (a: RouteTotals, b: RouteTotals) => desc(a.late_flights, a.flights, b.late_flights, b.flights) || byRoute(a, b),
  mean_delay: (a: RouteTotals, b: RouteTotals) => desc(a.total_delay, a.flights, b.total_delay, b.flights) || byRoute(a, b),
  route: byRoute,
};
export type Sort = keyof typeof orders;

export const item = (r: RouteTotals) => ({ route: `${r.origin}-${r.destination}`, origin: r.origin, destination: r.destination, ...stats(r) });

/** The body of GET /routes for these filters, sort and page. */
export function routesPage(db: Db, f: Filters, sort: Sort = 'flights', limit = 20, offset = 0) {
  const all = routeTotals(db, f).sort(orders[sort]);
  return {
    items: all.slice(offset, offset + limit).map(item),
    total: all.length,
    limit,
    offset,
    next_offset: offset + limit < all.length ? offset + limit : null,
  };
}

/** The body of GET /airports/:code (code upper case) for a window. */
export function airport(db: Db, code: string, from?: string, to?: string) {
  const w = { code, from: from ?? '0000', to: to ?? '9999' };
  const side = (column: 'origin' | 'destination') =>
    stats(db.prepare(`SELECT ${totalsSql} FROM flights WHERE ${column} = @code AND flight_date >= @from AND flight_date <= @to`).get(w) as Totals);
  const top = db
    .prepare(`SELECT destination, count(*) AS flights FROM flights WHERE origin = @code AND flight_date >= @from AND flight_date <= @to GROUP BY destination`)
    .all(w) as { destination: string; flights: number }[];
  top.sort((a, b) => b.flights - a.flights || (a.destination < b.destination ? -1 : 1));
  return { airport: code, from: from ?? null, to: to ?? null, departures: side('origin'), arrivals: side('destination'), top_destinations: top.slice(0, 5) };
}

/** Compares two long lists item by item, so a failure shows the first difference, not 3,000 items. */
export function expectSameList(actual: unknown, expected: unknown[], what: string): void {
  expect(Array.isArray(actual), `${what}: expected a list, got ${JSON.stringify(actual)?.slice(0, 200)}`).toBe(true);
  const list = actual as unknown[];
  const n = Math.min(list.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (!isDeepStrictEqual(list[i], expected[i])) {
      expect({ index: i, item: list[i] }, `${what}: the first item that differs`).toEqual({ index: i, item: expected[i] });
    }
  }
  expect(list.length, `${what}: number of items`).toBe(expected.length);
}

/** A body that is a page of GET /routes: compares items one by one first, then the rest. */
export function expectPage(body: any, expected: ReturnType<typeof routesPage>, what: string): void {
  expect(typeof body === 'object' && body !== null, `${what}: the body should be a JSON object, got ${JSON.stringify(body)?.slice(0, 200)}`).toBe(true);
  expectSameList(body.items, expected.items, `${what}: items`);
  const { items: _i, ...rest } = body;
  const { items: _e, ...wanted } = expected;
  expect(rest, `${what}: the fields beside items`).toEqual(wanted);
}
