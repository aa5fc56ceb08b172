// Stage 2: GET /routes on a hidden month (May 2001): fields, filters, sorts, paging and rounding, each
// answer compared with one computed by the judge from the raw rows.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectPage, get, MONTH, routeTotals, routesPage, startApi, stats, type Db, type Started } from './expected';

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
    await expectRoutes(`?origin=${origin}&limit=7&offset=${all.length}`, routesPage(db, { origin }, 'flights', 7, all.length));
    await expectRoutes(`?origin=${origin}&limit=100&offset=5000`, routesPage(db, { origin }, 'flights', 100, 5000));
  });

  test('rounding: from the exact quotient of the totals, halves away from zero (negative means too)', async () => {
    // Route-days of the month where the exact mean delay ends in 5 at the second decimal, or the late share
    // in 5 at the fourth: there rounding mistakes show.
    const halves: { origin: string; destination: string; date: string; kind: string }[] = [];
    const kinds = new Set<string>();
    for (let d = 1; d <= 31 && kinds.size < 3; d += 2) {
      for (const r of routeTotals(db, { from: day(d), to: day(d) })) {
        const meanHalf = (r.total_delay * 20) % r.flights === 0 && ((r.total_delay * 20) / r.flights) % 2 !== 0;
        const shareHalf = (r.late_flights * 2000) % r.flights === 0 && ((r.late_flights * 2000) / r.flights) % 2 !== 0;
        const kind = meanHalf ? (r.total_delay < 0 ? 'negative mean half' : 'positive mean half') : shareHalf ? 'late share half' : '';
        if (kind && !kinds.has(kind)) {
          kinds.add(kind);
          halves.push({ origin: r.origin, destination: r.destination, date: day(d), kind });
        }
      }
    }
    expect([...kinds].sort(), '(judge) the month should have route-days of every kind of half').toEqual(['late share half', 'negative mean half', 'positive mean half']);
    for (const h of halves) {
      const query = `?origin=${h.origin}&destination=${h.destination}&from=${h.date}&to=${h.date}`;
      const t = routeTotals(db, { origin: h.origin, destination: h.destination, from: h.date, to: h.date })[0];
      const reply = await get(api, `/routes${query}`);
      expect(
        reply.body?.items?.[0],
        `GET /routes${query} (${h.kind}: ${t.flights} flights, ${t.late_flights} late, delays summing to ${t.total_delay})`,
      ).toEqual({ route: `${h.origin}-${h.destination}`, origin: h.origin, destination: h.destination, ...stats(t) });
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
