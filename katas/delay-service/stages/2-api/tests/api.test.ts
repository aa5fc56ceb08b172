// Example tests for stage 2: run them with `kata test`. They load January with your own stage 1 ingest;
// the hidden suite serves your app over a month you do not have (stages/2-api.md, "How it is graded").
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath, listen, type Listening } from '@kata/harness';
import { createApp } from '../src/api';
import { ingest } from '../src/ingest';

let db: Database.Database;
let server: Listening;
beforeAll(async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'delay-service-')), 'flights.db');
  const writable = new Database(file);
  await ingest(writable, fixturePath('flights-2001-01.parquet'));
  // The indexes of stages/2-api.md ("The database"), which the graded database has: your app may rely on
  // them here too (IF NOT EXISTS: your ingest may have created them already).
  writable.exec(`CREATE INDEX IF NOT EXISTS flights_route ON flights (origin, destination, flight_date, delay);
    CREATE INDEX IF NOT EXISTS flights_destination ON flights (destination, flight_date, delay);
    CREATE INDEX IF NOT EXISTS flights_date ON flights (flight_date);`);
  writable.close();
  db = new Database(file, { readonly: true });
  server = await listen(createApp(db));
}, 60_000);
afterAll(async () => {
  await server?.close();
  db?.close();
});

const get = async (path: string) => {
  const res = await fetch(server.url + path);
  return { status: res.status, body: await res.json() };
};

describe('GET /routes', () => {
  test('routes from SFO, busiest first (the brief\'s example)', async () => {
    const { status, body } = await get('/routes?origin=sfo&limit=2');
    expect(status).toBe(200);
    expect(body, 'GET /routes?origin=sfo&limit=2').toEqual({
      items: [
        { route: 'SFO-LAX', origin: 'SFO', destination: 'LAX', flights: 1065, late_flights: 224, late_share: 0.21, mean_delay: 10.1 },
        { route: 'SFO-SEA', origin: 'SFO', destination: 'SEA', flights: 629, late_flights: 191, late_share: 0.304, mean_delay: 16.3 },
      ],
      total: 47,
      limit: 2,
      offset: 0,
      next_offset: 2,
    });
  });

  test('a negative mean rounds its half away from zero', async () => {
    const { body } = await get('/routes?origin=ABE&destination=ORD&from=2001-01-10&to=2001-01-10');
    // 4 flights whose delays sum to -19: -19 / 4 = -4.75 → -4.8 (Math.round(-47.5) / 10 would say -4.7)
    expect(body.items[0], 'ABE-ORD on 2001-01-10').toEqual({ route: 'ABE-ORD', origin: 'ABE', destination: 'ORD', flights: 4, late_flights: 0, late_share: 0, mean_delay: -4.8 });
  });
});

describe('GET /airports/:code and errors', () => {
  test('SFO in the first week of January', async () => {
    const { status, body } = await get('/airports/SFO?from=2001-01-01&to=2001-01-07');
    expect(status).toBe(200);
    expect(body.departures, 'departures').toEqual({ flights: 2399, late_flights: 489, late_share: 0.204, mean_delay: 5.9 });
    expect(body.arrivals, 'arrivals').toEqual({ flights: 2395, late_flights: 415, late_share: 0.173, mean_delay: -1.1 });
    expect(body.top_destinations[0], 'the busiest destination').toEqual({ destination: 'LAX', flights: 236 });
  });

  test('a bad parameter is a 400 naming the field; an unknown airport a 404', async () => {
    expect(await get('/routes?limit=0')).toEqual({ status: 400, body: { error: { field: 'limit', message: expect.any(String) } } });
    expect((await get('/airports/QQQ')).status, 'GET /airports/QQQ').toBe(404);
  });
});
