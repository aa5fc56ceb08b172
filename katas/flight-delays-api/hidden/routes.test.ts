// GET /routes: listing, filters, sort orders, pagination, validation and rounding, over real HTTP.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type Db,
  type Totals,
  expectSameList,
  get,
  isTie,
  oneDecimal,
  openFlightsDb,
  orders,
  routeTotals,
  shown,
  startApp,
  type Started,
  summary,
} from './expected';

let db: Db;
let server: Started;
let all: Totals[];

beforeAll(async () => {
  db = openFlightsDb();
  all = routeTotals(db);
  server = await startApp();
});

afterAll(async () => {
  await server?.close();
  db?.close();
});

function sorted(rows: Totals[], sort: keyof typeof orders = 'flights') {
  return [...rows].sort(orders[sort]).map(summary);
}

/** Fetches every page of a listing and checks each page's envelope on the way. */
async function walk(query: string, limit: number) {
  const items: unknown[] = [];
  const totals = new Set<number>();
  for (let offset = 0; offset <= all.length; offset += limit) {
    const path = `/routes?${query}${query ? '&' : ''}limit=${limit}&offset=${offset}`;
    const reply = await get(server, path);
    expect(reply.status, `GET ${path} → ${shown(reply)}`).toBe(200);
    expect(reply.body.limit, `GET ${path} should echo limit`).toBe(limit);
    expect(reply.body.offset, `GET ${path} should echo offset`).toBe(offset);
    totals.add(reply.body.total);
    items.push(...reply.body.items);
    if (reply.body.items.length < limit) break;
  }
  return { items, totals: [...totals] };
}

describe('GET /routes', () => {
  test('with no parameters: the 20 busiest routes, every field computed from the flights', async () => {
    const reply = await get(server, '/routes');
    expect(reply.status, `GET /routes → ${shown(reply)}`).toBe(200);
    expect(reply.contentType, 'GET /routes should answer JSON').toMatch(/^application\/json/);
    expect(Object.keys(reply.body).sort(), 'the body should be { items, total, limit, offset }').toEqual(
      ['items', 'limit', 'offset', 'total'],
    );
    expect(reply.body.total, 'total should count every route in the data').toBe(all.length);
    expect(reply.body.limit, 'limit defaults to 20').toBe(20);
    expect(reply.body.offset, 'offset defaults to 0').toBe(0);
    expectSameList(reply.body.items, sorted(all).slice(0, 20), 'items (the busiest routes, ties broken by origin then destination)');
  });

  test('paging with limit=100 visits every route exactly once, in the documented order', async () => {
    const { items, totals } = await walk('', 100);
    expect(totals, 'total should be the same on every page').toEqual([all.length]);
    const keys = items.map((item: any) => item.route);
    expect(new Set(keys).size, 'no route should appear on two pages').toBe(keys.length);
    expectSameList(items, sorted(all), 'the pages put together (every route, busiest first, ties by origin then destination)');
  });

  test('an offset past the last route gives an empty page and the real total', async () => {
    for (const offset of [all.length, all.length + 500]) {
      const reply = await get(server, `/routes?offset=${offset}`);
      expect(reply.status, `GET /routes?offset=${offset} → ${shown(reply)}`).toBe(200);
      expect(reply.body, `GET /routes?offset=${offset}`).toEqual({ items: [], total: all.length, limit: 20, offset });
    }
    const last = await get(server, `/routes?offset=${all.length - 3}&limit=10`);
    expect(last.body.items, `GET /routes?offset=${all.length - 3}&limit=10 should hold the last 3 routes`).toEqual(
      sorted(all).slice(-3),
    );
  });

  test('origin, destination and min_flights filter the routes, and total counts the matches', async () => {
    const cases: [string, Totals[]][] = [
      ['origin=SFO', all.filter((r) => r.origin === 'SFO')],
      ['origin=sfo', all.filter((r) => r.origin === 'SFO')],
      ['destination=ORD&min_flights=10', all.filter((r) => r.destination === 'ORD' && r.flights >= 10)],
      ['origin=lax&destination=SFO', all.filter((r) => r.origin === 'LAX' && r.destination === 'SFO')],
      ['min_flights=40', all.filter((r) => r.flights >= 40)],
      ['min_flights=1', all],
    ];
    for (const [query, expected] of cases) {
      expect(expected.length, `(the data should have routes for ${query})`).toBeGreaterThan(0);
      const reply = await get(server, `/routes?${query}&limit=100`);
      expect(reply.status, `GET /routes?${query}&limit=100 → ${shown(reply)}`).toBe(200);
      expect(reply.body.total, `GET /routes?${query}: total`).toBe(expected.length);
      expectSameList(reply.body.items, sorted(expected).slice(0, 100), `GET /routes?${query}&limit=100: items`);
    }
  });

  test('a well-formed airport code that no flight uses is an empty list, not an error', async () => {
    const used = new Set(all.flatMap((r) => [r.origin, r.destination]));
    const code = ['QQQ', 'XYZ', 'ZZZ'].find((c) => !used.has(c))!;
    for (const query of [`origin=${code}`, `destination=${code.toLowerCase()}`, `min_flights=100000`]) {
      const reply = await get(server, `/routes?${query}`);
      expect(reply.status, `GET /routes?${query} → ${shown(reply)}`).toBe(200);
      expect(reply.body, `GET /routes?${query}`).toEqual({ items: [], total: 0, limit: 20, offset: 0 });
    }
  });

  test('sort=delay orders by the exact mean delay, highest first, ties by origin then destination', async () => {
    const busy = all.filter((r) => r.flights >= 5);
    const { items, totals } = await walk('sort=delay&min_flights=5', 100);
    expect(totals, 'total for sort=delay&min_flights=5').toEqual([busy.length]);
    expectSameList(items, sorted(busy, 'delay'), 'GET /routes?sort=delay&min_flights=5, every page put together');
    const reply = await get(server, '/routes?sort=delay&limit=30');
    expectSameList(reply.body.items, sorted(all, 'delay').slice(0, 30), 'GET /routes?sort=delay&limit=30');
  });

  test('sort=route orders by origin, then destination', async () => {
    const reply = await get(server, '/routes?sort=route&offset=100&limit=50');
    expect(reply.status, `GET /routes?sort=route&offset=100&limit=50 → ${shown(reply)}`).toBe(200);
    expectSameList(reply.body.items, sorted(all, 'route').slice(100, 150), 'GET /routes?sort=route&offset=100&limit=50');
    const reply2 = await get(server, '/routes?sort=flights&origin=ATL&limit=100');
    expectSameList(reply2.body.items, sorted(all.filter((r) => r.origin === 'ATL')), 'GET /routes?sort=flights&origin=ATL&limit=100');
  });

  test('averages and percentages are rounded to one decimal, halves away from zero, from the exact totals', async () => {
    // Routes whose mean delay lies exactly between two tenths: negative ones (Math.round rounds -2.25
    // up to -2.2) and ones like 81/20 = 4.05, a double just below 4.05 (ROUND(avg, 1) and toFixed say 4.0).
    const negative = all.filter((r) => r.total < 0 && isTie(r.total, r.flights));
    const belowHalf = all.filter(
      (r) => r.total > 0 && isTie(r.total, r.flights) && Number((r.total / r.flights).toFixed(1)) !== oneDecimal(r.total, r.flights),
    );
    const pct = all.filter((r) => isTie(100 * r.delayed, r.flights));
    expect(negative.length && belowHalf.length && pct.length, '(the data should hold rounding ties)').toBeGreaterThan(0);
    const mismatches: string[] = [];
    for (const r of [...negative.slice(0, 8), ...belowHalf, ...pct.slice(0, 4)]) {
      const path = `/routes?origin=${r.origin}&destination=${r.destination}`;
      const reply = await get(server, path);
      const item = reply.body?.items?.[0];
      const want = summary(r);
      if (item?.avg_delay_min !== want.avg_delay_min || item?.delayed_pct !== want.delayed_pct) {
        mismatches.push(
          `GET ${path}: ${r.total} min over ${r.flights} flights should give avg_delay_min ${want.avg_delay_min}` +
            ` and ${r.delayed}/${r.flights} delayed should give delayed_pct ${want.delayed_pct};` +
            ` got ${item?.avg_delay_min} and ${item?.delayed_pct}`,
        );
      }
    }
    expect(mismatches, `${mismatches.length} routes rounded wrong (one decimal, halves away from zero); first: ${mismatches[0]}`).toEqual([]);
  });
});

describe('GET /routes validation', () => {
  async function expectRejected(cases: [string, string][]) {
    const wrong: string[] = [];
    for (const [query, parameter] of cases) {
      const reply = await get(server, `/routes?${query}`);
      const ok =
        reply.status === 400 &&
        /^application\/json/.test(reply.contentType) &&
        reply.body?.error?.parameter === parameter &&
        typeof reply.body?.error?.message === 'string' &&
        reply.body.error.message.length > 0;
      if (!ok) wrong.push(`GET /routes?${query}: expected 400 { error: { parameter: "${parameter}", message } }, got ${shown(reply)}`);
    }
    expect(wrong, `${wrong.length} of ${cases.length} bad queries were not a 400 naming the parameter; first: ${wrong[0]}`).toEqual([]);
  }

  test('limit and offset must be whole numbers in range', async () => {
    await expectRejected([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=-5', 'limit'],
      ['limit=ten', 'limit'],
      ['limit=2.5', 'limit'],
      ['limit=1e1', 'limit'],
      ['limit=', 'limit'],
      ['limit=00', 'limit'],
      ['limit=%2010', 'limit'],
      ['limit=+10', 'limit'],
      ['limit=%2B10', 'limit'],
      ['offset=-1', 'offset'],
      ['offset=abc', 'offset'],
      ['offset=3.0', 'offset'],
      ['min_flights=0', 'min_flights'],
      ['min_flights=x', 'min_flights'],
    ]);
    const edge = await get(server, '/routes?limit=100&offset=0');
    expect(edge.status, `GET /routes?limit=100&offset=0 is allowed → ${shown(edge)}`).toBe(200);
    expect(edge.body.items?.length, 'GET /routes?limit=100 should return 100 routes').toBe(100);
  });

  test('airport codes, sort, repeated and unknown parameters are checked too', async () => {
    await expectRejected([
      ['origin=SF', 'origin'],
      ['origin=SFOO', 'origin'],
      ['origin=S1O', 'origin'],
      ["destination=SFO'--", 'destination'],
      ['sort=avg_delay', 'sort'],
      ['sort=', 'sort'],
      ['sort=flights;DROP', 'sort'],
      ['limit=5&limit=10', 'limit'],
      ['origin=SFO&origin=LAX', 'origin'],
      ['page=2', 'page'],
      ['Limit=5', 'Limit'],
    ]);
  });

  test('an empty value is malformed, never the default', async () => {
    await expectRejected([
      ['origin=', 'origin'],
      ['destination=', 'destination'],
      ['min_flights=', 'min_flights'],
      ['sort=', 'sort'],
      ['limit=', 'limit'],
      ['offset=', 'offset'],
      ['origin=SFO&destination=', 'destination'],
    ]);
  });

  test('sort takes exactly flights, delay or route, in lower case', async () => {
    await expectRejected([
      ['sort=DELAY', 'sort'],
      ['sort=Flights', 'sort'],
      ['sort=Route', 'sort'],
      ['sort=%20delay', 'sort'],
      ['sort=delay%20', 'sort'],
      ['sort=constructor', 'sort'],
      ['sort=__proto__', 'sort'],
      ['sort=toString', 'sort'],
      ['sort=hasOwnProperty', 'sort'],
    ]);
  });
});

describe('GET /routes: whole numbers and zero', () => {
  test('leading zeros are digits: limit=010 is 10, offset=0005 is 5, min_flights=040 is 40, and 16 digits are fine', async () => {
    const busy = all.filter((r) => r.flights >= 40);
    const cases: [string, { limit: number; offset: number; expected: Totals[] }][] = [
      ['limit=010', { limit: 10, offset: 0, expected: all }],
      ['offset=0005&limit=7', { limit: 7, offset: 5, expected: all }],
      ['min_flights=040&limit=100', { limit: 100, offset: 0, expected: busy }],
      ['offset=0&limit=3', { limit: 3, offset: 0, expected: all }],
      ['offset=00&limit=3', { limit: 3, offset: 0, expected: all }],
      // Sixteen digits, still a safe integer: only a value above Number.MAX_SAFE_INTEGER may be refused.
      ['limit=0000000000000010', { limit: 10, offset: 0, expected: all }],
      ['offset=1000000000000000&limit=3', { limit: 3, offset: 1_000_000_000_000_000, expected: all }],
    ];
    for (const [query, { limit, offset, expected }] of cases) {
      const reply = await get(server, `/routes?${query}`);
      expect(reply.status, `GET /routes?${query} → ${shown(reply)}`).toBe(200);
      expect({ total: reply.body.total, limit: reply.body.limit, offset: reply.body.offset }, `GET /routes?${query}: total, limit and offset`).toEqual({
        total: expected.length,
        limit,
        offset,
      });
      expectSameList(reply.body.items, sorted(expected).slice(offset, offset + limit), `GET /routes?${query}: items`);
    }
  });
});

describe('paths that are not endpoints', () => {
  test('any other path is a 404 answered as JSON { error: { message } }', async () => {
    const wrong: string[] = [];
    for (const path of ['/', '/route', '/routes/SFO-LAX/days', '/routesx', '/api/routes', '/routes/SFO-LAX/2001-01-01']) {
      const reply = await get(server, path);
      const ok =
        reply.status === 404 &&
        /^application\/json/.test(reply.contentType) &&
        typeof reply.body?.error?.message === 'string' &&
        reply.body.error.message.length > 0;
      if (!ok) wrong.push(`GET ${path}: expected 404 application/json { error: { message } }, got ${reply.contentType || '(no Content-Type)'} ${shown(reply)}`);
    }
    expect(wrong, `${wrong.length} unknown paths were not a JSON 404 ("All responses are JSON"); first: ${wrong[0]}`).toEqual([]);
  });
});
