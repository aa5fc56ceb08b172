import { request } from 'node:http';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fixturePath, loadSolution, type Host, type Remote, type ServedApp } from '@kata/harness';

interface Run {
  id: number;
  version: string;
  finished_at: string;
}

let host: Host;
let mod: Remote;
/** The judge's own read-only connection to flights-ops.db: where expected answers come from. */
let db: Database.Database;
let server: ServedApp;
let run: Run;
/** A busy route, and the aggregate the API should serve for it, computed here from the data. */
let route: { origin: string; destination: string };
let topFive: unknown[];

const MAX_AGE = 300;
const TOP = '/routes/top?limit=5';
const pick = ({ origin, destination }: { origin: string; destination: string }) => ({ origin, destination });
const dailyPath = () => `/routes/${route.origin}/${route.destination}/daily`;

beforeAll(async () => {
  ({ module: mod, host } = await loadSolution('src/app.ts'));
  db = new Database(fixturePath('flights-ops.db'), { readonly: true, fileMustExist: true });
  run = db.prepare('SELECT id, version, finished_at FROM pipeline_runs ORDER BY id DESC LIMIT 1').get() as Run;
  topFive = db
    .prepare(
      `SELECT origin, destination, SUM(flights) AS flights, ROUND(SUM(total_delay) * 1.0 / SUM(flights), 1) AS avgDelay
       FROM route_daily GROUP BY origin, destination ORDER BY flights DESC, origin, destination LIMIT 5`,
    )
    .all();
  route = topFive[2] as { origin: string; destination: string };
  // The app gets its own read-only handle on the same file, opened in the solution host.
  const appDb = await host.openDb(fixturePath('flights-ops.db'), { readonly: true });
  server = await host.serve(mod.createApp(appDb));
});

afterAll(async () => {
  try {
    await server?.close();
  } finally {
    db?.close();
    await host?.close();
  }
});

function get(path: string, headers: Record<string, string> = {}, method = 'GET') {
  return fetch(server.url + path, { method, headers });
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A request with exactly the headers given (fetch() adds Cache-Control: no-cache to every conditional
 * request; browsers, curl and proxies often do not), over a fresh connection.
 */
function raw(path: string, headers: Record<string, string> = {}, method = 'GET', base = server.url): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(base + path, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', (err) => reject(new Error(`${method} ${path} failed: ${err.message}`)));
    req.end();
  });
}

/** `{ 'If-None-Match': '' }` → `If-None-Match: ""` (empty), for messages. */
function show(headers: Record<string, string>): string {
  const parts = Object.entries(headers).map(([name, value]) => `${name}: ${value === '' ? '(empty)' : value}`);
  return parts.length ? parts.join(' + ') : 'no conditional header';
}

/** Cache-Control as a map of directives: 'public, max-age=300' → { public: true, 'max-age': '300' }. */
function directives(header: string | null): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (const part of (header ?? '').split(',')) {
    const [name, value] = part.trim().split('=');
    if (name) out[name.toLowerCase()] = value === undefined ? true : value.replace(/^"|"$/g, '');
  }
  return out;
}

async function etagOf(path: string, s: { url: string } = server): Promise<string> {
  const res = await fetch(s.url + path);
  await res.arrayBuffer();
  const etag = res.headers.get('etag');
  expect(etag, `GET ${path} should send an ETag header`).toBeTruthy();
  return etag as string;
}

describe('validators on aggregates', () => {
  test('GET /routes/top sends a strong ETag, Last-Modified from the newest pipeline run and public caching', async () => {
    const res = await get(TOP);
    expect(res.status, `GET ${TOP} should succeed`).toBe(200);
    expect(res.headers.get('content-type'), `GET ${TOP}: the body is JSON, so Content-Type should be application/json (as res.json() sends it), got ${res.headers.get('content-type')}`).toMatch(
      /^application\/json\s*(;.*)?$/i,
    );
    expect(await res.json(), 'the body should still be the top routes').toEqual({ routes: topFive });
    const etag = res.headers.get('etag');
    expect(etag, 'the ETag should be a strong, quoted entity-tag like "abc" (not W/"abc", not unquoted)').toMatch(
      /^"[\x21\x23-\x7e]+"$/,
    );
    expect(res.headers.get('last-modified'), `Last-Modified should be pipeline_runs.finished_at (${run.finished_at}) as an HTTP date`).toBe(
      new Date(run.finished_at).toUTCString(),
    );
    const cc = directives(res.headers.get('cache-control'));
    expect(cc.public, `Cache-Control should include "public", got ${res.headers.get('cache-control')}`).toBe(true);
    expect(cc['max-age'], `Cache-Control should include max-age=${MAX_AGE}, got ${res.headers.get('cache-control')}`).toBe(
      String(MAX_AGE),
    );
    for (const banned of ['no-store', 'no-cache', 'private']) {
      expect(cc[banned], `Cache-Control on an aggregate should not say ${banned}`).toBeUndefined();
    }
  });

  test('the ETag stays the same while the data version does not change, on every aggregate endpoint', async () => {
    const first = await etagOf(TOP);
    expect(await etagOf(TOP), `two GET ${TOP} with no reload in between should get the same ETag`).toBe(first);
    const daily = await get(dailyPath());
    expect(daily.status, `GET ${dailyPath()} should succeed`).toBe(200);
    // README: "keep their bodies exactly as they are": the starter's days, avgDelay to one decimal, on this
    // route and on the busiest one with a day whose mean delay has more decimals than one.
    const rounding = db
      .prepare(
        `SELECT origin, destination FROM route_daily GROUP BY origin, destination
         HAVING SUM((total_delay * 10) % flights <> 0) > 0 ORDER BY SUM(flights) DESC, origin, destination LIMIT 1`,
      )
      .get() as { origin: string; destination: string } | undefined;
    expect(rounding, '(judge) a route with a day whose mean delay has more than one decimal').toBeDefined();
    const daysOf = db.prepare(
      `SELECT day, flights, ROUND(total_delay * 1.0 / flights, 1) AS avgDelay, delayed
       FROM route_daily WHERE origin = ? AND destination = ? ORDER BY day`,
    );
    expect(await daily.json(), `GET ${dailyPath()}: the starter's body, one entry per day`).toEqual({ ...pick(route), days: daysOf.all(route.origin, route.destination) });
    const roundingPath = `/routes/${rounding!.origin}/${rounding!.destination}/daily`;
    expect(await (await get(roundingPath)).json(), `GET ${roundingPath}: the starter's body, avgDelay rounded to one decimal`).toEqual({
      ...pick(rounding!),
      days: daysOf.all(rounding!.origin, rounding!.destination),
    });
    expect(daily.headers.get('etag'), `GET ${dailyPath()} should send a strong ETag`).toMatch(/^"[^"]+"$/);
    expect(directives(daily.headers.get('cache-control'))['max-age']).toBe(String(MAX_AGE));
    expect(await etagOf(dailyPath()), `two GET ${dailyPath()} should get the same ETag`).toBe(daily.headers.get('etag'));
  });
});

describe('If-None-Match', () => {
  test('a matching ETag gets 304 with no body, and the 304 still carries ETag and Cache-Control', async () => {
    for (const path of [TOP, dailyPath()]) {
      const etag = await etagOf(path);
      const res = await get(path, { 'If-None-Match': etag });
      expect(res.status, `GET ${path} with If-None-Match: ${etag} (its current ETag) should be 304`).toBe(304);
      expect(await res.text(), 'a 304 has no body').toBe('');
      expect(res.headers.get('etag'), 'a 304 should repeat the ETag').toBe(etag);
      expect(directives(res.headers.get('cache-control'))['max-age'], 'a 304 should repeat Cache-Control').toBe(String(MAX_AGE));
    }
  });

  test('comparison is weak: W/"<etag>" matches too', async () => {
    const etag = await etagOf(TOP);
    const res = await get(TOP, { 'If-None-Match': `W/${etag}` });
    expect(res.status, `If-None-Match: W/${etag} should match ${etag} (If-None-Match uses weak comparison)`).toBe(304);
  });

  test('a list of entity-tags matches when any of them does', async () => {
    const etag = await etagOf(TOP);
    const hit = await get(TOP, { 'If-None-Match': `"not-it", W/"nor-this",${etag}` });
    expect(hit.status, `If-None-Match: "not-it", W/"nor-this",${etag} should be 304`).toBe(304);
    const miss = await get(TOP, { 'If-None-Match': `"not-it", W/"nor-this", "${etag.slice(1, -2)}"` });
    expect(miss.status, 'If-None-Match with no matching tag (one is a prefix of the ETag) should be 200').toBe(200);
    expect(await miss.json(), 'a non-matching If-None-Match gets the full body').toEqual({ routes: topFive });
  });

  test('If-None-Match: * is 304 for an existing aggregate', async () => {
    const res = await get(dailyPath(), { 'If-None-Match': '*' });
    expect(res.status, `GET ${dailyPath()} with If-None-Match: * should be 304`).toBe(304);
  });

  test('HEAD answers like GET without a body, and conditional HEAD gets 304', async () => {
    const head = await get(TOP, {}, 'HEAD');
    expect(head.status, `HEAD ${TOP} should be 200`).toBe(200);
    const etag = head.headers.get('etag');
    expect(etag, `HEAD ${TOP} should carry the same ETag as GET`).toBe(await etagOf(TOP));
    const conditional = await get(TOP, { 'If-None-Match': etag as string }, 'HEAD');
    expect(conditional.status, `HEAD ${TOP} with a matching If-None-Match should be 304`).toBe(304);
  });
});

describe('If-Modified-Since', () => {
  const at = (offsetSeconds: number) => new Date(Date.parse(run.finished_at) + offsetSeconds * 1000).toUTCString();

  test('304 when Last-Modified is not after the date, 200 when it is, and an invalid date is ignored', async () => {
    const cases: [string, number][] = [
      [at(0), 304],
      [at(3600), 304],
      [at(-1), 200],
      [at(-86400 * 30), 200],
      ['yesterday-ish', 200],
    ];
    for (const [since, status] of cases) {
      const res = await get(TOP, { 'If-Modified-Since': since });
      expect(res.status, `If-Modified-Since: ${since} (Last-Modified is ${at(0)}) should give ${status}`).toBe(status);
      if (status === 200) expect(await res.json()).toEqual({ routes: topFive });
    }
  });

  test('If-None-Match takes precedence over If-Modified-Since', async () => {
    const etag = await etagOf(TOP);
    const stale = await get(TOP, { 'If-None-Match': '"some-older-version"', 'If-Modified-Since': at(3600) });
    expect(stale.status, 'a non-matching If-None-Match must give 200 even when If-Modified-Since alone would give 304').toBe(200);
    const fresh = await get(TOP, { 'If-None-Match': etag, 'If-Modified-Since': at(-86400) });
    expect(fresh.status, 'a matching If-None-Match gives 304; If-Modified-Since is then ignored').toBe(304);
  });
});

/**
 * Conditional requests sent exactly as written, once without any Cache-Control (as curl or a proxy
 * would send them) and once with Cache-Control: no-cache (as fetch() and browsers revalidating do):
 * the answer must be the same either way.
 */
describe.each([
  ['without Cache-Control', {}],
  ['with Cache-Control: no-cache', { 'Cache-Control': 'no-cache', Pragma: 'no-cache' }],
] as [string, Record<string, string>][])('conditional requests %s', (_mode, extra) => {
  const at = (offsetSeconds: number) => new Date(Date.parse(run.finished_at) + offsetSeconds * 1000).toUTCString();

  async function expectAnswer(path: string, headers: Record<string, string>, status: 200 | 304, rule: string, body?: unknown): Promise<void> {
    const res = await raw(path, { ...headers, ...extra });
    const sent = `GET ${path} with ${show(headers)}${Object.keys(extra).length ? ' (and Cache-Control: no-cache)' : ''}`;
    expect(res.status, `${sent}: ${rule}, so the answer should be ${status}; got ${res.status}`).toBe(status);
    const etag = await etagOf(path);
    if (status === 304) {
      expect(res.body, `${sent}: a 304 has no body`).toBe('');
      expect(res.headers.etag, `${sent}: the 304 should repeat the ETag`).toBe(etag);
      expect(directives((res.headers['cache-control'] as string) ?? null)['max-age'], `${sent}: the 304 should repeat Cache-Control`).toBe(String(MAX_AGE));
    } else {
      let parsed: unknown = res.body;
      try {
        parsed = JSON.parse(res.body);
      } catch {
        /* shown as text */
      }
      expect(parsed, `${sent}: the 200 should carry the full body`).toEqual(body);
      expect(res.headers.etag, `${sent}: the 200 should carry the ETag`).toBe(etag);
    }
  }

  test('If-None-Match lists: any member may match, with or without W/, spaces around commas allowed', async () => {
    const etag = await etagOf(TOP);
    const body = { routes: topFive };
    const cases: [string, 200 | 304, string][] = [
      [etag, 304, 'the tag is the current ETag'],
      [`W/${etag}`, 304, 'weak comparison ignores W/'],
      [`"old", ${etag}`, 304, 'the second member of the list is the current ETag (a space after the comma)'],
      [`"old",${etag}`, 304, 'the second member of the list is the current ETag'],
      [`W/"old" , "older",  W/${etag}`, 304, 'the last member, weak, is the current ETag (spaces around the commas)'],
      [`"old", W/"older"`, 200, 'no member is the current ETag'],
      [`"${etag.slice(1, -2)}"`, 200, 'a prefix of the ETag is another tag'],
    ];
    for (const [inm, status, rule] of cases) await expectAnswer(TOP, { 'If-None-Match': inm }, status, rule, body);
  });

  test('If-None-Match: * matches only alone, and a member that is not a quoted entity-tag matches nothing', async () => {
    const etag = await etagOf(dailyPath());
    const body = await (await fetch(server.url + dailyPath())).json();
    const cases: [string, 200 | 304, string][] = [
      ['*', 304, 'a lone * matches any current representation'],
      ['"old", *', 200, '* only counts when it is the whole header, not as a member of a list'],
      [etag.slice(1, -1), 200, 'an unquoted value is not an entity-tag (the ETag is the quoted string)'],
      [`W/${etag.slice(1, -1)}`, 200, 'an unquoted value is not an entity-tag, weak or not'],
    ];
    for (const [inm, status, rule] of cases) await expectAnswer(dailyPath(), { 'If-None-Match': inm }, status, rule, body);
  });

  test('an empty If-None-Match header is still an If-None-Match: it matches nothing and If-Modified-Since is ignored', async () => {
    const body = { routes: topFive };
    await expectAnswer(TOP, { 'If-None-Match': '' }, 200, 'an empty list of entity-tags matches nothing', body);
    await expectAnswer(
      TOP,
      { 'If-None-Match': '', 'If-Modified-Since': at(3600) },
      200,
      'an If-None-Match header is present (empty), so If-Modified-Since is not looked at, and nothing matched (Express\'s res.json()/res.send() would answer 304 here from req.fresh, which reads an empty If-None-Match as absent)',
      body,
    );
  });

  test('If-Modified-Since: not later than the date → 304, later → 200, a bad date is ignored, and If-None-Match wins', async () => {
    const etag = await etagOf(TOP);
    const body = { routes: topFive };
    const lastModified = at(0);
    const cases: [Record<string, string>, 200 | 304, string][] = [
      [{ 'If-Modified-Since': at(0) }, 304, `Last-Modified (${lastModified}) is not later than the date (the same second)`],
      [{ 'If-Modified-Since': at(86400) }, 304, `Last-Modified (${lastModified}) is earlier than the date`],
      [{ 'If-Modified-Since': at(-1) }, 200, `Last-Modified (${lastModified}) is one second later than the date`],
      [{ 'If-Modified-Since': 'not a date' }, 200, 'a date that does not parse is ignored'],
      [{ 'If-Modified-Since': '' }, 200, 'an empty date does not parse and is ignored'],
      [{ 'If-None-Match': '"old"', 'If-Modified-Since': at(3600) }, 200, 'If-None-Match is present and does not match; If-Modified-Since is then not looked at'],
      [{ 'If-None-Match': `"old", W/${etag}`, 'If-Modified-Since': at(-86400) }, 304, 'If-None-Match matches; If-Modified-Since is then not looked at'],
      [{ 'If-None-Match': '*', 'If-Modified-Since': 'not a date' }, 304, 'If-None-Match: * matches; If-Modified-Since is then not looked at'],
    ];
    for (const [headers, status, rule] of cases) await expectAnswer(TOP, headers, status, rule, body);
  });
});

describe('GET /routes/top?limit', () => {
  test('limit accepts the integers 1 to 100, bounds included, written as plain digits; absent means 10', async () => {
    for (const limit of [1, 100, 10]) {
      const expected = db
        .prepare(
          `SELECT origin, destination, SUM(flights) AS flights, ROUND(SUM(total_delay) * 1.0 / SUM(flights), 1) AS avgDelay
           FROM route_daily GROUP BY origin, destination ORDER BY flights DESC, origin, destination LIMIT ?`,
        )
        .all(limit);
      const path = limit === 10 ? '/routes/top' : `/routes/top?limit=${limit}`;
      const res = await raw(path);
      expect(res.status, `GET ${path} should be 200 (limit is an integer from 1 to 100, both included; 10 when absent), got ${res.status} ${res.body.slice(0, 120)}`).toBe(200);
      expect(JSON.parse(res.body), `GET ${path} should list the ${limit} busiest route(s)`).toEqual({ routes: expected });
    }
  });

  test('a limit that is out of range or not plain digits is a 400 with { error }', async () => {
    for (const limit of ['0', '101', '-1', '+5', '%205', '5%20', '1e1', '0x10', '5.0', 'ten', '']) {
      const path = `/routes/top?limit=${limit}`;
      const res = await raw(path);
      expect(res.status, `GET ${path} should be 400 (limit must be plain digits from 1 to 100), got ${res.status}`).toBe(400);
      let body: unknown = res.body;
      try {
        body = JSON.parse(res.body);
      } catch {
        /* shown as text */
      }
      expect(body, `GET ${path}: the 400 body should be { "error": "<message>" }`).toEqual({ error: expect.stringMatching(/\S/) });
    }
  });
});

describe('errors', () => {
  test('404 and 400 responses carry no validators, are not cached, and ignore If-None-Match: *', async () => {
    const cases: [string, number][] = [
      ['/routes/SFO/XXX/daily', 404],
      ['/no/such/path', 404],
      ['/routes/top?limit=0', 400],
      ['/routes/top?limit=ten', 400],
    ];
    for (const [path, status] of cases) {
      const variants: Record<string, string>[] = [{}, { 'If-None-Match': '*' }, { 'If-Modified-Since': new Date().toUTCString() }];
      for (const headers of variants) {
        const res = await get(path, headers);
        const sent = JSON.stringify(headers);
        expect(res.status, `GET ${path} with ${sent} should be ${status}, conditional headers or not`).toBe(status);
        expect(res.headers.get('etag'), `GET ${path} (${status}) should not send an ETag`).toBeNull();
        expect(res.headers.get('last-modified'), `GET ${path} (${status}) should not send Last-Modified`).toBeNull();
        expect(
          directives(res.headers.get('cache-control'))['no-store'],
          `GET ${path} (${status}) should send Cache-Control: no-store, got ${res.headers.get('cache-control')}`,
        ).toBe(true);
        const text = await res.text();
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* shown as text */
        }
        expect(body, `GET ${path} (${status}) with ${sent}: the body should be JSON { "error": "<a message>" }`).toEqual({
          error: expect.stringMatching(/\S/),
        });
      }
    }
  });
});

describe('a pipeline reload', () => {
  let served: Remote;
  let pipeline: Database.Database;
  let reloadServer: ServedApp;

  beforeAll(async () => {
    // A writable copy in the host's temp folder: the app reads it through its own handle, opened in the
    // host, while the judge plays the nightly job, a separate connection writing to the same file.
    const file = host.copyFixture('flights-ops.db');
    served = await host.openDb(file);
    pipeline = new Database(file, { fileMustExist: true });
    reloadServer = await host.serve(mod.createApp(served));
  });

  afterAll(async () => {
    try {
      await reloadServer?.close();
      await served?.close();
    } finally {
      pipeline?.close();
    }
  });

  const fetchFrom = (path: string, headers: Record<string, string> = {}) => fetch(reloadServer.url + path, { headers });

  test('changes the ETag and Last-Modified, serves the new data, and stale validators get 200', async () => {
    const path = dailyPath();
    const before = await fetchFrom(path);
    const oldEtag = before.headers.get('etag') as string;
    const oldLastModified = before.headers.get('last-modified') as string;
    const oldBody = (await before.json()) as { days: { day: string; flights: number }[] };

    // The reload: one more flight on the route's first day, recorded as a new run an hour later.
    const firstDay = oldBody.days[0].day;
    const finishedAt = new Date(Date.parse(run.finished_at) + 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    pipeline.transaction(() => {
      pipeline
        .prepare('UPDATE route_daily SET flights = flights + 1 WHERE origin = ? AND destination = ? AND day = ?')
        .run(route.origin, route.destination, firstDay);
      pipeline
        .prepare('INSERT INTO pipeline_runs (version, source, rows_loaded, finished_at) VALUES (?, ?, ?, ?)')
        .run('reload-2', 'flights-20k.json', 20001, finishedAt);
    })();

    const after = await fetchFrom(path, { 'If-None-Match': oldEtag });
    expect(after.status, 'after a reload, If-None-Match with the old ETag should get 200 (the client copy is stale)').toBe(200);
    const newEtag = after.headers.get('etag');
    expect(newEtag, 'after a reload (a new pipeline_runs row) the ETag should change').not.toBe(oldEtag);
    expect(newEtag, 'the new ETag should still be strong and quoted').toMatch(/^"[^"]+"$/);
    expect(after.headers.get('last-modified'), 'Last-Modified should be the new run\'s finished_at').toBe(
      new Date(finishedAt).toUTCString(),
    );
    const newBody = (await after.json()) as { days: { day: string; flights: number }[] };
    expect(newBody.days[0].flights, `after the reload ${firstDay} has one more flight: the response must not be a stale copy`).toBe(
      oldBody.days[0].flights + 1,
    );

    const revalidated = await fetchFrom(path, { 'If-None-Match': newEtag as string });
    expect(revalidated.status, 'the new ETag should now give 304').toBe(304);
    const bySince = await fetchFrom(TOP, { 'If-Modified-Since': oldLastModified });
    expect(bySince.status, 'If-Modified-Since with the old Last-Modified should get 200 after a reload').toBe(200);
    const topEtag = await etagOf(TOP, reloadServer);
    expect(topEtag, 'every aggregate gets new validators after a reload, not only the route that changed').not.toBe(oldEtag);
  });

  test('a second run finishing within the same second still changes the ETag', async () => {
    const path = '/routes/top?limit=3';
    const before = await fetchFrom(path);
    await before.arrayBuffer();
    const oldEtag = before.headers.get('etag') as string;
    const lastModified = before.headers.get('last-modified') as string;
    const current = pipeline.prepare('SELECT finished_at FROM pipeline_runs ORDER BY id DESC LIMIT 1').get() as Run;
    pipeline
      .prepare('INSERT INTO pipeline_runs (version, source, rows_loaded, finished_at) VALUES (?, ?, ?, ?)')
      .run('reload-3', 'flights-20k.json', 20001, current.finished_at);

    const res = await fetchFrom(path, { 'If-None-Match': oldEtag, 'If-Modified-Since': lastModified });
    expect(
      res.status,
      'a new pipeline run with the same finished_at (same second) must still invalidate the old ETag: derive it from the version',
    ).toBe(200);
    expect(res.headers.get('etag')).not.toBe(oldEtag);
  });
});
