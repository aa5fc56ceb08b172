// Visible examples. `kata test` runs these first, then the hidden suite.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { fixturePath, listen, type Listening } from '@kata/harness';
import { createApp } from '../src/app';

let server: Listening;
let db: Database.Database;
let dir: string;

beforeAll(async () => {
  // The app gets its own copy of the database, so it may create indexes in it.
  dir = mkdtempSync(join(tmpdir(), 'keyset-visible-'));
  copyFileSync(fixturePath('flights-200k.db'), join(dir, 'flights.db'));
  db = new Database(join(dir, 'flights.db'));
  server = await listen(createApp(db));
});

afterAll(async () => {
  await server?.close();
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function get(path: string) {
  const res = await fetch(server.url + path);
  return { status: res.status, body: await res.json() };
}

test('GET /flights?limit=3 returns the 3 lowest ids and a cursor', async () => {
  const { status, body } = await get('/flights?limit=3');
  expect(status).toBe(200);
  expect(body.items).toEqual(db.prepare('SELECT id, delay, distance, time FROM flights ORDER BY id LIMIT 3').all());
  expect(typeof body.next_cursor).toBe('string');
});

test('sort=delay: the second page continues right after the first, ties broken by id', async () => {
  const page1 = await get('/flights?sort=delay&limit=5');
  const page2 = await get(`/flights?sort=delay&limit=5&cursor=${page1.body.next_cursor}`);
  const expected = db.prepare('SELECT id, delay, distance, time FROM flights ORDER BY delay, id LIMIT 10').all();
  expect(page1.body.items).toEqual(expected.slice(0, 5));
  expect(page2.body.items).toEqual(expected.slice(5, 10));
});

test('limit=abc is rejected with 400', async () => {
  const { status, body } = await get('/flights?limit=abc');
  expect(status).toBe(400);
  expect(typeof body.error).toBe('string');
});
