// Example tests of stage 5: run them with `kata test`. They build a small database from your own data
// (the flights of March 2001 leaving San Diego), fill `features` with your stage 3 buildFeatures, train
// and save your stage 4 model on it, and start your service over the folder. The hidden suite checks
// much more (see stages/5-serve.md, "How it is graded").
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
import { scoreDay } from '../src/score';
import { createService } from '../src/service';

let db: Database.Database;
let server: Listening;
const modelDir = join(mkdtempSync(join(tmpdir(), 'delay-model-')), 'model');

beforeAll(async () => {
  db = new Database(':memory:');
  db.exec(`CREATE TABLE flights (id INTEGER PRIMARY KEY, flight_date TEXT NOT NULL, dep_minute INTEGER NOT NULL,
    origin TEXT NOT NULL, destination TEXT NOT NULL, distance INTEGER NOT NULL, delay INTEGER NOT NULL)`);
  const file = await asyncBufferFromFile(fixturePath('flights-2001-03.parquet'));
  const rows = (await parquetReadObjects({ file, compressors })) as Record<string, any>[];
  const insert = db.prepare('INSERT INTO flights (flight_date, dep_minute, origin, destination, distance, delay) VALUES (?, ?, ?, ?, ?, ?)');
  for (const row of rows) {
    if (row.origin !== 'SAN' || !(row.date instanceof Date) || typeof row.destination !== 'string' || row.delay == null || row.distance == null) continue;
    insert.run(row.date.toISOString().slice(0, 10), row.date.getUTCHours() * 60 + row.date.getUTCMinutes(), row.origin, row.destination, Number(row.distance), Number(row.delay));
  }
  buildFeatures(db);
  await save(await train(db, { from: '2001-03-01', to: '2001-03-28' }), modelDir);
  server = await listen(await createService(db, modelDir));
}, 60_000);

afterAll(async () => {
  await server?.close();
});

test('POST /predict answers one prediction per flight, with the features it used', async () => {
  const flights = [
    { flight_date: '2001-03-30', dep_minute: 420, origin: 'SAN', destination: 'PHX', distance: 304 },
    { flight_date: '2001-03-30', dep_minute: 1100, origin: 'SAN', destination: 'SFO', distance: 447 },
  ];
  const response = await fetch(`${server.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ flights }) });
  expect(response.status).toBe(200);
  const { predictions } = (await response.json()) as { predictions: { probability: number; late: boolean; features: Record<string, unknown> }[] };
  expect(predictions).toHaveLength(2);
  expect(predictions[0].features.dep_hour).toBe(7);
  expect(predictions[0].features.weekday).toBe(5); // 2001-03-30 was a Friday
  const sanPhx = db.prepare("SELECT COUNT(*) AS n FROM flights WHERE destination = 'PHX' AND flight_date BETWEEN '2001-03-02' AND '2001-03-29'").get() as { n: number };
  expect(predictions[0].features.route_flights, 'SAN→PHX flights of the 28 days before 2001-03-30').toBe(sanPhx.n);
  expect(typeof predictions[1].probability).toBe('number');
});

test('a bad flight is a 400 that names it', async () => {
  const flights = [
    { flight_date: '2001-03-30', dep_minute: 420, origin: 'SAN', destination: 'PHX', distance: 304 },
    { flight_date: '2001-03-30', dep_minute: 1440, origin: 'SAN', destination: 'PHX', distance: 304 },
  ];
  const response = await fetch(`${server.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ flights }) });
  expect(response.status).toBe(400);
  expect(((await response.json()) as { error: { field: string } }).error.field).toBe('flights[1].dep_minute');
});

test('scoreDay writes one row per flight of the day, and a re-run replaces them', async () => {
  const day = '2001-03-29';
  const flights = (db.prepare('SELECT COUNT(*) AS n FROM flights WHERE flight_date = ?').get(day) as { n: number }).n;
  expect(await scoreDay(db, modelDir, day)).toEqual({ day, scored: flights });
  await scoreDay(db, modelDir, day);
  const rows = db.prepare('SELECT COUNT(*) AS n FROM predictions WHERE flight_date = ?').get(day) as { n: number };
  expect(rows.n, 'rows of predictions after scoring the day twice').toBe(flights);
});
