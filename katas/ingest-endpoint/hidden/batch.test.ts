import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { closeHost, countIn, type Env, expectedRows, flights2k, flights5k, post, type RawFlight, rowsIn, show, start, stored } from './support';

let env: Env | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});
afterAll(async () => {
  await closeHost();
});

/** The `path`s of a 400 validation answer, sorted and de-duplicated. */
const pathsOf = (body: any): string[] => [...new Set<string>((body?.error?.fields ?? []).map((f: { path: unknown }) => String(f.path)))].sort();

describe('valid batches', () => {
  test('a batch of 500 real flights is written with every value, and answers 201 { inserted: 500 }', async () => {
    env = await start();
    const batch = flights2k.slice(0, 500);
    const r = await post(env.server, batch);
    expect(r.status, `POST /flights/batch with 500 valid flights answered ${show(r)}`).toBe(201);
    expect(r.contentType, 'Content-Type of the answer').toMatch(/application\/json/);
    expect(r.body, 'body of the 201').toEqual({ inserted: 500 });
    expect(rowsIn(env.db), 'the flights table after the batch (ordered by departed_at, origin, destination)').toEqual(expectedRows(batch));
    const types = env.db.prepare('SELECT DISTINCT typeof(delay) AS delay, typeof(distance) AS distance FROM flights').all();
    expect(types, 'SQLite storage class of delay and distance').toEqual([{ delay: 'integer', distance: 'integer' }]);
  });

  test('the whole flights-2k file (under the limit) is one batch; later batches add to it', async () => {
    env = await start();
    const all = flights2k;
    expect(Buffer.byteLength(JSON.stringify(all))).toBeLessThan(262_144);
    const first = await post(env.server, all);
    expect(first.status, `POST of all ${all.length} flights of flights-2k answered ${show(first)}`).toBe(201);
    expect(first.body).toEqual({ inserted: all.length });
    const more = flights5k.filter((f) => !all.some((a) => a.date === f.date && a.origin === f.origin && a.destination === f.destination)).slice(0, 300);
    const second = await post(env.server, more);
    expect(second.status, `a second batch of 300 other flights answered ${show(second)}`).toBe(201);
    expect(countIn(env.db), 'rows in flights after both batches').toBe(all.length + more.length);
  });

  test('edge values are valid: delay 0 and negative, distance 1, leap-free February 28, extra fields', async () => {
    env = await start();
    const base = flights2k[0];
    const batch = [
      { ...base, delay: 0 },
      { ...base, date: '2001/02/28 23:59', delay: -52 },
      { ...base, date: '2001/03/31 00:00', distance: 1, carrier: 'AA', tail: null },
    ];
    const r = await post(env.server, batch);
    expect(r.status, `POST ${JSON.stringify(batch)} answered ${show(r)}`).toBe(201);
    expect(rowsIn(env.db), 'the flights table').toEqual(expectedRows(batch as RawFlight[]));
  });
});

describe('validation', () => {
  test('400 lists every bad field of every record, and writes nothing', async () => {
    env = await start();
    const batch: unknown[] = flights2k.slice(100, 140).map((f) => ({ ...f }));
    const set = (i: number, change: object) => (batch[i] = { ...(batch[i] as object), ...change });
    const { delay: _d, ...noDelay } = batch[5] as RawFlight;
    batch[5] = noDelay; // 5.delay missing
    set(7, { date: '2001/02/29 10:00' }); // not a real day in 2001
    set(9, { delay: '15', distance: -1 }); // two bad fields
    set(12, { origin: 'lax' });
    set(13, { destination: 'KBNA' });
    set(17, { date: '01/15/2001 06:55', origin: null, destination: 7 });
    set(21, { distance: 0 });
    set(22, { delay: 1.5 });
    set(25, { date: '2001/01/15 24:00' });
    batch[30] = null;
    batch[31] = 'LAX,BNA';
    set(33, { destination: (batch[33] as RawFlight).origin }); // same airport
    set(35, { delay: '7', destination: (batch[35] as RawFlight).origin }); // bad delay and same airport: both count
    set(39, { date: null });
    const expected = [
      '5.delay', '7.date', '9.delay', '9.distance', '12.origin', '13.destination', '17.date', '17.origin',
      '17.destination', '21.distance', '22.delay', '25.date', '30', '31', '33.destination', '35.delay', '35.destination', '39.date',
    ].sort();
    const r = await post(env.server, batch);
    expect(r.status, `a batch with bad records answered ${show(r)}`).toBe(400);
    expect(r.body?.error?.code, 'error.code of the 400').toBe('validation');
    const got = pathsOf(r.body);
    const missing = expected.filter((path) => !got.includes(path));
    const extra = got.filter((path) => !expected.includes(path));
    expect(
      got,
      `the paths in error.fields: every bad field, and nothing else (missing: ${JSON.stringify(missing)}; not bad: ${JSON.stringify(extra)})`,
    ).toEqual(expected);
    for (const f of r.body.error.fields) expect(typeof f.message === 'string' && f.message.length > 0, `message of ${JSON.stringify(f)}`).toBe(true);
    expect(countIn(env.db), 'rows in flights after a rejected batch').toBe(0);
  });

  test('one bad record among 1,000 good ones rejects the whole batch', async () => {
    env = await start();
    const batch: unknown[] = flights2k.slice(0, 1000).map((f) => ({ ...f }));
    batch[999] = { ...(batch[999] as RawFlight), delay: 'N/A' };
    const r = await post(env.server, batch);
    expect(r.status, `answered ${show(r)}`).toBe(400);
    expect(pathsOf(r.body)).toEqual(['999.delay']);
    expect(countIn(env.db), 'rows in flights after a rejected batch').toBe(0);
  });

  test('a body that is not an array of records, or an empty array, is a 400 on path ""', async () => {
    env = await start();
    for (const body of [{ flights: flights2k.slice(0, 2) }, [], flights2k[0]]) {
      const r = await post(env.server, body);
      expect(r.status, `POST ${JSON.stringify(body)} answered ${show(r)}`).toBe(400);
      expect(r.body?.error?.code, `error.code for ${JSON.stringify(body)}`).toBe('validation');
      expect(pathsOf(r.body), `paths for ${JSON.stringify(body)}`).toEqual(['']);
    }
    expect(countIn(env.db)).toBe(0);
  });

  test('malformed JSON is a 400 invalid_json, answered as JSON', async () => {
    env = await start();
    const text = JSON.stringify(flights2k.slice(0, 3)).slice(0, -2);
    const r = await post(env.server, text);
    expect(r.status, `POST with a truncated JSON body answered ${show(r)}`).toBe(400);
    expect(r.contentType, 'Content-Type of the 400').toMatch(/application\/json/);
    expect(r.body?.error?.code, 'error.code').toBe('invalid_json');
  });

  test('a body over 256 KiB is a 413 answered as JSON, and nothing is written', async () => {
    env = await start();
    const big = flights5k; // about 450 KB
    const r = await post(env.server, big);
    expect(r.status, `POST of all 5,000 flights of flights-5k (${Buffer.byteLength(JSON.stringify(big))} bytes) answered ${show(r)}`).toBe(413);
    expect(r.contentType, 'Content-Type of the 413').toMatch(/application\/json/);
    expect(r.body?.error?.code, 'error.code').toBe('payload_too_large');
    expect(countIn(env.db), 'rows in flights').toBe(0);
    // Just over the limit: 2k flights padded with an ignored field.
    const padded = flights2k.map((f) => ({ ...f, note: 'x'.repeat(45) }));
    const size = Buffer.byteLength(JSON.stringify(padded));
    expect(size).toBeGreaterThan(262_144);
    const r2 = await post(env.server, padded);
    expect(r2.status, `POST of ${size} bytes answered ${show(r2)}`).toBe(413);
    // The limit is 256 KiB = 262,144 bytes exactly: one byte over is refused, the limit itself is accepted.
    const sized = (bytes: number) => {
      const records: object[] = flights2k.map((f) => ({ ...f }));
      const unpadded = Buffer.byteLength(JSON.stringify([...records.slice(0, -1), { ...records.at(-1), note: '' }]));
      records[records.length - 1] = { ...records.at(-1), note: 'x'.repeat(bytes - unpadded) };
      const text = JSON.stringify(records);
      expect(Buffer.byteLength(text), '(the padded body should have the intended size)').toBe(bytes);
      return text;
    };
    const over = await post(env.server, sized(262_145));
    expect(over.status, `POST of 262,145 bytes (one byte over 256 KiB) answered ${show(over)}`).toBe(413);
    expect(countIn(env.db), 'rows in flights').toBe(0);
    const atLimit = await post(env.server, sized(262_144));
    expect(atLimit.status, `POST of exactly 262,144 bytes (256 KiB, not over the limit) answered ${show(atLimit)}`).toBe(201);
    expect(atLimit.body, 'body of the 201').toEqual({ inserted: flights2k.length });
  });
});

describe('all or nothing', () => {
  test('a flight that is already stored makes the batch a 409 listing every conflict, and nothing is written', async () => {
    env = await start();
    const stored1 = flights2k.slice(0, 200);
    expect((await post(env.server, stored1)).status).toBe(201);
    const batch = [...flights2k.slice(200, 260), flights2k[10], ...flights2k.slice(260, 300), flights2k[150]];
    const r = await post(env.server, batch);
    expect(r.status, `a batch containing 2 stored flights answered ${show(r)}`).toBe(409);
    expect(r.body?.error?.code, 'error.code').toBe('conflict');
    expect(r.body?.error?.conflicts, 'error.conflicts: the index of every stored flight in the batch').toEqual([60, 101]);
    expect(rowsIn(env.db), 'flights after the 409: only the first batch').toEqual(expectedRows(stored1));
  });

  test('a flight repeated inside one batch is a 409 on the repeat, and nothing is written', async () => {
    env = await start();
    const batch = flights2k.slice(500, 540);
    const withRepeat = [...batch.slice(0, 20), { ...batch[3], delay: batch[3].delay + 30 }, ...batch.slice(20)];
    const r = await post(env.server, withRepeat);
    expect(r.status, `a batch repeating its 4th flight at index 20 answered ${show(r)}`).toBe(409);
    expect(r.body?.error?.conflicts, 'error.conflicts').toEqual([20]);
    expect(countIn(env.db), 'rows in flights').toBe(0);
  });

  test('an existing flights table and its rows are used, not replaced', async () => {
    const seed = flights5k.slice(0, 50);
    env = await start((db) => {
      db.exec(`CREATE TABLE flights (
        id INTEGER PRIMARY KEY, departed_at TEXT NOT NULL, origin TEXT NOT NULL, destination TEXT NOT NULL,
        delay INTEGER NOT NULL, distance INTEGER NOT NULL, UNIQUE (departed_at, origin, destination))`);
      const insert = db.prepare('INSERT INTO flights (departed_at, origin, destination, delay, distance) VALUES (@departed_at, @origin, @destination, @delay, @distance)');
      for (const f of seed) insert.run(stored(f));
    });
    const r = await post(env.server, [flights5k[60], flights5k[7]]);
    expect(r.status, `a batch with a flight that was in the database before the app started answered ${show(r)}`).toBe(409);
    expect(r.body?.error?.conflicts).toEqual([1]);
    expect(countIn(env.db), 'rows in flights').toBe(50);
  });
});
