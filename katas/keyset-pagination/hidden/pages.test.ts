// Hidden suite, part 1: the page contract — stable order with an id tiebreaker, no row skipped or
// repeated across pages, limit clamping, validation of limit, sort and cursor.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadSolution, type Host, type Remote } from '@kata/harness';
import { expectPage, getJson, openReference, ORDER_BY, type Probe, serveOnCopy, type ServedCopy, walk, type Flight } from './support';

/** How many rows of each order the walks on the full table read (and the clamp tests look at). */
const PREFIX = 20_000;
/** The cut-down copy: every 40th flight (5,000 rows, the same few hundred delays, so ties everywhere). */
const SUBSET = 'id % 40 = 0';

let host: Host;
let server: ServedCopy;
let subset: ServedCopy;
let ref: Database.Database;
/** The judge's own connection to the app's copy of the database. */
let appDb: Database.Database;
let probe: Probe;
const TOTAL = 200_000;
/** The first PREFIX + 500 rows of every order on the full table, and every row of every order on the subset. */
const orders = new Map<string, Flight[]>();
const subsetOrders = new Map<string, Flight[]>();

function expectedOrder(sort: string): Flight[] {
  return orders.get(sort)!;
}

beforeAll(async () => {
  let mod: Remote;
  ({ module: mod, host } = await loadSolution('src/app.ts'));
  ref = openReference();
  // Every expected order is computed here, before any request: sorting on the judge's side between two
  // requests would leave a kept-alive connection idle long enough for the server to close it.
  for (const sort of Object.keys(ORDER_BY)) {
    orders.set(sort, ref.prepare(`SELECT id, delay, distance, time FROM flights ORDER BY ${ORDER_BY[sort]} LIMIT ?`).all(PREFIX + 500) as Flight[]);
  }
  server = await serveOnCopy(host, mod);
  appDb = server.db;
  probe = server.probe;
  subset = await serveOnCopy(host, mod, { keep: SUBSET });
  for (const sort of Object.keys(ORDER_BY)) {
    subsetOrders.set(sort, subset.db.prepare(`SELECT id, delay, distance, time FROM flights ORDER BY ${ORDER_BY[sort]}`).all() as Flight[]);
  }
});

afterAll(async () => {
  try {
    await subset?.close();
    await server?.close();
  } finally {
    ref?.close();
    await host?.close();
  }
});

describe('GET /flights', () => {
  test('the first page defaults to sort=id and limit=50, items shaped { id, delay, distance, time }', async () => {
    const { status, body } = await getJson(`${server.url}/flights`);
    expect(status, `GET /flights should answer 200, got ${status}`).toBe(200);
    expect(Object.keys(body ?? {}).sort(), 'GET /flights should return exactly { items, next_cursor }').toEqual(['items', 'next_cursor']);
    expectPage(body.items, expectedOrder('id').slice(0, 50), 'GET /flights (no sort, no limit) should return the 50 lowest ids, as { id, delay, distance, time }');
    expect(typeof body.next_cursor, 'GET /flights: more rows follow, so next_cursor should be a string').toBe('string');
  });

  test('every page of every sort, on a 5,000-row copy: each row once, ties in id order, next_cursor null on the last page (also when it is exactly full)', async () => {
    const table = 'a copy cut down to 5,000 rows';
    const limits: Record<string, number[]> = {
      id: [500], // 10 full pages: the last one is exactly full
      delay: [499], // ends on a partial page
      '-delay': [1, 7, 500, 3, 250, 64, 1, 499, 2, 500, 137, 11, 500],
      distance: [333],
      '-distance': [250], // 20 full pages
    };
    for (const [sort, pageLimits] of Object.entries(limits)) {
      const expected = subsetOrders.get(sort)!;
      expect(expected.length, 'the cut-down copy should hold 5,000 rows').toBe(5000);
      expect(await walk(subset.url, sort, expected, pageLimits, { probe: subset.probe, table })).toBe(expected.length);
    }
  });

  test('sort=delay: the first 20,000 of 200,000 rows, page by page (limit 500), ties in id order', async () => {
    expect(await walk(server.url, 'delay', expectedOrder('delay'), [500], { maxRows: PREFIX, total: TOTAL, probe })).toBe(PREFIX);
  });

  test('sort=-distance: the first 20,000 of 200,000 rows, page by page (limit 499), ties in descending id order', async () => {
    expect(await walk(server.url, '-distance', expectedOrder('-distance'), [499], { maxRows: PREFIX, total: TOTAL, probe })).toBeGreaterThanOrEqual(PREFIX);
  });

  test('sort=-delay: a cursor carries the position, not the limit — the limit may change from page to page', async () => {
    const limits = [1, 7, 500, 3, 250, 64, 1, 499, 2, 500, 137, 500, 500, 11, 500, 500, 500, 500, 500, 500];
    expect(await walk(server.url, '-delay', expectedOrder('-delay'), limits, { maxRows: 6000, total: TOTAL, probe })).toBeGreaterThanOrEqual(6000);
  });

  test('sort=id and sort=distance continue from their cursors', async () => {
    expect(await walk(server.url, 'id', expectedOrder('id'), [500], { maxRows: 10_000, total: TOTAL, probe })).toBe(10_000);
    expect(await walk(server.url, 'distance', expectedOrder('distance'), [333], { maxRows: 10_000, total: TOTAL, probe })).toBeGreaterThanOrEqual(10_000);
  });

  test('limit is clamped to [1, 500]: any integer, negative, zero or huge', async () => {
    const cases: [string, number][] = [
      ['0', 1], ['-7', 1], ['1', 1], ['2', 2], ['499', 499], ['500', 500], ['501', 500], ['100000', 500], ['007', 7],
      ['99999999999999999999', 500], ['-99999999999999999999', 1],
    ];
    for (const [limit, size] of cases) {
      const { status, body } = await getJson(`${server.url}/flights?sort=delay&limit=${limit}`);
      expect(status, `GET /flights?sort=delay&limit=${limit} should answer 200 (integer limits are clamped to [1, 500], not rejected), got ${status} ${JSON.stringify(body).slice(0, 120)}`).toBe(200);
      expect(body.items?.length, `GET /flights?sort=delay&limit=${limit} should return ${size} items`).toBe(size);
      expectPage(body.items, expectedOrder('delay').slice(0, size), `GET /flights?sort=delay&limit=${limit} should return the first ${size} rows in delay order`);
    }
  });

  test('a limit that is not an integer, or is empty, is rejected with 400 and { error }', async () => {
    // As sent in the query string: %20 is a space, %2B a plus sign.
    for (const limit of ['abc', '2.5', '10abc', 'abc10', '1e3', 'NaN', '', '%205', '5%20', '%2B5', '--5', '0x10', '5.0', '1_000']) {
      const { status, body } = await getJson(`${server.url}/flights?limit=${limit}`);
      const shown = limit === '' ? '(empty)' : decodeURIComponent(limit).replace(/ /g, '␠');
      expect(status, `GET /flights?limit=${limit} (limit ${JSON.stringify(shown)}) is not an integer (digits, optionally after a "-"), so it should be rejected with 400, got ${status}`).toBe(400);
      expect(body?.error, `GET /flights?limit=${limit}: the 400 body should be { error: "<a helpful message>" }, got ${JSON.stringify(body).slice(0, 120)}`).toEqual(expect.stringMatching(/\S/));
    }
  });

  test('an unknown or empty sort is rejected with 400 and { error }', async () => {
    for (const sort of ['time', 'Delay', 'DISTANCE', '-id', '', 'delay desc', 'delay;DROP TABLE flights', '--delay', '+delay']) {
      const { status, body } = await getJson(`${server.url}/flights?sort=${encodeURIComponent(sort)}`);
      expect(status, `GET /flights?sort=${encodeURIComponent(sort)} should be rejected with 400 (sort is one of id, delay, -delay, distance, -distance), got ${status}`).toBe(400);
      expect(body?.error, `GET /flights?sort=${sort}: the 400 body should be { error: "<a helpful message>" }, got ${JSON.stringify(body).slice(0, 120)}`).toEqual(expect.stringMatching(/\S/));
    }
    expect(appDb.prepare('SELECT count(*) AS n FROM flights').get(), "the app's flights table should be untouched").toEqual({ n: 200_000 });
  });

  test('a cursor the app did not issue, or an empty one, is rejected with 400 and { error }', async () => {
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    const bad = [
      '', 'not-a-cursor', '%25%25%25', b64('not json'), b64('{}'), b64('null'), b64('5'), b64('{"sort":"delay"}'), b64('[null,null]'),
      b64('"; DROP TABLE flights; --'),
      // Shaped like the cursor the hints suggest, but not one an app issues for sort=delay:
      b64('{"sort":"delay","key":[1]}'), b64('{"sort":"delay","key":[1,2,3]}'), b64('{"sort":"delay","key":[1,"x"]}'), b64('{"sort":"delay","key":null}'),
    ];
    for (const cursor of bad) {
      const { status, body } = await getJson(`${server.url}/flights?sort=delay&cursor=${cursor}`);
      expect(status, `GET /flights?sort=delay&cursor=${cursor}${cursor === '' ? ' (an empty cursor is present, not absent)' : ''} should be rejected with 400, got ${status} ${JSON.stringify(body).slice(0, 120)}`).toBe(400);
      expect(body?.error, `GET /flights?sort=delay&cursor=${cursor}: the 400 body should be { error: "<a helpful message>" }, got ${JSON.stringify(body).slice(0, 120)}`).toEqual(expect.stringMatching(/\S/));
    }
  });

  test('a parameter given twice is rejected with 400 and { error }', async () => {
    const cursor = (await getJson(`${server.url}/flights?sort=delay&limit=10`)).body?.next_cursor;
    expect(typeof cursor, 'GET /flights?sort=delay&limit=10 should return a next_cursor').toBe('string');
    for (const query of ['limit=5&limit=6', 'limit=5&limit=5', 'sort=delay&sort=delay', `sort=delay&cursor=${cursor}&cursor=${cursor}`]) {
      const { status, body } = await getJson(`${server.url}/flights?${query}`);
      expect(status, `GET /flights?${query} gives a parameter twice, so it should be rejected with 400, got ${status}`).toBe(400);
      expect(body?.error, `GET /flights?${query}: the 400 body should be { error: "<a helpful message>" }, got ${JSON.stringify(body).slice(0, 120)}`).toEqual(expect.stringMatching(/\S/));
    }
  });

  test('a cursor only works with the sort it was issued for', async () => {
    const first = await getJson(`${server.url}/flights?sort=delay&limit=10`);
    const cursor = first.body?.next_cursor;
    expect(typeof cursor, 'GET /flights?sort=delay&limit=10 should return a next_cursor').toBe('string');
    for (const other of ['distance', '-delay', 'id']) {
      const { status, body } = await getJson(`${server.url}/flights?sort=${other}&cursor=${cursor}`);
      expect(status, `a cursor from sort=delay passed with sort=${other} should be rejected with 400, got ${status}`).toBe(400);
      expect(body?.error, `a cursor from sort=delay passed with sort=${other}: the 400 body should be { error: "<a helpful message>" }, got ${JSON.stringify(body).slice(0, 120)}`).toEqual(expect.stringMatching(/\S/));
    }
    const again = await getJson(`${server.url}/flights?sort=delay&limit=10&cursor=${cursor}`);
    expectPage(again.body?.items, expectedOrder('delay').slice(10, 20), 'the same cursor with sort=delay should still give rows 11-20 in delay order');
  });
});
