// Stage 2: GET /routes on a hidden month (May 2001): fields, filters, sorts, paging and rounding, each
// answer compared with one computed by the judge from the raw rows.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectPage, get, MONTH, rounded, routeTotals, routesPage, startApi, stats, type Db, type RouteTotals, type Started } from './expected';

let api: Started;
let db: Db;
beforeAll(async () => {
  api = await startApi();
  db = api.db;
}, 120_000);
afterAll(async () => {
  await api?.close();
});

const day = (d: number) => `${MONTH}-${String(d).padStart(2, '0')}`;
/** Airports by departures in the month: [busiest, ..., quietest]. */
const airportsByDepartures = () =>
  (db.prepare('SELECT origin, count(*) AS n FROM flights GROUP BY origin ORDER BY n DESC, origin').all() as { origin: string; n: number }[]).map((r) => r.origin);

async function expectRoutes(query: string, expected: ReturnType<typeof routesPage>) {
  const reply = await get(api, `/routes${query}`);
  expect(reply.status, `GET /routes${query}: status (body ${JSON.stringify(reply.body).slice(0, 200)})`).toBe(200);
  expect(reply.contentType, `GET /routes${query}: Content-Type`).toMatch(/^application\/json/);
  expectPage(reply.body, expected, `GET /routes${query}`);
}

describe('GET /routes', () => {
  test('the default page: the 20 routes with the most flights of the whole table', async () => {
    await expectRoutes('', routesPage(db, {}));
  });

  test('filters: origin and destination in any case, min_flights, and a from/to window of days', async () => {
    const airports = airportsByDepartures();
    const mid = airports[Math.floor(airports.length / 4)];
    const busiest = airports[0];
    await expectRoutes(`?origin=${mid.toLowerCase()}`, routesPage(db, { origin: mid }));
    await expectRoutes(`?destination=${busiest}&limit=50`, routesPage(db, { destination: busiest }, 'flights', 50));
    await expectRoutes(`?origin=${busiest}&destination=${mid.toLowerCase()}`, routesPage(db, { origin: busiest, destination: mid }));
    await expectRoutes('?min_flights=300&limit=100', routesPage(db, { min_flights: 300 }, 'flights', 100));
    await expectRoutes(`?from=${day(7)}&to=${day(9)}&min_flights=20`, routesPage(db, { from: day(7), to: day(9), min_flights: 20 }));
    await expectRoutes(`?from=${day(30)}`, routesPage(db, { from: day(30) }));
    await expectRoutes(`?to=${day(1)}&origin=${busiest}`, routesPage(db, { to: day(1), origin: busiest }));
    await expectRoutes(`?from=${day(12)}&to=${day(12)}&destination=${mid}`, routesPage(db, { from: day(12), to: day(12), destination: mid }));
  });

  test('a filter that matches nothing is an empty page, not an error', async () => {
    await expectRoutes('?origin=QQQ', routesPage(db, { origin: 'QQQ' }));
    await expectRoutes('?from=2001-12-01', routesPage(db, { from: '2001-12-01' }));
    await expectRoutes('?min_flights=100000', routesPage(db, { min_flights: 100000 }));
  });

  test('each sort orders by its exact value, most first, and breaks ties by origin, then destination', async () => {
    const w = { from: day(14), to: day(15), min_flights: 3 };
    for (const sort of ['flights', 'late_share', 'mean_delay', 'route'] as const) {
      await expectRoutes(`?from=${w.from}&to=${w.to}&min_flights=3&sort=${sort}&limit=40`, routesPage(db, w, sort, 40));
      await expectRoutes(`?from=${w.from}&to=${w.to}&min_flights=3&sort=${sort}&limit=25&offset=311`, routesPage(db, w, sort, 25, 311));
    }
    await expectRoutes('?sort=late_share&min_flights=100&limit=30', routesPage(db, { min_flights: 100 }, 'late_share', 30));
    await expectRoutes('?sort=mean_delay&limit=30&offset=1000', routesPage(db, {}, 'mean_delay', 30, 1000));
  });

  test('walking the pages by next_offset visits every route once, and the last page says next_offset: null', async () => {
    const airports = airportsByDepartures();
    const origin = airports[Math.floor(airports.length / 3)];
    const all = routesPage(db, { origin }, 'late_share', 1000).items;
    expect(all.length, `(judge) routes from ${origin}`).toBeGreaterThan(7);
    const seen: unknown[] = [];
    let offset: number | null = 0;
    let pages = 0;
    while (offset !== null && pages++ < 100) {
      const query = `?origin=${origin}&sort=late_share&limit=7${offset ? `&offset=${offset}` : ''}`;
      const reply = await get(api, `/routes${query}`);
      expect(reply.status, `GET /routes${query}: status`).toBe(200);
      expectPage(reply.body, routesPage(db, { origin }, 'late_share', 7, offset), `GET /routes${query}`);
      seen.push(...reply.body.items);
      offset = reply.body.next_offset;
    }
    expect(seen, `every route from ${origin}, page after page`).toEqual(all);
    // A page that ends exactly at total is the last one: next_offset null (no routes remain after it).
    await expectRoutes(`?origin=${origin}&sort=late_share&limit=7&offset=${all.length - 7}`, routesPage(db, { origin }, 'late_share', 7, all.length - 7));
    await expectRoutes(`?origin=${origin}&limit=7&offset=${all.length}`, routesPage(db, { origin }, 'flights', 7, all.length));
    await expectRoutes(`?origin=${origin}&limit=100&offset=5000`, routesPage(db, { origin }, 'flights', 100, 5000));
  });

  test('rounding: from the exact quotient of the totals, halves away from zero (negative means too)', async () => {
    const sqliteRound = db.prepare('SELECT round(?, ?)').pluck();
    // Route-days of the month where the usual shortcuts give another answer than exact rounding: the double
    // of the quotient rounded by toFixed (as SQLite's ROUND does), Math.round (halves up, so -4.75 → -4.7),
    // and a late share whose exact value ends in 5 at the fourth decimal.
    const shortcuts: Record<string, (r: RouteTotals) => boolean> = {
      'toFixed(1) of the mean': (r) => Number((r.total_delay / r.flights).toFixed(1)) !== rounded(r.total_delay, r.flights, 1),
      'Math.round of a negative mean': (r) => r.total_delay < 0 && Math.round((r.total_delay / r.flights) * 10) / 10 !== rounded(r.total_delay, r.flights, 1),
      'a late share half': (r) => (r.late_flights * 2000) % r.flights === 0 && ((r.late_flights * 2000) / r.flights) % 2 !== 0,
      // A mean whose exact value ends in 5 at the second decimal (81 / 20 = 4.05) and whose double lies below
      // the half, so that SQLite's ROUND (the same SQLite as yours) gives the lower answer.
      "SQLite's ROUND(x, 1) of a mean half": (r) =>
        (r.total_delay * 20) % r.flights === 0 && ((r.total_delay * 20) / r.flights) % 2 !== 0 && sqliteRound.get(r.total_delay / r.flights, 1) !== rounded(r.total_delay, r.flights, 1),
    };
    const found = new Map<string, { r: RouteTotals; date: string }>();
    for (let d = 1; d <= 31 && found.size < Object.keys(shortcuts).length; d++) {
      for (const r of routeTotals(db, { from: day(d), to: day(d) })) {
        for (const [kind, trips] of Object.entries(shortcuts)) if (!found.has(kind) && trips(r)) found.set(kind, { r, date: day(d) });
      }
    }
    expect([...found.keys()].sort(), '(judge) the month should have a route-day for every rounding trap').toEqual(Object.keys(shortcuts).sort());
    for (const [kind, { r, date }] of found) {
      const query = `?origin=${r.origin}&destination=${r.destination}&from=${date}&to=${date}`;
      const reply = await get(api, `/routes${query}`);
      expect(
        reply.body?.items?.[0],
        `GET /routes${query} (${kind}: ${r.flights} flights, ${r.late_flights} late, delays summing to ${r.total_delay})`,
      ).toEqual({ route: `${r.origin}-${r.destination}`, origin: r.origin, destination: r.destination, ...stats(r) });
    }
  });

  test('late means an arrival delay of 15 minutes or more', async () => {
    const single = db
      .prepare(
        `SELECT origin, destination, flight_date, delay FROM flights WHERE delay IN (14, 15) AND (origin, destination, flight_date) IN
          (SELECT origin, destination, flight_date FROM flights GROUP BY 1, 2, 3 HAVING count(*) = 1) ORDER BY delay, flight_date, origin, destination`,
      )
      .all() as { origin: string; destination: string; flight_date: string; delay: number }[];
    const cases = [single.find((s) => s.delay === 14), single.find((s) => s.delay === 15)];
    expect(cases.every(Boolean), '(judge) single flights with delays 14 and 15 in the month').toBe(true);
    for (const c of cases) {
      const query = `?origin=${c!.origin}&destination=${c!.destination}&from=${c!.flight_date}&to=${c!.flight_date}`;
      const reply = await get(api, `/routes${query}`);
      expect(reply.body?.items?.[0], `GET /routes${query}: the one flight of that day arrived ${c!.delay} minutes late`).toEqual({
        route: `${c!.origin}-${c!.destination}`,
        origin: c!.origin,
        destination: c!.destination,
        flights: 1,
        late_flights: c!.delay >= 15 ? 1 : 0,
        late_share: c!.delay >= 15 ? 1 : 0,
        mean_delay: c!.delay,
      });
    }
  });
});
