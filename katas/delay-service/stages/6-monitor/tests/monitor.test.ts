// Example tests of stage 6: run them with `kata test`. The first checks psi() on the brief's worked
// example (your own March file); the others start your service over a small database of your data (the
// flights of March 2001 leaving San Diego) and read GET /metrics before and after a day is scored. The
// hidden suite recomputes every number (see stages/6-monitor.md, "How it is graded").
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { fixturePath, listen, type Listening } from '@kata/harness';
import { buildFeatures } from '../src/features';
import { save, train } from '../src/model';
import { psi } from '../src/monitor';
import { scoreDay } from '../src/score';
import { createService } from '../src/service';

let march: Record<string, any>[];
let db: Database.Database;
let server: Listening;
const modelDir = join(mkdtempSync(join(tmpdir(), 'delay-model-')), 'model');
const dayOf = (row: Record<string, any>) => (row.date as Date).toISOString().slice(0, 10);

beforeAll(async () => {
  const file = await asyncBufferFromFile(fixturePath('flights-2001-03.parquet'));
  march = ((await parquetReadObjects({ file, compressors })) as Record<string, any>[]).filter(
    (row) => row.date instanceof Date && typeof row.origin === 'string' && typeof row.destination === 'string' && row.delay != null && row.distance != null,
  );
  db = new Database(':memory:');
  db.exec(`CREATE TABLE flights (id INTEGER PRIMARY KEY, flight_date TEXT NOT NULL, dep_minute INTEGER NOT NULL,
    origin TEXT NOT NULL, destination TEXT NOT NULL, distance INTEGER NOT NULL, delay INTEGER NOT NULL)`);
  const insert = db.prepare('INSERT INTO flights (flight_date, dep_minute, origin, destination, distance, delay) VALUES (?, ?, ?, ?, ?, ?)');
  for (const row of march) {
    if (row.origin !== 'SAN') continue;
    insert.run(dayOf(row), row.date.getUTCHours() * 60 + row.date.getUTCMinutes(), row.origin, row.destination, Number(row.distance), Number(row.delay));
  }
  buildFeatures(db);
  await save(await train(db, { from: '2001-03-01', to: '2001-03-28' }), modelDir);
  // The baseline is every row of features: keep only the training days in it.
  db.exec("DELETE FROM features WHERE flight_date > '2001-03-28'");
  server = await listen(await createService(db, modelDir));
}, 60_000);

afterAll(async () => {
  await server?.close();
});

test('psi of the worked example: the distances of March 1-7 against March 8-14', () => {
  const distances = (from: string, to: string) => march.filter((row) => dayOf(row) >= from && dayOf(row) <= to).map((row) => Number(row.distance));
  const value = psi(distances('2001-03-01', '2001-03-07'), distances('2001-03-08', '2001-03-14'), 'distance');
  expect(value).toBeCloseTo(0.000128889, 8);
  expect(psi([100, 600, 1200], [100, 600, 1200], 'distance'), 'the same population').toBe(0);
});

test('GET /metrics before any day is scored: an empty window', async () => {
  const response = await fetch(`${server.url}/metrics`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as Record<string, any>;
  expect(body.window).toEqual({ days: [], flights: 0 });
  expect(body.drift).toBeNull();
  expect(body.accuracy).toBeNull();
  const rows = db.prepare('SELECT COUNT(*) AS n FROM features').get() as { n: number };
  expect(body.baseline.flights).toBe(rows.n);
});

test('GET /metrics after scoring two days: the window, a PSI and status per monitored value, the accuracy', async () => {
  await scoreDay(db, modelDir, '2001-03-30');
  await scoreDay(db, modelDir, '2001-03-31');
  const body = (await (await fetch(`${server.url}/metrics?days=1`)).json()) as Record<string, any>;
  expect(body.window.days).toEqual(['2001-03-31']);
  const scored = db.prepare("SELECT COUNT(*) AS n FROM predictions WHERE flight_date = '2001-03-31'").get() as { n: number };
  expect(body.window.flights).toBe(scored.n);
  expect(Object.keys(body.drift).sort()).toEqual(['dep_hour', 'distance', 'origin_flights', 'origin_late_rate', 'probability', 'route_flights', 'route_late_rate', 'weekday']);
  expect(body.drift.weekday.status, 'one Saturday against four weeks of every weekday').toBe('shifted');
  expect(body.accuracy.flights).toBe(scored.n);
  const bad = await fetch(`${server.url}/metrics?days=0`);
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { error: { field: string } }).error.field).toBe('days');
});
