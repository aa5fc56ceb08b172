// GET /routes/:route: one route with its daily stats, date windows, 404s and validation, over real HTTP.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type Db, type Totals, expectDetail, get, oneDecimal, openFlightsDb, orders, routeDetail, routeTotals, shown, startApp, type Started } from './expected';

let db: Db;
let server: Started;
let all: Totals[];

beforeAll(async () => {
  db = openFlightsDb();
  all = routeTotals(db).sort(orders.flights);
  server = await startApp();
});

afterAll(async () => {
  await server?.close();
  db?.close();
});

const MONTHS = [
  ['2001-01-01', '2001-01-31'],
  ['2001-02-01', '2001-02-28'],
  ['2001-03-01', '2001-03-31'],
] as const;

test('GET /routes/:route gives the route totals and one entry per day with flights, oldest first', async () => {
  const oneFlight = all.find((r) => r.flights === 1)!;
  const early = [...all].sort(orders.delay).at(-1)!; // the route that is earliest on average
  const exactly15 = db
    .prepare('SELECT origin, destination FROM flights WHERE delay_min = 15 GROUP BY origin, destination ORDER BY COUNT(*) DESC LIMIT 1')
    .get() as { origin: string; destination: string };
  for (const r of [all[0], all[1], oneFlight, early, exactly15]) {
    const path = `/routes/${r.origin}-${r.destination}`;
    const reply = await get(server, path);
    expect(reply.status, `GET ${path} → ${shown(reply)}`).toBe(200);
    expect(reply.contentType, `GET ${path} should answer JSON`).toMatch(/^application\/json/);
    expectDetail(reply.body, routeDetail(db, r.origin, r.destination), `GET ${path}`);
  }
});

test('a flight exactly 15 minutes late counts as delayed', async () => {
  const r = db
    .prepare(
      `SELECT origin, destination, COUNT(*) AS flights, SUM(delay_min >= 15) AS delayed, SUM(delay_min = 15) AS at15
         FROM flights GROUP BY origin, destination HAVING at15 > 0 ORDER BY at15 DESC, flights DESC LIMIT 1`,
    )
    .get() as { origin: string; destination: string; flights: number; delayed: number; at15: number };
  const path = `/routes/${r.origin}-${r.destination}`;
  const reply = await get(server, path);
  expect(
    { delayed_flights: reply.body?.delayed_flights, delayed_pct: reply.body?.delayed_pct },
    `GET ${path}: ${r.delayed} of ${r.flights} flights were 15 or more minutes late (${r.at15} exactly 15)`,
  ).toEqual({ delayed_flights: r.delayed, delayed_pct: oneDecimal(100 * r.delayed, r.flights) });
});

test('route keys are case-insensitive and the answer names the route in upper case', async () => {
  const r = all[2];
  const path = `/routes/${r.origin.toLowerCase()}-${r.destination.charAt(0)}${r.destination.slice(1).toLowerCase()}`;
  const reply = await get(server, path);
  expect(reply.status, `GET ${path} → ${shown(reply)}`).toBe(200);
  expectDetail(reply.body, routeDetail(db, r.origin, r.destination), `GET ${path}`);
});

test('from and to (inclusive) restrict the days, and the totals are recomputed from the flights in the window', async () => {
  // A route and month where averaging the daily averages gives a different answer from averaging the
  // flights: the API must re-aggregate the additive totals.
  let found: { r: Totals; from: string; to: string } | undefined;
  for (const r of all.slice(0, 200)) {
    for (const [from, to] of MONTHS) {
      const days = routeDetail(db, r.origin, r.destination, from, to);
      if (days.flights === 0) continue;
      const dailyMeans = db
        .prepare(`SELECT AVG(d) AS m FROM (SELECT AVG(delay_min) AS d FROM flights
                   WHERE origin = ? AND destination = ? AND day BETWEEN ? AND ? GROUP BY day)`)
        .pluck()
        .get(r.origin, r.destination, from, to) as number;
      if (Math.abs(dailyMeans - (days.avg_delay_min as number)) >= 0.2) {
        found = { r, from, to };
        break;
      }
    }
    if (found) break;
  }
  expect(found, '(the data should hold a month where the mean of daily means differs)').toBeDefined();
  const { r, from, to } = found!;
  const checks: [string, string | undefined, string | undefined][] = [
    [`/routes/${r.origin}-${r.destination}?from=${from}&to=${to}`, from, to],
    [`/routes/${r.origin}-${r.destination}?from=2001-02-10`, '2001-02-10', undefined],
    [`/routes/${r.origin}-${r.destination}?to=2001-01-15`, undefined, '2001-01-15'],
    [`/routes/${all[0].origin}-${all[0].destination}?from=2001-03-05&to=2001-03-05`, '2001-03-05', '2001-03-05'],
  ];
  for (const [path, lo, hi] of checks) {
    const [origin, destination] = path.slice('/routes/'.length, '/routes/XXX-YYY'.length).split('-');
    const reply = await get(server, path);
    expect(reply.status, `GET ${path} → ${shown(reply)}`).toBe(200);
    expectDetail(reply.body, routeDetail(db, origin, destination, lo, hi), `GET ${path}`);
  }
});

test('from and to are inclusive: a window that starts and ends on days with flights keeps both days', async () => {
  // Days with flights on one of the busiest routes: the window's edges fall on them.
  const r = all[0];
  const days = db.prepare('SELECT DISTINCT day FROM flights WHERE origin = ? AND destination = ? ORDER BY day').pluck().all(r.origin, r.destination) as string[];
  expect(days.length, '(the busiest route should fly on many days)').toBeGreaterThan(10);
  const windows: [string | undefined, string | undefined][] = [
    [days[2], days[days.length - 3]],
    [days[5], days[5]],
    [undefined, days[4]],
    [days[days.length - 2], undefined],
  ];
  for (const [from, to] of windows) {
    const query = new URLSearchParams({ ...(from ? { from } : {}), ...(to ? { to } : {}) }).toString();
    const path = `/routes/${r.origin}-${r.destination}?${query}`;
    const reply = await get(server, path);
    expect(reply.status, `GET ${path} → ${shown(reply)}`).toBe(200);
    const expected = routeDetail(db, r.origin, r.destination, from, to);
    expect(
      [expected.days[0]?.day, expected.days.at(-1)?.day],
      '(the window should start and end on days with flights)',
    ).toEqual([from ?? days[0], to ?? days.at(-1)]);
    expectDetail(reply.body, expected, `GET ${path} (from and to are both inclusive)`);
  }
});

test('the key and the query are checked before the route is looked up: a bad query on an unknown route is a 400', async () => {
  const cases: [string, string][] = [
    ['/routes/QQQ-ZZZ?from=2001-02-30', 'from'],
    ['/routes/QQQ-ZZZ?page=1', 'page'],
    ['/routes/QQQ-ZZZ?from=2001-02-01&to=2001-01-01', 'to'],
    ['/routes/QQQ-ZZZ?to=', 'to'],
    ['/routes/QQQ-ZZZ?from=2001-01-01&from=2001-01-02', 'from'],
  ];
  const wrong: string[] = [];
  for (const [path, parameter] of cases) {
    const reply = await get(server, path);
    if (reply.status !== 400 || reply.body?.error?.parameter !== parameter) {
      wrong.push(`GET ${path}: expected 400 { error: { parameter: "${parameter}", message } } (the query is checked before the route is looked up), got ${shown(reply)}`);
    }
  }
  expect(wrong, `${wrong.length} of ${cases.length} bad queries on an unknown route were not a 400; first: ${wrong[0]}`).toEqual([]);
});

test('a known route with no flights in the window (2000-02-29 is a real date) is 200 with zero flights, null averages and no days', async () => {
  const oneFlight = all.find((r) => r.flights === 1)!;
  const day = db
    .prepare('SELECT day FROM flights WHERE origin = ? AND destination = ?')
    .pluck()
    .get(oneFlight.origin, oneFlight.destination) as string;
  const cases = [
    [`/routes/${oneFlight.origin}-${oneFlight.destination}?to=${day < '2001-01-02' ? '2000-12-31' : '2001-01-01'}`],
    [`/routes/${all[0].origin}-${all[0].destination}?from=2002-01-01`],
    // 2000 is a leap year (divisible by 400), so its 29 February is a real date.
    [`/routes/${all[0].origin}-${all[0].destination}?to=2000-02-29`],
  ];
  for (const [path] of cases) {
    const reply = await get(server, path);
    expect(reply.status, `GET ${path} → ${shown(reply)}`).toBe(200);
    const [origin, destination] = path.slice('/routes/'.length, '/routes/XXX-YYY'.length).split('-');
    const query = new URLSearchParams(path.split('?')[1]);
    const expected = routeDetail(db, origin, destination, query.get('from') ?? undefined, query.get('to') ?? undefined);
    expect(expected.flights, '(this window should be empty)').toBe(0);
    expectDetail(reply.body, expected, `GET ${path}`);
  }
});

test('an unknown route is a 404 with a JSON error, also between airports that exist', async () => {
  const keys = new Set(all.map((r) => `${r.origin}-${r.destination}`));
  const oneWay = all.find((r) => !keys.has(`${r.destination}-${r.origin}`))!;
  for (const key of [`${oneWay.destination}-${oneWay.origin}`, 'QQQ-ZZZ', `${all[0].origin}-${all[0].origin}`]) {
    const reply = await get(server, `/routes/${key}`);
    expect(reply.status, `GET /routes/${key}: no flight in the data flies this route → ${shown(reply)}`).toBe(404);
    expect(reply.contentType, `GET /routes/${key} should answer JSON`).toMatch(/^application\/json/);
    expect(typeof reply.body?.error?.message, `GET /routes/${key}: body should be { error: { message } }`).toBe('string');
    expect(reply.body.error.message.length, `GET /routes/${key}: the 404's error.message should be a non-empty text`).toBeGreaterThan(0);
  }
});

test('bad route keys, dates and windows are 400s that name the parameter', async () => {
  const key = `${all[0].origin}-${all[0].destination}`;
  const cases: [string, string][] = [
    [`/routes/${all[0].origin}${all[0].destination}`, 'route'],
    [`/routes/${all[0].origin}-${all[0].destination}X`, 'route'],
    [`/routes/X${all[0].origin}-${all[0].destination}`, 'route'],
    ['/routes/S1O-LAX', 'route'],
    [`/routes/${key}?from=2001-02-30`, 'from'],
    [`/routes/${key}?from=2001-02-29`, 'from'],
    [`/routes/${key}?from=1900-02-29`, 'from'],
    [`/routes/${key}?to=2100-02-29`, 'to'],
    [`/routes/${key}?to=2001-13-01`, 'to'],
    [`/routes/${key}?from=2001-2-3`, 'from'],
    [`/routes/${key}?from=2001/02/03`, 'from'],
    [`/routes/${key}?to=`, 'to'],
    [`/routes/${key}?from=`, 'from'],
    [`/routes/${key}?from=2001-01-01%20`, 'from'],
    [`/routes/${key}?from=2001-01-05x`, 'from'],
    [`/routes/${key}?to=x2001-01-05`, 'to'],
    [`/routes/${key}?to=12001-01-05`, 'to'],
    [`/routes/${key}?from=2001-03-10&to=2001-03-09`, 'to'],
    [`/routes/${key}?from=2001-01-01&from=2001-01-02`, 'from'],
    [`/routes/${key}?limit=5`, 'limit'],
  ];
  const wrong: string[] = [];
  for (const [path, parameter] of cases) {
    const reply = await get(server, path);
    const ok =
      reply.status === 400 &&
      /^application\/json/.test(reply.contentType) &&
      reply.body?.error?.parameter === parameter &&
      typeof reply.body?.error?.message === 'string' &&
      reply.body.error.message.length > 0;
    if (!ok) wrong.push(`GET ${path}: expected 400 { error: { parameter: "${parameter}", message } }, got ${shown(reply)}`);
  }
  expect(wrong, `${wrong.length} of ${cases.length} bad requests were not a 400 naming the parameter; first: ${wrong[0]}`).toEqual([]);
});

test('a route key that is not valid percent-encoding is a malformed key: 400 naming route, not a server error', async () => {
  const wrong: string[] = [];
  for (const path of ['/routes/%ZZ-LAX', `/routes/${all[0].origin}-${all[0].destination.slice(0, 2)}%`]) {
    const reply = await get(server, path);
    const ok =
      reply.status === 400 &&
      /^application\/json/.test(reply.contentType) &&
      reply.body?.error?.parameter === 'route' &&
      typeof reply.body?.error?.message === 'string' &&
      reply.body.error.message.length > 0;
    if (!ok) wrong.push(`GET ${path}: the key cannot be percent-decoded, so it is not three letters, a dash and three letters: expected 400 { error: { parameter: "route", message } }, got ${shown(reply)}`);
  }
  expect(wrong, `${wrong.length} undecodable route keys were not a 400 naming route; first: ${wrong[0]}`).toEqual([]);
});
