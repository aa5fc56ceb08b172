import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { fixturePath, listen, type Listening } from '@kata/harness';
import { createApp, type LogEntry } from '../src/app';

let db: Database.Database;
let server: Listening;
const logs: LogEntry[] = [];

beforeAll(async () => {
  db = new Database(fixturePath('flights-ops.db'), { readonly: true });
  server = await listen(createApp(db, { log: (entry) => logs.push(entry) }));
});

afterAll(async () => {
  await server.close();
  db.close();
});

test('an unknown route is a 404 problem document', async () => {
  const res = await fetch(`${server.url}/routes/SFO/XXX/daily`);
  expect(res.status).toBe(404);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = await res.json();
  expect(problem).toMatchObject({ type: 'about:blank', title: 'Not Found', status: 404, instance: '/routes/SFO/XXX/daily' });
  expect(problem.requestId).toBe(res.headers.get('x-request-id'));
});

test('X-Request-Id is echoed and the request is logged once, with its id', async () => {
  const res = await fetch(`${server.url}/routes/top?limit=1`, { headers: { 'X-Request-Id': 'visible-1' } });
  expect(res.status).toBe(200);
  expect(res.headers.get('x-request-id')).toBe('visible-1');
  await vi.waitFor(() => expect(logs.some((e) => e.requestId === 'visible-1')).toBe(true));
  expect(logs.filter((e) => e.requestId === 'visible-1')).toEqual([
    expect.objectContaining({ method: 'GET', path: '/routes/top', status: 200, level: 'info' }),
  ]);
});

test('GET /healthz says ok while the database answers', async () => {
  const res = await fetch(`${server.url}/healthz`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: 'ok' });
});
