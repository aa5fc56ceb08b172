// Stage 2: GET /airports/:code on a hidden month (May 2001), then the 400s and 404s of both endpoints.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { airport, expectPage, get, MONTH, routesPage, startApi, type Db, type Started } from './expected';

let api: Started;
let db: Db;
beforeAll(async () => {
  api = await startApi();
  db = api.db;
}, 120_000);
afterAll(async () => {
  await api?.close();
});

const day = (d: number) => `${MONTH}-${String(d).padStart(2, '0')}`;

async function expectAirport(path: string, expected: ReturnType<typeof airport>) {
  const reply = await get(api, path);
  expect(reply.status, `GET ${path}: status (body ${JSON.stringify(reply.body).slice(0, 200)})`).toBe(200);
  expect(reply.contentType, `GET ${path}: Content-Type`).toMatch(/^application\/json/);
  expect(reply.body, `GET ${path}`).toEqual(expected);
}

describe('GET /airports/:code', () => {
  const airports = () =>
    (db.prepare('SELECT origin AS code, count(*) AS n, count(DISTINCT destination) AS destinations FROM flights GROUP BY origin ORDER BY n DESC, origin').all() as {
      code: string;
      n: number;
      destinations: number;
    }[]);

  test('departures, arrivals and the top destinations over the whole table, the code in any case', async () => {
    const list = airports();
    const small = list.find((a) => a.destinations < 5 && a.n > 20);
    expect(small, '(judge) an airport with fewer than 5 destinations').toBeDefined();
    await expectAirport(`/airports/${list[0].code}`, airport(db, list[0].code));
    await expectAirport(`/airports/${list[40].code.toLowerCase()}`, airport(db, list[40].code));
    await expectAirport(`/airports/${small!.code}`, airport(db, small!.code));
  });

  test('a from/to window, and a window with no flights (zeros and nulls, not a 404)', async () => {
    const list = airports();
    const mid = list[10].code;
    await expectAirport(`/airports/${mid}?from=${day(3)}&to=${day(9)}`, airport(db, mid, day(3), day(9)));
    await expectAirport(`/airports/${mid}?from=${day(28)}`, airport(db, mid, day(28)));
    await expectAirport(`/airports/${mid}?to=${day(1)}`, airport(db, mid, undefined, day(1)));
    // A quiet airport and a day on which nothing left or reached it.
    const quiet = [...list].reverse().find((a) => a.n >= 5)!.code;
    const busyDays = new Set((db.prepare('SELECT DISTINCT flight_date AS d FROM flights WHERE origin = ? OR destination = ?').all(quiet, quiet) as { d: string }[]).map((r) => r.d));
    const empty = Array.from({ length: 31 }, (_, i) => day(i + 1)).find((d) => !busyDays.has(d));
    expect(empty, `(judge) a day of ${MONTH} without flights at ${quiet}`).toBeDefined();
    const none = airport(db, quiet, empty, empty);
    expect(none.departures.flights + none.arrivals.flights, '(judge) no flights that day').toBe(0);
    await expectAirport(`/airports/${quiet}?from=${empty}&to=${empty}`, none);
    await expectAirport(`/airports/${quiet}?from=2002-01-01`, airport(db, quiet, '2002-01-01'));
  });

  test('an airport with arrivals but no departures is known: 200, not a 404', async () => {
    const code = api.arrivalsOnly;
    const want = airport(db, code);
    expect({ departures: want.departures.flights, arrivals: want.arrivals.flights > 0 }, `(judge) ${code}: no departures, some arrivals`).toEqual({ departures: 0, arrivals: true });
    await expectAirport(`/airports/${code}`, want);
    await expectAirport(`/airports/${code.toLowerCase()}?from=${day(1)}&to=${day(31)}`, airport(db, code, day(1), day(31)));
  });

  test('an airport with no flight at all is a 404 with an error message', async () => {
    const known = new Set((db.prepare('SELECT origin AS c FROM flights UNION SELECT destination FROM flights').all() as { c: string }[]).map((r) => r.c));
    const unknown = ['QQQ', 'ZZX', 'XYZ'].filter((c) => !known.has(c));
    expect(unknown.length, '(judge) codes no flight uses').toBeGreaterThan(1);
    for (const path of [`/airports/${unknown[0]}`, `/airports/${unknown[1].toLowerCase()}`]) {
      const reply = await get(api, path);
      expect(reply.status, `GET ${path}: status (no flight departs from or arrives there)`).toBe(404);
      expect(reply.contentType, `GET ${path}: Content-Type`).toMatch(/^application\/json/);
      expect(typeof reply.body?.error?.message === 'string' && reply.body.error.message.length > 0, `GET ${path}: body ${JSON.stringify(reply.body)} should be { error: { message } }`).toBe(true);
    }
  });
});

describe('errors', () => {
  const bad: [string, string][] = [
    ['/routes?limit=0', 'limit'],
    ['/routes?limit=101', 'limit'],
    ['/routes?limit=ten', 'limit'],
    ['/routes?limit=2.5', 'limit'],
    ['/routes?limit=-3', 'limit'],
    ['/routes?limit=%2B5', 'limit'],
    ['/routes?limit=1e1', 'limit'],
    ['/routes?limit=', 'limit'],
    ['/routes?limit=5&limit=6', 'limit'],
    ['/routes?offset=-1', 'offset'],
    ['/routes?offset=%205', 'offset'],
    ['/routes?offset=9007199254740992', 'offset'],
    ['/routes?min_flights=0', 'min_flights'],
    ['/routes?min_flights=two', 'min_flights'],
    ['/routes?sort=Flights', 'sort'],
    ['/routes?sort=delay', 'sort'],
    ['/routes?sort=', 'sort'],
    ['/routes?origin=SF', 'origin'],
    ['/routes?origin=S1O', 'origin'],
    ['/routes?origin=SFOO', 'origin'],
    ['/routes?destination=%20SFO', 'destination'],
    ['/routes?destination=', 'destination'],
    ['/routes?from=2001-02-29', 'from'],
    ['/routes?from=2001-5-01', 'from'],
    ['/routes?from=20010501', 'from'],
    ['/routes?to=2001-13-01', 'to'],
    ['/routes?to=2001-04-31', 'to'],
    ['/routes?from=1900-02-29', 'from'],
    [`/routes?from=${day(10)}&to=${day(9)}`, 'to'],
    ['/routes?page=2', 'page'],
    ['/routes?ORIGIN=SFO', 'ORIGIN'],
    ['/routes?origin=%zz', 'origin'],
    ['/airports/SF', 'code'],
    ['/airports/SFOO', 'code'],
    ['/airports/S1O', 'code'],
    // Express cannot decode this :code and hands the app a URIError: still a malformed code, not a 500
    ['/airports/%zz', 'code'],
    ['/airports/SFO?from=2001-06-31', 'from'],
    [`/airports/SFO?from=${day(5)}&to=${day(4)}`, 'to'],
    ['/airports/SFO?limit=5', 'limit'],
    ['/airports/SFO?to=2001-05-01&to=2001-05-02', 'to'],
    // a bad query on an airport that does not exist is a 400, not a 404: the input is checked first
    ['/airports/QQQ?from=2001-02-30', 'from'],
  ];

  test('a bad parameter is a 400 whose body names the field', async () => {
    const wrong: unknown[] = [];
    for (const [path, field] of bad) {
      const reply = await get(api, path);
      const ok =
        reply.status === 400 &&
        /^application\/json/.test(reply.contentType) &&
        reply.body?.error?.field === field &&
        typeof reply.body?.error?.message === 'string' &&
        reply.body.error.message.length > 0;
      if (!ok) wrong.push({ path, expected: { status: 400, error: { field, message: '(any text)' } }, got: { status: reply.status, body: reply.body } });
    }
    expect(wrong.slice(0, 4), `requests that should be 400 { error: { field, message } } (${wrong.length} of ${bad.length} wrong, up to 4 shown)`).toEqual([]);
  });

  test('the edges of the valid values are accepted', async () => {
    for (const path of ['/routes?limit=100', '/routes?limit=1', '/routes?limit=010&offset=00', `/routes?from=${day(31)}&to=${day(31)}`, '/routes?min_flights=1&sort=route', '/routes?from=2000-02-29', `/airports/SFO?from=${day(2)}&to=${day(2)}`]) {
      const reply = await get(api, path);
      expect(reply.status, `GET ${path}: status (body ${JSON.stringify(reply.body).slice(0, 200)})`).toBe(200);
    }
    const padded = await get(api, '/routes?limit=010&offset=00');
    expect({ limit: padded.body?.limit, offset: padded.body?.offset }, 'GET /routes?limit=010&offset=00: limit and offset echo the numbers').toEqual({ limit: 10, offset: 0 });
    // Offsets past 32 bits, up to Number.MAX_SAFE_INTEGER: a page past the end, 200 with no items.
    for (const offset of [2147483648, 9007199254740991]) {
      const path = `/routes?offset=${offset}&limit=5`;
      const reply = await get(api, path);
      expect(reply.status, `GET ${path}: status (offsets up to 9007199254740991 are valid; body ${JSON.stringify(reply.body).slice(0, 200)})`).toBe(200);
      expectPage(reply.body, routesPage(db, {}, 'flights', 5, offset), `GET ${path}`);
    }
  });

  test('any other path is a 404 with a JSON error', async () => {
    for (const path of ['/', '/route', '/routes/SFO-LAX', '/airports', '/airports/', '/airports/SFO/routes', '/flights']) {
      const reply = await get(api, path);
      expect(reply.status, `GET ${path}: status`).toBe(404);
      expect(reply.contentType, `GET ${path}: Content-Type`).toMatch(/^application\/json/);
      expect(typeof reply.body?.error?.message === 'string' && reply.body.error.message.length > 0, `GET ${path}: body ${JSON.stringify(reply.body)} should be { error: { message } }`).toBe(true);
    }
  });
});
