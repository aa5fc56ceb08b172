import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { fixturePath, listen, type Listening } from '@kata/harness';
import { createApp } from '../src/app';

let db: Database.Database;
let server: Listening;

beforeAll(async () => {
  db = new Database(fixturePath('flights-ops.db'), { readonly: true });
  server = await listen(createApp(db));
});

afterAll(async () => {
  await server.close();
  db.close();
});

test('GET /routes/top still serves the busiest routes', async () => {
  const res = await fetch(`${server.url}/routes/top?limit=3`);
  expect(res.status).toBe(200);
  const { routes } = (await res.json()) as { routes: { origin: string; destination: string; flights: number }[] };
  expect(routes).toHaveLength(3);
  expect(routes[0]).toMatchObject({ origin: 'LAX', destination: 'PHX', flights: 59 });
});

test('aggregates carry a strong ETag and Cache-Control: public, max-age=300', async () => {
  const res = await fetch(`${server.url}/routes/top`);
  expect(res.status).toBe(200);
  expect(res.headers.get('etag'), 'a strong ETag is quoted and has no W/ prefix').toMatch(/^"[^"]+"$/);
  expect(res.headers.get('cache-control')).toBe('public, max-age=300');
});

test('sending the ETag back as If-None-Match gets 304 Not Modified with an empty body', async () => {
  const first = await fetch(`${server.url}/routes/LAX/SFO/daily`);
  expect(first.status).toBe(200);
  const etag = first.headers.get('etag');
  expect(etag).toBeTruthy();
  const second = await fetch(`${server.url}/routes/LAX/SFO/daily`, { headers: { 'If-None-Match': etag! } });
  expect(second.status).toBe(304);
  expect(await second.text()).toBe('');
});
