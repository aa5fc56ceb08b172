import { STATUS_CODES } from 'node:http';
import { connect } from 'node:net';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { fixturePath, loadSolution, solutionDir, type Host, type Remote, type ServedApp } from '@kata/harness';

type LogEntry = Record<string, unknown>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

let host: Host;
/** The learner's module, in the solution host: createApp(db, { log }) is called there. */
let mod: Remote;
/** The judge's own read-only connection to flights-ops.db: expected values come from here. */
let db: Database.Database;
let server: ServedApp;
const cleanups: (() => Promise<void> | void)[] = [];

/** A recorder in the host to pass as `log` (the app calls it synchronously), and a way to read it. */
async function recorder(): Promise<{ log: Remote; entries: () => Promise<LogEntry[]> }> {
  const rec = await host.instrument('recorder');
  return { log: rec.record, entries: async () => (await rec.firsts()) as LogEntry[] };
}

/** The app over a database handle opened in the host, served over real HTTP. */
async function serveApp(appDb: Remote, log: Remote): Promise<ServedApp> {
  return host.serve(mod.createApp(appDb, { log }));
}

/** What the app of `server` logged so far (its recorder's entries, read now). */
let logs: () => Promise<LogEntry[]>;

beforeAll(async () => {
  ({ module: mod, host } = await loadSolution('src/app.ts'));
  db = new Database(fixturePath('flights-ops.db'), { readonly: true, fileMustExist: true });
  const appDb = await host.openDb(fixturePath('flights-ops.db'), { readonly: true });
  const rec = await recorder();
  logs = rec.entries;
  server = await serveApp(appDb, rec.log);
});

afterAll(async () => {
  await server?.close();
  for (const cleanup of cleanups.reverse()) await cleanup();
  db?.close();
  await host?.close();
});

interface Sent {
  res: Response;
  text: string;
  id: string;
}

async function send(path: string, init: RequestInit = {}, base: { url: string } = server): Promise<Sent> {
  const res = await fetch(base.url + path, init);
  const text = await res.text();
  return { res, text, id: res.headers.get('x-request-id') ?? '' };
}

const postJson = (body: string): RequestInit => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body });

/** The problem document of an error response, after checking its media type and members. */
function expectProblem(sent: Sent, status: number, what: string, instance: string): Record<string, unknown> {
  expect(sent.res.status, `${what} should be ${status}`).toBe(status);
  expect(sent.res.headers.get('content-type') ?? '', `${what} should be sent as application/problem+json`).toMatch(
    /^application\/problem\+json\b/,
  );
  let problem: Record<string, unknown>;
  try {
    problem = JSON.parse(sent.text) as Record<string, unknown>;
  } catch {
    throw new Error(`${what}: the body should be a JSON problem document, got ${sent.text.slice(0, 200)}`);
  }
  expect(
    { type: problem.type, title: problem.title, status: problem.status, instance: problem.instance, requestId: problem.requestId },
    `${what}: problem members (title = the HTTP reason phrase, instance = the request path, requestId = the X-Request-Id header)`,
  ).toEqual({ type: 'about:blank', title: STATUS_CODES[status], status, instance, requestId: sent.id });
  expect(typeof problem.detail === 'string' && problem.detail.length > 0, `${what}: "detail" should be a non-empty string`).toBe(true);
  expect(sent.res.headers.get('x-powered-by'), `${what}: no response should carry X-Powered-By`).toBeNull();
  expectNoLeak(sent.text, what);
  return problem;
}

function expectNoLeak(text: string, what: string): void {
  const leaks: [RegExp, string][] = [
    [/\bat \S+ \(|\n\s+at /, 'a stack trace'],
    [/node_modules|\/src\/app|\.ts:\d+|file:\/\//, 'a file path'],
    // The kata folder as the judge was given it, and as the host resolved it (its real path).
    ...[...new Set([solutionDir(), host.kataDir])].map((dir): [RegExp, string] => [new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'the path of your code']),
    [/SqliteError|no such table|SQLITE_|database connection is not open/i, 'a database error message'],
    [/"stack"/, 'a "stack" member'],
  ];
  for (const [pattern, name] of leaks) {
    expect(pattern.test(text), `${what}: the response body leaks ${name}: ${text.slice(0, 300)}`).toBe(false);
  }
}

/** Waits (briefly) until the request's log entry exists, then returns all entries with that id. */
async function entriesFor(id: string, what: string): Promise<LogEntry[]> {
  await vi.waitFor(async () => {
    if (!(await logs()).some((e) => e.requestId === id)) throw new Error(`${what} (X-Request-Id: ${id}) wrote no log entry with that requestId`);
  }, { timeout: 5000, interval: 10 });
  await send('/healthz'); // one more round trip, so that a second entry for the same request would show
  return (await logs()).filter((e) => e.requestId === id);
}

/** The message better-sqlite3 gives for `fn` on a fresh in-memory database (the judge's own copy of the library). */
function sqliteMessage(fn: (d: Database.Database) => unknown): string {
  const d = new Database(':memory:');
  try {
    fn(d);
  } catch (err) {
    return (err as Error).message;
  } finally {
    if (d.open) d.close();
  }
  throw new Error('expected better-sqlite3 to throw');
}

describe('problem details', () => {
  test('an unknown path is a 404 problem document', async () => {
    const sent = await send('/no/such/thing?x=1');
    expectProblem(sent, 404, 'GET /no/such/thing', '/no/such/thing');
    const del = await send('/routes/top', { method: 'DELETE' });
    expectProblem(del, 404, 'DELETE /routes/top (no such route)', '/routes/top');
  });

  test('an unknown flight route is a 404 problem document', async () => {
    const sent = await send('/routes/SFO/XXX/daily');
    expectProblem(sent, 404, 'GET /routes/SFO/XXX/daily', '/routes/SFO/XXX/daily');
  });

  test('a path that cannot be percent-decoded is a 400 problem document, not a 500', async () => {
    // Express's router cannot decode these parameters and hands the error middleware a URIError: the client's mistake.
    for (const [i, path] of ['/routes/%ZZ/LAX/daily', '/routes/SFO/LA%/daily'].entries()) {
      const sent = await send(path, { headers: { 'X-Request-Id': `undecodable-${i}` } });
      expectProblem(sent, 400, `GET ${path} (not valid percent-encoding: a malformed request, not a server error)`, path);
      const [entry] = await entriesFor(sent.id, `GET ${path}`);
      expect({ status: entry.status, level: entry.level }, `the log entry of GET ${path}`).toEqual({ status: 400, level: 'warn' });
    }
  });

  test('invalid input is a 400 problem document with a useful detail, instance without the query string', async () => {
    for (const limit of ['0', '101', 'ten', '2.5']) {
      expectProblem(await send(`/routes/top?limit=${limit}`), 400, `GET /routes/top?limit=${limit}`, '/routes/top');
    }
    // Each body, and the field(s) its detail may name (for a body that is not an object: the body itself).
    const bodies: [string, RegExp][] = [
      ['{"origin":"sfo"}', /origin/],
      ['{}', /origin/],
      ['{"origin":"SFOO"}', /origin/],
      ['{"origin":"SF"}', /origin/],
      ['{"origin":"SFO","destination":"lax"}', /destination/],
      ['{"origin":"SFO","destination":"XLAX"}', /destination/],
      ['{"origin":"SFO","minDelay":"lots"}', /minDelay/],
      ['{"origin":"SFO","minDelay":2.5}', /minDelay/],
      ['{"origin":"SFO","minDelay":1e20}', /minDelay/],
      ['{"origin":"SFO","minDelay":null}', /minDelay/],
      ['{"origin":"SFO","carrier":"AA"}', /carrier/],
      // several fields wrong: naming one of them is enough
      ['{"origin":"sfo","minDelay":"x"}', /origin|minDelay/],
      ['[1,2]', /body|object|array/i],
    ];
    for (const [body, field] of bodies) {
      const problem = expectProblem(await send('/delays/search', postJson(body)), 400, `POST /delays/search ${body}`, '/delays/search');
      expect(problem.detail, `the detail for POST /delays/search ${body} should name the field that is wrong (${field.source})`).toMatch(field);
    }
  });

  test('a search body that is not JSON (no body, another Content-Type) is a 400 problem document', async () => {
    const cases: [string, RequestInit][] = [
      ['with no body', { method: 'POST' }],
      ['with Content-Type: application/json and an empty body', postJson('')],
      ['with Content-Type: text/plain', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: '{"origin":"SFO"}' }],
      ['as a form', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'origin=SFO' }],
    ];
    for (const [what, init] of cases) {
      expectProblem(await send('/delays/search', init), 400, `POST /delays/search ${what}`, '/delays/search');
    }
  });

  test("Express's own errors go through it too: malformed JSON (400) and a body over the limit (413)", async () => {
    expectProblem(await send('/delays/search', postJson('{"origin": "SFO",')), 400, 'POST /delays/search with malformed JSON', '/delays/search');
    const huge = JSON.stringify({ origin: 'SFO', padding: 'x'.repeat(200_000) });
    expectProblem(await send('/delays/search', postJson(huge)), 413, 'POST /delays/search with a 200 kB body', '/delays/search');
    // Express's default limit is 100 kB = 102,400 bytes: a valid body padded with spaces to exactly that is read.
    const limit = 100 * 1024;
    const atLimit = '{"origin":"SFO"}'.padEnd(limit, ' ');
    const read = await send('/delays/search', postJson(atLimit));
    expect(read.res.status, `POST /delays/search with a valid body of exactly ${limit} bytes (Express's default limit) should be read: 200`).toBe(200);
    expectProblem(await send('/delays/search', postJson(`${atLimit} `)), 413, `POST /delays/search with a body of ${limit + 1} bytes`, '/delays/search');
  });

  test('successful responses are unchanged', async () => {
    const top = await send('/routes/top?limit=3');
    expect(top.res.status).toBe(200);
    const expected = db
      .prepare(
        `SELECT origin, destination, SUM(flights) AS flights, ROUND(SUM(total_delay) * 1.0 / SUM(flights), 1) AS avgDelay
         FROM route_daily GROUP BY origin, destination ORDER BY flights DESC, origin, destination LIMIT 3`,
      )
      .all();
    expect(JSON.parse(top.text), 'GET /routes/top?limit=3').toEqual({ routes: expected });
    // Every filter the body can carry, 0 and negative delays included, and a Content-Type with a charset.
    const searches: { origin: string; destination?: string; minDelay?: number }[] = [
      { origin: 'ORD', minDelay: 30 },
      { origin: 'ORD', minDelay: 0 },
      { origin: 'SFO', destination: 'LAX' },
      { origin: 'SFO', destination: 'LAX', minDelay: -5 },
      { origin: 'LAX', minDelay: Number.MAX_SAFE_INTEGER },
    ];
    const expectedRow = db.prepare(
      `SELECT COUNT(*) AS flights, ROUND(AVG(delay), 1) AS avgDelay FROM flights
       WHERE origin = ? AND (? IS NULL OR destination = ?) AND (? IS NULL OR delay >= ?)`,
    );
    const expectations = searches.map((q) => {
      const destination = q.destination ?? null;
      const minDelay = q.minDelay ?? null;
      return { origin: q.origin, destination, minDelay, ...(expectedRow.get(q.origin, destination, destination, minDelay, minDelay) as object) };
    });
    for (const [i, q] of searches.entries()) {
      const body = JSON.stringify(q);
      const search = await send('/delays/search', {
        method: 'POST',
        headers: { 'Content-Type': i === 1 ? 'application/json; charset=utf-8' : 'application/json' },
        body,
      });
      expect(search.res.status, `POST /delays/search ${body}`).toBe(200);
      expect(JSON.parse(search.text), `POST /delays/search ${body}`).toEqual(expectations[i]);
    }
    expect(top.res.headers.get('x-powered-by'), 'do not advertise the framework: remove X-Powered-By').toBeNull();
  });

  test('GET /routes/top takes every limit from 1 to 100 (10 without one)', async () => {
    const top = db.prepare(
      `SELECT origin, destination, SUM(flights) AS flights, ROUND(SUM(total_delay) * 1.0 / SUM(flights), 1) AS avgDelay
       FROM route_daily GROUP BY origin, destination ORDER BY flights DESC, origin, destination LIMIT ?`,
    );
    for (const [query, limit] of [['?limit=1', 1], ['?limit=100', 100], ['', 10]] as const) {
      const sent = await send(`/routes/top${query}`);
      expect(sent.res.status, `GET /routes/top${query}: limit is an integer from 1 to 100${query ? '' : ' (10 by default)'}, so this is a 200`).toBe(200);
      expect(JSON.parse(sent.text), `GET /routes/top${query}: the ${limit} busiest routes`).toEqual({ routes: top.all(limit) });
    }
  });

  test('GET /routes/:origin/:destination/daily keeps its 200 body', async () => {
    const expected = db
      .prepare(
        `SELECT day, flights, ROUND(total_delay * 1.0 / flights, 1) AS avgDelay, delayed
         FROM route_daily WHERE origin = ? AND destination = ? ORDER BY day`,
      )
      .all('SFO', 'LAX');
    const sent = await send('/routes/SFO/LAX/daily');
    expect(sent.res.status, 'GET /routes/SFO/LAX/daily (a route with flights)').toBe(200);
    expect(JSON.parse(sent.text), 'GET /routes/SFO/LAX/daily').toEqual({ origin: 'SFO', destination: 'LAX', days: expected });
  });
});

describe('an unexpected error', () => {
  let broken: ServedApp;
  let brokenDb: Remote;
  let brokenLogs: () => Promise<LogEntry[]>;

  beforeAll(async () => {
    // A writable copy in the host's temp folder (removed with the host).
    brokenDb = await host.openDb(host.copyFixture('flights-ops.db'));
    const rec = await recorder();
    brokenLogs = rec.entries;
    broken = await serveApp(brokenDb, rec.log);
    // A migration gone wrong: the aggregate table disappears under the running server (through the
    // very connection the app uses, as before).
    await brokenDb.exec('DROP TABLE route_daily');
    cleanups.push(async () => {
      await broken.close();
      if (host.running) await brokenDb.close();
    });
  });

  test('is a 500 problem document that reveals nothing about the cause, and the server keeps serving', async () => {
    const sent = await send('/routes/top', {}, broken);
    expectProblem(sent, 500, 'GET /routes/top with the route_daily table gone', '/routes/top');
    const again = await send('/delays/search', postJson('{"origin":"SFO"}'), broken);
    expect(again.res.status, 'after a 500, other routes should still work').toBe(200);
  });

  test('is logged at level "error" with the real cause in an "error" field', async () => {
    const sent = await send('/routes/LAX/PHX/daily', { headers: { 'X-Request-Id': 'broken-1' } }, broken);
    expect(sent.res.status).toBe(500);
    await vi.waitFor(async () => {
      if (!(await brokenLogs()).some((e) => e.requestId === 'broken-1')) throw new Error('no log entry with requestId broken-1');
    }, { timeout: 5000, interval: 10 });
    const entry = (await brokenLogs()).find((e) => e.requestId === 'broken-1') as LogEntry;
    expect(entry.level, 'a 500 should be logged with level "error"').toBe('error');
    expect(entry.status).toBe(500);
    expect(
      typeof entry.error,
      `the log entry's "error" should be the error's message as a string (got ${entry.error === undefined ? 'no "error" field' : typeof entry.error})`,
    ).toBe('string');
    const original = sqliteMessage((d) => d.prepare('SELECT day FROM route_daily'));
    expect(entry.error, `the log entry's "error" should be the original error's message (${original}), not the public sentence`).toContain(original);
  });
});

describe('request ids', () => {
  test('a well-formed X-Request-Id is echoed in the header, the problem body and the log', async () => {
    const id = 'req_2001-04-01.nightly-42';
    const sent = await send('/routes/SFO/XXX/daily', { headers: { 'X-Request-Id': id } });
    expect(sent.id, `X-Request-Id: ${id} should be echoed back`).toBe(id);
    expect(JSON.parse(sent.text).requestId, 'the problem document should carry the same requestId').toBe(id);
    const entries = await entriesFor(id, 'GET /routes/SFO/XXX/daily');
    expect(entries.length, `exactly one log entry for request ${id}`).toBe(1);
    // The longest and shortest ids allowed are echoed too.
    for (const edge of [`trace.${'0123456789abcdef'.repeat(8)}`.slice(0, 128), 'Z']) {
      const ok = await send('/routes/top?limit=1', { headers: { 'X-Request-Id': edge } });
      expect(ok.id, `X-Request-Id of ${edge.length} allowed characters (${edge.slice(0, 24)}…) should be echoed back`).toBe(edge);
    }
  });

  test('without one, each request gets a fresh UUID', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const sent = await send('/routes/top?limit=1');
      expect(sent.id, 'a request without X-Request-Id should get a generated UUID in the X-Request-Id response header').toMatch(UUID);
      ids.add(sent.id);
    }
    expect(ids.size, 'every request should get its own id').toBe(4);
  });

  test('a malformed X-Request-Id is replaced, not echoed', async () => {
    for (const bad of ['a'.repeat(129), 'has spaces in it', '<script>alert(1)</script>', '"quoted"', 'semi;colon', 'a/b', 'café', '']) {
      const sent = await send('/routes/top?limit=0', { headers: { 'X-Request-Id': bad } });
      const shown = JSON.stringify(bad.length > 40 ? `${bad.slice(0, 40)}…` : bad);
      expect(sent.id, `X-Request-Id: ${shown} is not a valid id: a UUID should be generated instead`).toMatch(UUID);
      expectProblem(sent, 400, `GET /routes/top?limit=0 with X-Request-Id: ${shown}`, '/routes/top');
    }
  });
});

describe('structured logs', () => {
  test('one entry per request with requestId, method, path (no query), status, durationMs and level', async () => {
    const cases: [string, RequestInit, number, string, string][] = [
      ['/routes/top?limit=2&token=secret', {}, 200, 'info', '/routes/top'],
      ['/routes/top?limit=nope', {}, 400, 'warn', '/routes/top'],
      ['/nowhere', {}, 404, 'warn', '/nowhere'],
      ['/delays/search', postJson('{"origin":"LAX"}'), 200, 'info', '/delays/search'],
      // Requests that Express's own middleware refuses are requests too.
      ['/delays/search?debug=secret', postJson('{"origin": "LAX",'), 400, 'warn', '/delays/search'],
      ['/delays/search', postJson(JSON.stringify({ origin: 'LAX', padding: 'x'.repeat(200_000) })), 413, 'warn', '/delays/search'],
    ];
    for (const [i, [path, init, status, level, loggedPath]] of cases.entries()) {
      const id = `log-case-${i}`;
      const method = init.method ?? 'GET';
      const sent = await send(path, { ...init, headers: { ...(init.headers as object), 'X-Request-Id': id } });
      expect(sent.res.status, `${method} ${path}`).toBe(status);
      const entries = await entriesFor(id, `${method} ${path}`);
      expect(entries.length, `${method} ${path} should produce exactly one log entry, got ${entries.length}`).toBe(1);
      const entry = entries[0];
      expect(
        { requestId: entry.requestId, method: entry.method, path: entry.path, status: entry.status, level: entry.level },
        `the log entry for ${method} ${path}`,
      ).toEqual({ requestId: id, method, path: loggedPath, status, level });
      expect(
        typeof entry.durationMs === 'number' && Number.isFinite(entry.durationMs) && entry.durationMs >= 0,
        `durationMs should be a number of milliseconds, got ${JSON.stringify(entry.durationMs)} (${typeof entry.durationMs})`,
      ).toBe(true);
      expect('error' in entry, `the log entry for a ${status} should have no "error" field (it is for 5xx only); got ${JSON.stringify(entry.error)}`).toBe(false);
      expect(JSON.parse(JSON.stringify(entry)), 'a log entry should be plain JSON data (no Error objects, no functions)').toEqual(entry);
      expect(JSON.stringify(entry), 'the query string (which may hold secrets) should not be logged').not.toContain('secret');
    }
  });
});

describe('log timing and the default logger', () => {
  test('durationMs is the time in milliseconds from the request reaching the app to its response (a body sent 400 ms after its headers)', async () => {
    const id = 'slow-body-1';
    const pause = 400;
    const body = '{"origin":"SFO"}';
    const { hostname, port } = new URL(server.url);
    // Expect: 100-continue: the server answers "100 Continue" as it hands the request to the app, so the
    // app has the request (and its clock runs) before the body is sent, `pause` ms later.
    const started = performance.now();
    const { status, elapsed } = await new Promise<{ status: number; elapsed: number }>((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => {
        socket.write(
          `POST /delays/search HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n` +
            `Expect: 100-continue\r\nConnection: close\r\nX-Request-Id: ${id}\r\n\r\n`,
        );
      });
      let got = '';
      let continued = false;
      socket.on('data', (chunk: Buffer) => {
        got += chunk.toString('latin1');
        if (!continued && /^HTTP\/1\.1 100[^\r]*\r\n\r\n/.test(got)) {
          continued = true;
          got = got.replace(/^HTTP\/1\.1 100[^\r]*\r\n\r\n/, '');
          setTimeout(() => socket.write(body), pause);
        }
      });
      socket.on('close', () => {
        const elapsed = performance.now() - started;
        const match = /^HTTP\/1\.1 (\d{3})/.exec(got);
        if (!continued || !match) reject(new Error(`expected "HTTP/1.1 100 Continue", then a response, got ${JSON.stringify(got.slice(0, 80))}`));
        else resolve({ status: Number(match[1]), elapsed });
      });
      socket.on('error', reject);
    });
    expect(status, `POST /delays/search ${body}, its body sent ${pause} ms after its headers`).toBe(200);
    const [entry] = await entriesFor(id, `POST /delays/search whose body came ${pause} ms after its headers`);
    expect(typeof entry.durationMs, `durationMs should be a number, got ${JSON.stringify(entry.durationMs)}`).toBe('number');
    const durationMs = entry.durationMs as number;
    expect(
      durationMs >= pause / 2 && durationMs <= elapsed + 5,
      `durationMs of a request whose body came ${pause} ms after its headers (${Math.round(elapsed)} ms from connect to response, as the judge measured) ` +
        `should be the milliseconds from the request reaching the app to its response finishing, got ${durationMs}`,
    ).toBe(true);
  });

  test('without a log option, the entries are written to stdout as JSON lines', async () => {
    const printed: string[] = [];
    // The host's stdout reaches the judge as console.log (and so does console.log of the in-process transport).
    const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(' ')));
    try {
      const appDb = await host.openDb(fixturePath('flights-ops.db'), { readonly: true });
      const app = await host.serve(mod.createApp(appDb));
      cleanups.push(() => app.close());
      const id = 'default-log-1';
      const sent = await send('/routes/top?limit=1', { headers: { 'X-Request-Id': id } }, app);
      expect(sent.res.status, 'GET /routes/top?limit=1 on createApp(db) without options').toBe(200);
      const parsed = (): LogEntry[] =>
        printed
          .flatMap((text) => text.split('\n'))
          .flatMap((line) => {
            try {
              const value = JSON.parse(line) as unknown;
              return typeof value === 'object' && value !== null ? [value as LogEntry] : [];
            } catch {
              return [];
            }
          });
      await vi.waitFor(() => {
        if (!parsed().some((e) => e.requestId === id)) {
          throw new Error(
            `createApp(db) without a log option should write each entry to stdout as one JSON line; no line parsed as JSON with requestId ${id} ` +
              `(printed: ${JSON.stringify(printed.join('\n').slice(0, 200))})`,
          );
        }
      }, { timeout: 5000, interval: 20 });
      const entry = parsed().find((e) => e.requestId === id) as LogEntry;
      expect({ method: entry.method, path: entry.path, status: entry.status }, 'the JSON line written to stdout for GET /routes/top?limit=1').toEqual({
        method: 'GET',
        path: '/routes/top',
        status: 200,
      });
    } finally {
      spy.mockRestore();
    }
  });
});

describe('a client that hangs up', () => {
  test('halfway through sending its body is still logged, exactly once', async () => {
    const id = 'hangs-up-1';
    const { hostname, port } = new URL(server.url);
    // Expect: 100-continue makes the server answer "100 Continue" once it has read the headers and handed
    // the request to the app, so the hang-up below cannot come before the app has seen the request.
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => {
        socket.write(
          `POST /delays/search HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n` +
            `Expect: 100-continue\r\nX-Request-Id: ${id}\r\n\r\n`,
        );
      });
      let got = '';
      socket.on('data', (chunk: Buffer) => {
        got += chunk.toString('latin1');
        if (/^HTTP\/1\.1 100/.test(got)) {
          socket.write('{"origin": "SF');
          socket.destroy();
          resolve();
        } else if (/^HTTP\/1\.1 [2-5]/.test(got)) {
          socket.destroy();
          reject(new Error(`expected "HTTP/1.1 100 Continue" before the body was sent, got ${JSON.stringify(got.slice(0, 80))}`));
        }
      });
      socket.on('error', reject);
    });
    const entries = await entriesFor(id, 'POST /delays/search whose client hung up halfway through the body (res emits "close", never "finish")');
    expect(entries.length, `a request whose client hung up should produce exactly one log entry, got ${entries.length}`).toBe(1);
    expect({ method: entries[0].method, path: entries[0].path }, 'the log entry of the request whose client hung up').toEqual({
      method: 'POST',
      path: '/delays/search',
    });
  });
});

describe('/healthz', () => {
  test('200 {"status":"ok"} while the database answers, 503 problem document once it is closed', async () => {
    const own = await host.openDb(fixturePath('flights-ops.db'), { readonly: true });
    const rec = await recorder();
    const app = await serveApp(own, rec.log);
    cleanups.push(() => app.close());
    const ok = await send('/healthz', {}, app);
    expect(ok.res.status, 'GET /healthz with a working database').toBe(200);
    expect(JSON.parse(ok.text)).toEqual({ status: 'ok' });
    expect(ok.res.headers.get('cache-control') ?? '', 'a health check must never be cached: Cache-Control: no-store').toMatch(/no-store/);

    await own.close();
    const down = await send('/healthz', { headers: { 'X-Request-Id': 'health-down' } }, app);
    expectProblem(down, 503, 'GET /healthz after the database connection was closed', '/healthz');
    await vi.waitFor(async () => {
      if (!(await rec.entries()).some((e) => e.requestId === 'health-down')) throw new Error('the 503 from /healthz wrote no log entry');
    }, { timeout: 5000, interval: 10 });
    const entry = (await rec.entries()).find((e) => e.requestId === 'health-down') as LogEntry;
    expect({ status: entry.status, level: entry.level }, 'the log entry of the 503 from /healthz').toEqual({ status: 503, level: 'error' });
    const closed = sqliteMessage((d) => {
      d.close();
      d.prepare('SELECT 1');
    });
    expect(
      entry.error,
      `the log's "error" for the 503 should be the database's own message (${closed}), not the 503's sentence`,
    ).toEqual(expect.stringContaining(closed));
    expect(down.res.headers.get('cache-control') ?? '', 'a failing health check must not be cached either').toMatch(/no-store/);
    const data = await send('/routes/top', {}, app);
    expectProblem(data, 500, 'GET /routes/top after the database connection was closed', '/routes/top');
  });
});
