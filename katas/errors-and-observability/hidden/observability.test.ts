import { STATUS_CODES } from 'node:http';
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
  }, { timeout: 2000, interval: 10 });
  await send('/healthz'); // one more round trip, so that a second entry for the same request would show
  return (await logs()).filter((e) => e.requestId === id);
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

  test('invalid input is a 400 problem document with a useful detail, instance without the query string', async () => {
    for (const limit of ['0', '101', 'ten', '2.5']) {
      expectProblem(await send(`/routes/top?limit=${limit}`), 400, `GET /routes/top?limit=${limit}`, '/routes/top');
    }
    for (const body of ['{"origin":"sfo"}', '{}', '{"origin":"SFO","minDelay":"lots"}', '[1,2]']) {
      const problem = expectProblem(await send('/delays/search', postJson(body)), 400, `POST /delays/search ${body}`, '/delays/search');
      expect(problem.detail, `the detail for POST /delays/search ${body} should say which field is wrong`).toMatch(
        /origin|minDelay|body|expected|object/i,
      );
    }
  });

  test("Express's own errors go through it too: malformed JSON (400) and a body over the limit (413)", async () => {
    expectProblem(await send('/delays/search', postJson('{"origin": "SFO",')), 400, 'POST /delays/search with malformed JSON', '/delays/search');
    const huge = JSON.stringify({ origin: 'SFO', padding: 'x'.repeat(200_000) });
    expectProblem(await send('/delays/search', postJson(huge)), 413, 'POST /delays/search with a 200 kB body', '/delays/search');
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
    const search = await send('/delays/search', postJson('{"origin":"ORD","minDelay":30}'));
    const row = db.prepare("SELECT COUNT(*) AS flights, ROUND(AVG(delay), 1) AS avgDelay FROM flights WHERE origin = 'ORD' AND delay >= 30").get() as object;
    expect(JSON.parse(search.text), 'POST /delays/search {"origin":"ORD","minDelay":30}').toEqual({
      origin: 'ORD',
      destination: null,
      minDelay: 30,
      ...row,
    });
    expect(top.res.headers.get('x-powered-by'), 'do not advertise the framework: remove X-Powered-By').toBeNull();
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
    }, { timeout: 2000, interval: 10 });
    const entry = (await brokenLogs()).find((e) => e.requestId === 'broken-1') as LogEntry;
    expect(entry.level, 'a 500 should be logged with level "error"').toBe('error');
    expect(entry.status).toBe(500);
    expect(
      typeof entry.error,
      `the log entry's "error" should be the error's message as a string (got ${entry.error === undefined ? 'no "error" field' : typeof entry.error})`,
    ).toBe('string');
    expect(JSON.stringify(entry), 'the log entry should carry the original error message in "error" (logs are where the cause goes)').toMatch(
      /no such table/i,
    );
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
    for (const bad of ['a'.repeat(129), 'has spaces in it', '<script>alert(1)</script>', '"quoted"', 'semi;colon', '']) {
      const sent = await send('/routes/top?limit=1', { headers: { 'X-Request-Id': bad } });
      expect(sent.id, `X-Request-Id: ${bad.slice(0, 40)} is not a valid id: a UUID should be generated instead`).toMatch(UUID);
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
      expect(JSON.parse(JSON.stringify(entry)), 'a log entry should be plain JSON data (no Error objects, no functions)').toEqual(entry);
      expect(JSON.stringify(entry), 'the query string (which may hold secrets) should not be logged').not.toContain('secret');
    }
  });
});

describe('/healthz', () => {
  test('200 {"status":"ok"} while the database answers, 503 problem document once it is closed', async () => {
    const own = await host.openDb(fixturePath('flights-ops.db'), { readonly: true });
    const app = await serveApp(own, (await recorder()).log);
    cleanups.push(() => app.close());
    const ok = await send('/healthz', {}, app);
    expect(ok.res.status, 'GET /healthz with a working database').toBe(200);
    expect(JSON.parse(ok.text)).toEqual({ status: 'ok' });
    expect(ok.res.headers.get('cache-control') ?? '', 'a health check must never be cached: Cache-Control: no-store').toMatch(/no-store/);

    await own.close();
    const down = await send('/healthz', {}, app);
    expectProblem(down, 503, 'GET /healthz after the database connection was closed', '/healthz');
    expect(down.res.headers.get('cache-control') ?? '', 'a failing health check must not be cached either').toMatch(/no-store/);
    const data = await send('/routes/top', {}, app);
    expectProblem(data, 500, 'GET /routes/top after the database connection was closed', '/routes/top');
  });
});
