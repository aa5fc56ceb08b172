// Example tests: run them with `kata test ingest-endpoint`. The hidden suite checks much more.
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { fixturePath, listen, type Listening } from '@kata/harness';
import { createApp } from '../src/app';

const flights = JSON.parse(readFileSync(fixturePath('flights-2k.json'), 'utf8')) as Record<string, unknown>[];

let db: Database.Database;
let server: Listening;
beforeEach(async () => {
  db = new Database(':memory:');
  server = await listen(createApp(db));
});
afterEach(async () => {
  await server.close();
  db.close();
});

const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/flights/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
const count = () => (db.prepare('SELECT count(*) AS n FROM flights').get() as { n: number }).n;

test('a valid batch is written: 201 { inserted }', async () => {
  const res = await post(flights.slice(0, 3));
  expect(res.status, 'POST /flights/batch with 3 valid flights').toBe(201);
  expect(await res.json()).toEqual({ inserted: 3 });
  expect(db.prepare('SELECT departed_at, origin, destination, delay, distance FROM flights ORDER BY id LIMIT 1').get()).toEqual({
    departed_at: '2001-01-01 06:55',
    origin: 'LAX',
    destination: 'BNA',
    delay: -19,
    distance: 1797,
  });
});

test('a bad field is a 400 naming it, and nothing is written', async () => {
  const batch = [flights[0], { ...flights[1], delay: 'N/A' }];
  const res = await post(batch);
  expect(res.status, 'POST with "delay": "N/A" in the second record').toBe(400);
  const body = await res.json();
  expect(body.error.code).toBe('validation');
  expect(body.error.fields.map((f: { path: string }) => f.path)).toEqual(['1.delay']);
  expect(count(), 'rows in flights').toBe(0);
});

test('a retry with the same Idempotency-Key is a 200 replay', async () => {
  const batch = flights.slice(0, 5);
  const first = await post(batch, { 'Idempotency-Key': 'example-1' });
  expect(first.status).toBe(201);
  const retry = await post(batch, { 'Idempotency-Key': 'example-1' });
  expect(retry.status, 'the retry').toBe(200);
  expect(await retry.json()).toEqual(await first.json());
  expect(count(), 'rows in flights after the retry').toBe(5);
});
