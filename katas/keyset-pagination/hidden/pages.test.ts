// Hidden suite, part 1: the page contract — stable order with an id tiebreaker, no row skipped or
// repeated across pages, limit clamping, validation of limit, sort and cursor.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadSolution, type Host, type Remote } from '@kata/harness';
import { getJson, openReference, ORDER_BY, type Probe, serveOnCopy, type ServedCopy, walk, type Flight } from './support';

let host: Host;
let server: ServedCopy;
let ref: Database.Database;
/** The judge's own connection to the app's copy of the database. */
let appDb: Database.Database;
let probe: Probe;
const orders = new Map<string, Flight[]>();

/** Every flight in the order `sort` promises, from the untouched fixture. */
function expectedOrder(sort: string): Flight[] {
  if (!orders.has(sort)) {
    orders.set(sort, ref.prepare(`SELECT id, delay, distance, time FROM flights ORDER BY ${ORDER_BY[sort]}`).all() as Flight[]);
  }
  return orders.get(sort)!;
}

beforeAll(async () => {
  let mod: Remote;
  ({ module: mod, host } = await loadSolution('src/app.ts'));
  ref = openReference();
  server = await serveOnCopy(host, mod);
  appDb = server.db;
  probe = server.probe;
});

afterAll(async () => {
  try {
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
    expect(body.items, 'GET /flights (no sort, no limit) should return the 50 lowest ids, as { id, delay, distance, time }').toEqual(
      expectedOrder('id').slice(0, 50),
    );
    expect(typeof body.next_cursor, 'GET /flights: more rows follow, so next_cursor should be a string').toBe('string');
  });

  test('sort=delay: walking every page (limit 500) returns all 200,000 rows once, ties in id order', async () => {
    const expected = expectedOrder('delay');
    expect(await walk(server.url, 'delay', expected, [500], Infinity, probe)).toBe(expected.length);
  });

  test('sort=-distance: walking every page (limit 499) ends on a partial page with next_cursor null', async () => {
    const expected = expectedOrder('-distance');
    expect(expected.length % 499, 'the fixture should not divide evenly into pages of 499').not.toBe(0);
    expect(await walk(server.url, '-distance', expected, [499], Infinity, probe)).toBe(expected.length);
  });

  test('sort=-delay: a cursor carries the position, not the limit — the limit may change from page to page', async () => {
    const limits = [1, 7, 500, 3, 250, 64, 1, 499, 2, 500, 137, 500, 500, 11, 500, 500, 500, 500, 500, 500];
    expect(await walk(server.url, '-delay', expectedOrder('-delay'), limits, 6000, probe)).toBeGreaterThanOrEqual(6000);
  });

  test('sort=id and sort=distance continue from their cursors', async () => {
    expect(await walk(server.url, 'id', expectedOrder('id'), [500], 20_000, probe)).toBe(20_000);
    expect(await walk(server.url, 'distance', expectedOrder('distance'), [333], 20_000, probe)).toBeGreaterThanOrEqual(20_000);
  });

  test('limit is clamped to [1, 500]', async () => {
    const cases: [string, number][] = [['0', 1], ['-7', 1], ['1', 1], ['500', 500], ['501', 500], ['100000', 500]];
    for (const [limit, size] of cases) {
      const { status, body } = await getJson(`${server.url}/flights?sort=delay&limit=${limit}`);
      expect(status, `GET /flights?sort=delay&limit=${limit} should answer 200 (limits are clamped, not rejected), got ${status}`).toBe(200);
      expect(body.items?.length, `GET /flights?sort=delay&limit=${limit} should return ${size} items`).toBe(size);
      expect(body.items, `GET /flights?sort=delay&limit=${limit} should return the first ${size} rows in delay order`).toEqual(
        expectedOrder('delay').slice(0, size),
      );
    }
  });

  test('a limit that is not an integer is rejected with 400 and { error }', async () => {
    for (const limit of ['abc', '2.5', '10abc', '1e3', 'NaN']) {
      const { status, body } = await getJson(`${server.url}/flights?limit=${limit}`);
      expect(status, `GET /flights?limit=${limit} should be rejected with 400, got ${status}`).toBe(400);
      expect(typeof body?.error, `GET /flights?limit=${limit}: the 400 body should be { error: string }, got ${JSON.stringify(body)}`).toBe('string');
    }
  });

  test('an unknown sort is rejected with 400 and { error }', async () => {
    for (const sort of ['time', 'Delay', 'delay desc', 'delay;DROP TABLE flights', '--delay']) {
      const { status, body } = await getJson(`${server.url}/flights?sort=${encodeURIComponent(sort)}`);
      expect(status, `GET /flights?sort=${sort} should be rejected with 400, got ${status}`).toBe(400);
      expect(typeof body?.error, `GET /flights?sort=${sort}: the 400 body should be { error: string }, got ${JSON.stringify(body)}`).toBe('string');
    }
    expect(appDb.prepare('SELECT count(*) AS n FROM flights').get(), "the app's flights table should be untouched").toEqual({ n: 200_000 });
  });

  test('a cursor the app did not issue is rejected with 400 and { error }', async () => {
    const b64 = (text: string) => Buffer.from(text).toString('base64url');
    const bad = ['not-a-cursor', '%25%25%25', b64('not json'), b64('{}'), b64('{"sort":"delay"}'), b64('[null,null]'), b64('"; DROP TABLE flights; --')];
    for (const cursor of bad) {
      const { status, body } = await getJson(`${server.url}/flights?sort=delay&cursor=${cursor}`);
      expect(status, `GET /flights?sort=delay&cursor=${cursor} should be rejected with 400, got ${status} ${JSON.stringify(body).slice(0, 120)}`).toBe(400);
      expect(typeof body?.error, `GET /flights?sort=delay&cursor=${cursor}: the 400 body should be { error: string }`).toBe('string');
    }
  });

  test('a cursor only works with the sort it was issued for', async () => {
    const first = await getJson(`${server.url}/flights?sort=delay&limit=10`);
    const cursor = first.body?.next_cursor;
    expect(typeof cursor, 'GET /flights?sort=delay&limit=10 should return a next_cursor').toBe('string');
    for (const other of ['distance', '-delay', 'id']) {
      const { status } = await getJson(`${server.url}/flights?sort=${other}&cursor=${cursor}`);
      expect(status, `a cursor from sort=delay passed with sort=${other} should be rejected with 400, got ${status}`).toBe(400);
    }
    const again = await getJson(`${server.url}/flights?sort=delay&limit=10&cursor=${cursor}`);
    expect(again.body?.items, 'the same cursor with sort=delay should still give rows 11-20 in delay order').toEqual(
      expectedOrder('delay').slice(10, 20),
    );
  });
});
