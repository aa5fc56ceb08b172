import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { fixturePath, listen, type Listening } from '@kata/harness';
import { createApp, issueKey } from '../src/app';

// Issuing keys writes to the database, so the tests work on a copy of the fixture.
const dir = mkdtempSync(join(tmpdir(), 'api-keys-visible-'));
let db: Database.Database;
let server: Listening;
const clock = { t: 1_000_000 };

beforeAll(async () => {
  copyFileSync(fixturePath('flights-ops.db'), join(dir, 'flights.db'));
  db = new Database(join(dir, 'flights.db'));
  server = await listen(createApp(db, { now: () => clock.t, limit: 2, windowMs: 5_000 }));
});

afterAll(async () => {
  await server.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string, key?: string) =>
  fetch(server.url + path, { headers: key ? { Authorization: `Bearer ${key}` } : {} });

test('no key → 401 with a WWW-Authenticate challenge', async () => {
  const res = await get('/routes/top');
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
});

test('a key with routes:read reads routes but not pipeline runs (403)', async () => {
  const key = issueKey(db, { name: 'dashboards', scopes: ['routes:read'] });
  expect((await get('/routes/top?limit=1', key)).status).toBe(200);
  expect((await get('/pipeline/runs', key)).status).toBe(403);
});

test('the third request in a 2-per-5-seconds window gets 429 and Retry-After', async () => {
  const key = issueKey(db, { name: 'batch', scopes: ['routes:read'] });
  clock.t = 2_000_000;
  expect((await get('/routes/top?limit=1', key)).status).toBe(200);
  expect((await get('/routes/top?limit=1', key)).status).toBe(200);
  clock.t += 1_000;
  const limited = await get('/routes/top?limit=1', key);
  expect(limited.status).toBe(429);
  expect(limited.headers.get('retry-after')).toBe('4');
  clock.t = 2_005_000;
  expect((await get('/routes/top?limit=1', key)).status).toBe(200);
});
