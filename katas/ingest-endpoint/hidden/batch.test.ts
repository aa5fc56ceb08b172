import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { closeHost, countIn, type Env, expectedRows, expectMessage, flights2k, flights5k, post, type RawFlight, rowsIn, send, show, start, stored } from './support';

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
    expect(Buffer.byteLength(JSON.stringify(all)), '(fixture guard) flights-2k as JSON should be under 256 KiB').toBeLessThan(262_144);
    const first = await post(env.server, all);
    expect(first.status, `POST of all ${all.length} flights of flights-2k answered ${show(first)}`).toBe(201);
    expect(first.body, 'body of the 201').toEqual({ inserted: all.length });
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
    batch[27] = [batch[27]]; // an array is not an object
    set(33, { destination: (batch[33] as RawFlight).origin }); // same airport
    set(35, { delay: '7', destination: (batch[35] as RawFlight).origin }); // bad delay and same airport: both count
    set(39, { date: null });
    const expected = [
      '5.delay', '7.date', '9.delay', '9.distance', '12.origin', '13.destination', '17.date', '17.origin',
      '17.destination', '21.distance', '22.delay', '25.date', '27', '30', '31', '33.destination', '35.delay', '35.destination', '39.date',
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
    expectMessage(r, 'a batch with bad records');
    expect(countIn(env.db), 'rows in flights after a rejected batch').toBe(0);
  });

  test('one bad record among 1,000 good ones rejects the whole batch', async () => {
    env = await start();
    const batch: unknown[] = flights2k.slice(0, 1000).map((f) => ({ ...f }));
    batch[999] = { ...(batch[999] as RawFlight), delay: 'N/A' };
    const r = await post(env.server, batch);
    expect(r.status, `answered ${show(r)}`).toBe(400);
    expect(pathsOf(r.body), 'paths in error.fields: only the bad record').toEqual(['999.delay']);
    expect(countIn(env.db), 'rows in flights after a rejected batch').toBe(0);
  });

  test('a body that is not an array of records, or an empty array, is a 400 on path ""', async () => {
    env = await start();
    // Bodies as sent: JSON values that are not an array (5, "x", null, true included) are valid JSON.
    const bodies = [JSON.stringify({ flights: flights2k.slice(0, 2) }), '[]', JSON.stringify(flights2k[0]), '{}', '5', '"x"', 'null', 'true', ' [ ] '];
    const wrong: string[] = [];
    for (const body of bodies) {
      const r = await post(env.server, body);
      const paths = pathsOf(r.body);
      if (r.status !== 400 || r.body?.error?.code !== 'validation' || paths.length !== 1 || paths[0] !== '') {
        wrong.push(`POST ${body.slice(0, 60)}: expected 400 { error: { code: "validation", fields: [{ path: "" }] } }, got ${show(r)}`);
      }
    }
    expect(wrong, `${wrong.length} of ${bodies.length} bodies that are valid JSON but not an array of 1+ records were answered otherwise; first: ${wrong[0]}`).toEqual([]);
    expect(countIn(env.db), 'rows in flights after rejected requests').toBe(0);
  });

  test('malformed JSON is a 400 invalid_json, answered as JSON', async () => {
    env = await start();
    const text = JSON.stringify(flights2k.slice(0, 3)).slice(0, -2);
    const r = await post(env.server, text);
    expect(r.status, `POST with a truncated JSON body answered ${show(r)}`).toBe(400);
    expect(r.contentType, 'Content-Type of the 400').toMatch(/application\/json/);
    expect(r.body?.error?.code, 'error.code').toBe('invalid_json');
    expectMessage(r, 'POST with a truncated JSON body');
    for (const bad of ["[{'date': '2001/01/01 06:55'}]", '[1, 2,]', 'NaN', '[] []']) {
      const r2 = await post(env.server, bad);
      expect({ status: r2.status, code: r2.body?.error?.code }, `POST ${bad} (not valid JSON) answered ${show(r2)}`).toEqual({ status: 400, code: 'invalid_json' });
    }
  });

  test('an empty body is not valid JSON: 400 invalid_json, not a validation error', async () => {
    env = await start();
    for (const body of ['', '  \n']) {
      const r = await post(env.server, body);
      expect(
        { status: r.status, code: r.body?.error?.code },
        `POST /flights/batch with Content-Type: application/json and the body ${JSON.stringify(body)} (${Buffer.byteLength(body)} bytes) answered ${show(r)}`,
      ).toEqual({ status: 400, code: 'invalid_json' });
    }
    expect(countIn(env.db), 'rows in flights after rejected requests').toBe(0);
  });

  test('Content-Type application/json may have parameters and any case; any other type is a body that is not an array', async () => {
    env = await start();
    const batches = [flights2k.slice(0, 3), flights2k.slice(3, 6)];
    for (const [i, type] of ['application/json; charset=utf-8', 'Application/JSON'].entries()) {
      const r = await post(env.server, batches[i], { 'Content-Type': type });
      expect(r.status, `POST with Content-Type: ${type} answered ${show(r)}`).toBe(201);
      expect(r.body, `body of the 201 for Content-Type: ${type}`).toEqual({ inserted: 3 });
    }
    // Not application/json, though the text is in there: a parameter's value, a longer subtype, a suffix.
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', null, 'text/plain; x=application/json', 'application/jsonx', 'application/json-patch+json']) {
      const r = await post(env.server, flights2k.slice(10, 13), { 'Content-Type': type });
      const what = type === null ? 'no Content-Type' : `Content-Type: ${type}`;
      expect(
        { status: r.status, code: r.body?.error?.code, paths: pathsOf(r.body) },
        `POST of a JSON array with ${what} (the body is not read as JSON, so it is not an array) answered ${show(r)}`,
      ).toEqual({ status: 400, code: 'validation', paths: [''] });
    }
    expect(rowsIn(env.db), 'flights: only the two batches sent as application/json').toEqual(expectedRows(flights2k.slice(0, 6)));
  });

  test('delay and distance must be safe integers, and dates are real for every four-digit year', async () => {
    env = await start();
    const base = flights2k[0];
    const at = (date: string) => ({ ...base, date });
    const bad = [
      { ...at('2001/01/07 10:00'), delay: 1e20 },
      { ...at('2001/01/07 11:00'), delay: -(2 ** 53) },
      { ...at('2001/01/07 12:00'), distance: 2 ** 53 },
      at('1900/02/29 10:00'),
      at('0100/02/29 10:00'),
      at('0050/02/29 10:00'),
      at('2001/01/05 06:60'),
      // Month 13 and 00 and day 00 are not real; text before or after YYYY/MM/DD HH:MM is not that shape.
      at('2001/13/01 10:00'),
      at('2001/00/10 10:00'),
      at('2001/01/00 10:00'),
      at('2001/01/07 13:00:00'),
      at('2001/01/07 14:00 '),
      at(' 2001/01/07 15:00'),
      at('12001/01/07 16:00'),
    ];
    const r = await post(env.server, bad);
    expect(r.status, `POST ${JSON.stringify(bad)} answered ${show(r)}`).toBe(400);
    const expected = ['0.delay', '1.delay', '2.distance', ...bad.slice(3).map((_, i) => `${i + 3}.date`)].sort();
    const got = pathsOf(r.body);
    const missed = expected.filter((path) => !got.includes(path)).map((path) => `${path} (${JSON.stringify(bad[Number(path.split('.')[0])])})`);
    expect(
      got,
      `paths in error.fields: 2^53 and 1e20 are not safe integers; February 29 of 1900, 0100 and 0050, minute 60, month 13 and 00, day 00 are not real; a date with text before or after it is not YYYY/MM/DD HH:MM (accepted: ${missed.join('; ')})`,
    ).toEqual(expected);
    const good = [
      { ...at('2001/01/08 10:00'), delay: Number.MAX_SAFE_INTEGER, distance: Number.MAX_SAFE_INTEGER },
      { ...at('2001/01/08 11:00'), delay: -Number.MAX_SAFE_INTEGER },
      at('2000/02/29 12:00'),
      at('0004/02/29 12:00'),
      at('0099/12/31 23:59'),
      at('0000/01/01 00:00'),
    ];
    const ok = await post(env.server, good);
    expect(ok.status, `POST ${JSON.stringify(good)} (±(2^53 − 1) are safe integers; leap days of leap years; the years 0000–0099 as written) answered ${show(ok)}`).toBe(201);
    expect(rowsIn(env.db), 'the flights table').toEqual(expectedRows(good));
  });

  test('other paths and methods are a JSON 404 with code not_found', async () => {
    env = await start();
    for (const [method, path] of [['GET', '/flights/batch'], ['POST', '/flights'], ['POST', '/flights/batch/extra'], ['GET', '/'], ['PUT', '/flights/batch']]) {
      const r = await send(env.server, method, path, method === 'GET' ? undefined : flights2k.slice(0, 1));
      expect(
        { status: r.status, json: /application\/json/.test(r.contentType), code: r.body?.error?.code },
        `${method} ${path} answered ${r.contentType} ${show(r)}`,
      ).toEqual({ status: 404, json: true, code: 'not_found' });
      expectMessage(r, `${method} ${path}`);
    }
    expect(countIn(env.db), 'rows in flights after rejected requests').toBe(0);
  });

  test('a body over 256 KiB is a 413 answered as JSON, and nothing is written', async () => {
    env = await start();
    const big = flights5k; // about 450 KB
    const r = await post(env.server, big);
    expect(r.status, `POST of all 5,000 flights of flights-5k (${Buffer.byteLength(JSON.stringify(big))} bytes) answered ${show(r)}`).toBe(413);
    expect(r.contentType, 'Content-Type of the 413').toMatch(/application\/json/);
    expect(r.body?.error?.code, 'error.code').toBe('payload_too_large');
    expectMessage(r, 'POST of a body over 256 KiB');
    expect(countIn(env.db), 'rows in flights').toBe(0);
    // Just over the limit: 2k flights padded with an ignored field.
    const padded = flights2k.map((f) => ({ ...f, note: 'x'.repeat(45) }));
    const size = Buffer.byteLength(JSON.stringify(padded));
    expect(size, '(fixture guard) the padded body should be over 256 KiB').toBeGreaterThan(262_144);
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

  test('a body that cannot be decoded is a 400 or 415 answered as JSON, not a 413, and nothing is written', async () => {
    env = await start();
    const batch = JSON.stringify(flights2k.slice(0, 3));
    for (const [encoding, why] of [
      ['klingon', 'a Content-Encoding no server knows'],
      ['gzip', 'plain JSON text declared as gzip, which does not decompress'],
    ]) {
      const r = await post(env.server, batch, { 'Content-Encoding': encoding });
      const what = `POST of 3 flights (${Buffer.byteLength(batch)} bytes) with Content-Encoding: ${encoding} (${why})`;
      expect(
        { status: [400, 415].includes(r.status) ? '400 or 415' : r.status, json: /application\/json/.test(r.contentType) },
        `${what} answered ${r.contentType} ${show(r)}: the client sent something the server cannot read (a 4xx; it is not over 256 KiB)`,
      ).toEqual({ status: '400 or 415', json: true });
      expect(typeof r.body?.error?.code === 'string' && r.body.error.code.length > 0, `${what}: error.code should be a non-empty string, got ${show(r)}`).toBe(true);
      expectMessage(r, what);
    }
    expect(countIn(env.db), 'rows in flights').toBe(0);
  });
});

describe('all or nothing', () => {
  test('a flight that is already stored makes the batch a 409 listing every conflict, and nothing is written', async () => {
    env = await start();
    const stored1 = flights2k.slice(0, 200);
    const setup = await post(env.server, stored1);
    expect(setup.status, `the first batch of 200 valid flights answered ${show(setup)}`).toBe(201);
    const batch = [...flights2k.slice(200, 260), flights2k[10], ...flights2k.slice(260, 300), flights2k[150]];
    const r = await post(env.server, batch);
    expect(r.status, `a batch containing 2 stored flights answered ${show(r)}`).toBe(409);
    expect(r.body?.error?.code, 'error.code').toBe('conflict');
    expect(r.body?.error?.conflicts, 'error.conflicts: the index of every stored flight in the batch').toEqual([60, 101]);
    expectMessage(r, 'a batch containing 2 stored flights');
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

  test('stored flights and repeats in one batch: every conflict is listed, in ascending order', async () => {
    env = await start();
    const stored1 = flights2k.slice(0, 50);
    const setup = await post(env.server, stored1);
    expect(setup.status, `the first batch of 50 valid flights answered ${show(setup)}`).toBe(201);
    const fresh = flights2k.slice(600, 610);
    // 0-1 new, 2 a repeat of 0, 3 stored, 4 new, 5 a repeat of 4, 6 stored, 7 a repeat of 3 (stored too).
    const batch = [fresh[0], fresh[1], { ...fresh[0], delay: fresh[0].delay + 1 }, stored1[7], fresh[2], fresh[2], stored1[20], stored1[7]];
    const r = await post(env.server, batch);
    expect(r.status, `a batch with stored flights and repeats answered ${show(r)}`).toBe(409);
    expect(r.body?.error?.conflicts, 'error.conflicts: the index of every stored or repeated record, ascending').toEqual([2, 3, 5, 6, 7]);
    expect(rowsIn(env.db), 'flights after the 409: only the first batch').toEqual(expectedRows(stored1));
  });

  test('a write the database refuses is a JSON 500: nothing is written and the key is not kept', async () => {
    // The judge's own trigger on flights: every insert fails, as on a full disk.
    env = await start((db) => {
      db.exec(`CREATE TABLE flights (
        id INTEGER PRIMARY KEY, departed_at TEXT NOT NULL, origin TEXT NOT NULL, destination TEXT NOT NULL,
        delay INTEGER NOT NULL, distance INTEGER NOT NULL, UNIQUE (departed_at, origin, destination));
        CREATE TRIGGER refuse_inserts BEFORE INSERT ON flights BEGIN SELECT RAISE(ABORT, 'the disk is full'); END;`);
    });
    const batch = flights2k.slice(0, 5);
    const headers = { 'Idempotency-Key': 'kata-refused-write-5e1b' };
    const r = await post(env.server, batch, headers);
    const what = 'a valid batch whose INSERT the database refuses (a trigger raises an error)';
    expect(
      { status: r.status >= 500 && r.status < 600 ? '5xx' : r.status, json: /application\/json/.test(r.contentType) },
      `${what} answered ${r.contentType} ${show(r)}: a failure of the server is a 5xx, and every response body is JSON`,
    ).toEqual({ status: '5xx', json: true });
    expect(typeof r.body?.error?.code === 'string' && r.body.error.code.length > 0, `${what}: error.code should be a non-empty string, got ${show(r)}`).toBe(true);
    expectMessage(r, what);
    expect(countIn(env.db), 'rows in flights after the failed write').toBe(0);
    env.db.exec('DROP TRIGGER refuse_inserts');
    const retry = await post(env.server, batch, headers);
    expect(retry.status, `once the database accepts writes, the same batch under the same key (the failed request must leave no key behind) answered ${show(retry)}`).toBe(201);
    expect(rowsIn(env.db), 'the flights table after the retry').toEqual(expectedRows(batch));
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
    expect(r.body?.error?.conflicts, 'error.conflicts: the flight stored before the app started').toEqual([1]);
    expect(countIn(env.db), 'rows in flights').toBe(50);
  });
});
