// Visible examples. `kata test` runs these first, then the hidden suite.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { fixturePath, listen, type Listening } from '@kata/harness';
import { createApp, csvLine } from '../src/app';

let server: Listening;
let db: Database.Database;

beforeAll(async () => {
  db = new Database(fixturePath('flights-200k.db'), { readonly: true });
  server = await listen(createApp(db));
});

afterAll(async () => {
  await server?.close();
  db?.close();
});

test('GET /export.ndjson?min_delay=1000 streams the matching flights, one JSON object per line', async () => {
  const res = await fetch(`${server.url}/export.ndjson?min_delay=1000`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
  const lines = (await res.text()).split('\n');
  expect(lines.pop()).toBe(''); // the last line ends with \n too
  const expected = db.prepare('SELECT id, delay, distance, time FROM flights WHERE delay >= 1000 ORDER BY id').all();
  expect(lines.map((line) => JSON.parse(line))).toEqual(expected);
});

test('GET /export.csv?max_delay=-40 starts with a header and uses CRLF line endings', async () => {
  const res = await fetch(`${server.url}/export.csv?max_delay=-40`);
  expect(res.status).toBe(200);
  const text = await res.text();
  const rows = db.prepare('SELECT id, delay, distance, time FROM flights WHERE delay <= -40 ORDER BY id').all() as {
    id: number; delay: number; distance: number; time: number;
  }[];
  expect(text).toBe(['id,delay,distance,time', ...rows.map((r) => `${r.id},${r.delay},${r.distance},${r.time}`)].join('\r\n') + '\r\n');
});

test('csvLine quotes a field that holds a comma', () => {
  expect(csvLine(['Chicago, IL', 3])).toBe('"Chicago, IL",3\r\n');
});
