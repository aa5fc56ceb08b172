// Visible examples: run them with `kata test`. The hidden suite checks much more (see README.md).
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { fixturePath, listen, type Listening } from '@kata/harness';
import { createApp } from '../src/app';

let db: Database.Database;
let server: Listening;

beforeAll(async () => {
  db = new Database(fixturePath('flights.db'), { readonly: true, fileMustExist: true });
  server = await listen(createApp(db));
});

afterAll(async () => {
  await server?.close();
  db?.close();
});

async function get(path: string) {
  const res = await fetch(server.url + path);
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

test('GET /routes lists the busiest routes first, 20 to a page', async () => {
  const busiest = db
    .prepare(`SELECT origin, destination, COUNT(*) AS flights, MAX(delay_min) AS max_delay_min
                FROM flights GROUP BY origin, destination
               ORDER BY flights DESC, origin, destination LIMIT 1`)
    .get() as { origin: string; destination: string; flights: number; max_delay_min: number };
  const routes = db.prepare('SELECT COUNT(*) FROM routes').pluck().get() as number;

  const { status, body } = await get('/routes');
  expect(status, 'GET /routes should succeed').toBe(200);
  expect(body.total, 'total counts every route that matches, not just this page').toBe(routes);
  expect(body.limit).toBe(20);
  expect(body.offset).toBe(0);
  expect(body.items, 'a page holds `limit` routes').toHaveLength(20);
  expect(body.items[0], 'the first item is the busiest route').toMatchObject({
    route: `${busiest.origin}-${busiest.destination}`,
    origin: busiest.origin,
    destination: busiest.destination,
    flights: busiest.flights,
    max_delay_min: busiest.max_delay_min,
  });
});

test('GET /routes/:route returns one route with its daily stats', async () => {
  const { origin, destination, flights, days } = db
    .prepare('SELECT origin, destination, flights, active_days AS days FROM routes ORDER BY flights DESC, origin, destination LIMIT 1')
    .get() as { origin: string; destination: string; flights: number; days: number };

  const { status, body } = await get(`/routes/${origin}-${destination}`);
  expect(status, `GET /routes/${origin}-${destination} should succeed`).toBe(200);
  expect(body).toMatchObject({ route: `${origin}-${destination}`, origin, destination, flights, from: null, to: null });
  expect(body.days, 'one entry per day that had a flight').toHaveLength(days);
  expect(Object.keys(body.days[0]).sort()).toEqual(
    ['avg_delay_min', 'day', 'delayed_flights', 'delayed_pct', 'flights', 'max_delay_min'],
  );
});

test('GET /routes?limit=0 is a 400 that names the parameter', async () => {
  const { status, body } = await get('/routes?limit=0');
  expect(status, 'limit must be between 1 and 100').toBe(400);
  expect(body.error.parameter).toBe('limit');
  expect(typeof body.error.message).toBe('string');
});

test('GET /routes/ZZZ-QQQ is a 404 with a JSON error', async () => {
  const { status, body } = await get('/routes/ZZZ-QQQ');
  expect(status, 'no flight in the data goes from ZZZ to QQQ').toBe(404);
  expect(typeof body?.error?.message).toBe('string');
});
