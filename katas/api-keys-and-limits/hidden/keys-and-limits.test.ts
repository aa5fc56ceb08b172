import { existsSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadSolution, solutionDir, type Host, type Remote } from '@kata/harness';

/** The learner's module, in the solution host: createApp(db, { now, limit, windowMs }?) and issueKey(db, { name, scopes }). */
let mod: Remote;
let host: Host;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  ({ module: mod, host } = await loadSolution('src/app.ts'));
});

afterAll(async () => {
  try {
    for (const cleanup of cleanups.reverse()) await cleanup();
  } finally {
    await host?.close();
  }
});

/**
 * A writable copy of flights-ops.db in the host's temp folder: issuing keys writes to it. `db` is the
 * handle the learner's functions get (opened in the host); `own` is the judge's own connection to the
 * same file, for the answers it expects.
 */
async function tempDatabase(): Promise<{ file: string; db: Remote; own: Database.Database }> {
  const file = host.copyFixture('flights-ops.db');
  const db = await host.openDb(file);
  const own = new Database(file, { fileMustExist: true });
  cleanups.push(async () => {
    own.close();
    await db.close();
  });
  return { file, db, own };
}

/** A server on its own database copy, with a fake clock (in the host) the test moves by hand. */
async function serve(options: { limit?: number; windowMs?: number; start?: number } | null) {
  const { file, db, own } = await tempDatabase();
  const start = options?.start ?? 1_700_000_000_123;
  const clock = await host.instrument('clock', start);
  const app = options === null ? mod.createApp(db) : mod.createApp(db, { now: clock.now, limit: options.limit, windowMs: options.windowMs });
  const server = await host.serve(app);
  cleanups.push(() => server.close());
  const call = (path: string, key?: string, headers: Record<string, string> = {}) =>
    fetch(server.url + path, { headers: key === undefined ? headers : { ...headers, Authorization: `Bearer ${key}` } });
  /** Sets the fake clock (milliseconds). */
  const setClock = async (t: number) => {
    await clock.set(t);
  };
  return { file, db, own, clock, start, setClock, server, call };
}

const expectedTop = (db: Database.Database, n: number) =>
  db
    .prepare(
      `SELECT origin, destination, SUM(flights) AS flights, ROUND(SUM(total_delay) * 1.0 / SUM(flights), 1) AS avgDelay
       FROM route_daily GROUP BY origin, destination ORDER BY flights DESC, origin, destination LIMIT ?`,
    )
    .all(n);

const expectedDaily = (db: Database.Database, origin: string, destination: string) =>
  db
    .prepare(
      `SELECT day, flights, ROUND(total_delay * 1.0 / flights, 1) AS avgDelay, delayed
       FROM route_daily WHERE origin = ? AND destination = ? ORDER BY day`,
    )
    .all(origin, destination);

/**
 * Reads the body of a failure and fails unless it is JSON {"error": "<message>"} with a message that is
 * not empty (its wording is the learner's). `what` names the response, e.g. "a 401".
 */
async function expectErrorBody(res: Response, what: string): Promise<void> {
  const text = await res.text();
  let body: { error?: unknown } = {};
  try {
    body = JSON.parse(text) as { error?: unknown };
  } catch {
    // not JSON: reported below
  }
  expect(typeof body.error, `${what} should have a JSON body {"error": "..."}; got ${JSON.stringify(text.slice(0, 80))}`).toBe('string');
  expect(
    (body.error as string).trim().length,
    `${what} should have a JSON body {"error": "..."} whose message says what went wrong; got ${JSON.stringify(text.slice(0, 80))}`,
  ).toBeGreaterThan(0);
}

/** Fails if an error body (its raw text) gives away how the server is built: stack frames, file paths, SQLite's words. */
function expectNoLeak(text: string, what: string): void {
  const leaks: [RegExp, string][] = [
    [/\bat \S+ \(|\n\s+at /, 'a stack trace'],
    [/node_modules|\/src\/app|\.ts:\d+|file:\/\//, 'a file path'],
    // The solution's folder as the judge was given it, and as the host resolved it (its real path).
    ...[...new Set([solutionDir(), host.kataDir])].map((dir): [RegExp, string] => [new RegExp(dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'the path of your code']),
    [/SqliteError|no such table|SQLITE_|database connection is not open/i, 'a SQLite error message'],
    [/"stack"/, 'a "stack" member'],
  ];
  for (const [pattern, name] of leaks) {
    expect(pattern.test(text), `${what}: the response body leaks ${name}: ${JSON.stringify(text.slice(0, 300))}`).toBe(false);
  }
}

/** The parts of a WWW-Authenticate challenge: the scheme and its auth-params (RFC 7235 §2.1), names lower-cased. */
function parseChallenge(header: string | null): { scheme: string; params: Record<string, string> } | null {
  if (header === null) return null;
  const head = /^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*/.exec(header);
  if (!head) return null;
  const params: Record<string, string> = {};
  const param = /([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))\s*(?:,\s*|$)/y;
  param.lastIndex = head[0].length;
  while (param.lastIndex < header.length) {
    const m = param.exec(header);
    if (!m) return null;
    params[m[1].toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
  }
  return { scheme: head[1], params };
}

/**
 * Fails unless `header` is the Bearer challenge with realm="flights" and, when `error` is given, that error
 * (else none). Both sides are shown in one canonical form: scheme, realm, error (other parameters ignored).
 */
function expectChallenge(header: string | null, error: string | undefined, what: string): void {
  const canonical = (scheme: string, params: Record<string, string>) =>
    [scheme.toLowerCase() === 'bearer' ? 'Bearer' : scheme, [params.realm, params.error].some((v) => v !== undefined) ? ' ' : '',
      [params.realm !== undefined ? `realm="${params.realm}"` : '', params.error !== undefined ? `error="${params.error}"` : '']
        .filter(Boolean)
        .join(', ')].join('');
  const parsed = parseChallenge(header);
  const received =
    header === null ? '(no WWW-Authenticate header)' : parsed === null ? `(not a challenge) ${header}` : canonical(parsed.scheme, parsed.params);
  const expected = canonical('Bearer', error ? { realm: 'flights', error } : { realm: 'flights' });
  expect(received, `${what}: WWW-Authenticate should be ${expected}${error ? '' : ', with no error parameter'}`).toBe(expected);
}

/** The smallest usual alphabet that holds every character in `chars`, and its size. */
function alphabetOf(chars: Set<string>): { name: string; size: number } {
  const all = [...chars].join('');
  for (const [name, size, re] of [
    ['decimal digits', 10, /^[0-9]*$/],
    ['hex', 16, /^[0-9a-f]*$/],
    ['hex', 16, /^[0-9A-F]*$/],
    ['base32', 32, /^[a-z2-7]*$/],
    ['base32', 32, /^[A-Z2-7]*$/],
    ['base64url', 64, /^[A-Za-z0-9_-]*$/],
    ['base64', 64, /^[A-Za-z0-9+/]*$/],
  ] as const) {
    if (re.test(all)) return { name, size };
  }
  return { name: `${chars.size} distinct characters`, size: Math.max(chars.size, 2) };
}

/**
 * How many random bits the keys carry, estimated from the keys themselves: align them on their last
 * character, count the positions whose character is not the same in every key (a constant prefix such as
 * `fk_` carries none), and multiply by log2 of the alphabet those characters come from.
 */
function estimateRandomBits(keys: string[]): { bits: number; varying: number; alphabet: string } {
  const width = Math.max(...keys.map((k) => k.length));
  let varying = 0;
  const chars = new Set<string>();
  for (let fromEnd = 1; fromEnd <= width; fromEnd++) {
    const column = keys.map((k) => (k.length >= fromEnd ? k[k.length - fromEnd] : ''));
    if (new Set(column).size > 1) {
      varying += 1;
      for (const c of column) if (c !== '') chars.add(c);
    }
  }
  const alphabet = alphabetOf(chars);
  return { bits: varying * Math.log2(alphabet.size), varying, alphabet: alphabet.name };
}

describe('storing keys', () => {
  test('issueKey returns distinct, unguessable keys, and the database file never contains them', async () => {
    const { file, db } = await tempDatabase();
    const keys: string[] = [];
    for (let i = 0; i < 32; i++) keys.push(await mod.issueKey(db, { name: `team-${i}`, scopes: ['routes:read'] }));
    for (const key of keys) expect(typeof key, 'issueKey should return the key as a string').toBe('string');
    expect(new Set(keys).size, 'every issued key should be different').toBe(keys.length);
    const { bits, varying, alphabet } = estimateRandomBits(keys);
    expect(
      Math.round(bits * 10) / 10,
      `a key should carry at least 128 random bits: over ${keys.length} keys, ${varying} character positions vary, ` +
        `all ${alphabet} (${bits.toFixed(1)} bits), e.g. "${keys[0]}"`,
    ).toBeGreaterThanOrEqual(128);
    // Whatever the table looks like, the bytes on disk (and in a WAL, if any) must not reveal a key.
    const bytes = Buffer.concat([file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f)));
    for (const key of keys) {
      for (const [form, text] of [
        ['plaintext', key],
        ['hex-encoded', Buffer.from(key).toString('hex')],
        ['base64-encoded', Buffer.from(key).toString('base64')],
        ['base64url-encoded', Buffer.from(key).toString('base64url')],
      ]) {
        expect(bytes.includes(Buffer.from(text)), `the database file contains an issued key (${form}): store a hash of it instead`).toBe(false);
      }
    }
  });
});

describe('authentication and scopes', () => {
  let api: Awaited<ReturnType<typeof serve>>;
  let reader: string;
  let operator: string;

  beforeAll(async () => {
    api = await serve({ limit: 1000, windowMs: 60_000 });
    reader = await mod.issueKey(api.db, { name: 'dashboards', scopes: ['routes:read'] });
    operator = await mod.issueKey(api.db, { name: 'oncall', scopes: ['pipeline:read'] });
  });

  test('a missing, empty or malformed Authorization header → 401 with the plain Bearer challenge', async () => {
    // Malformed headers built around a key that works, so that only the header's shape is wrong.
    const variants: Record<string, string>[] = [
      {},
      { Authorization: '' },
      { Authorization: 'Bearer' },
      { Authorization: 'Basic ZGFzaGJvYXJkczpodW50ZXIy' },
      { Authorization: `Basic ${reader}` },
      { Authorization: `Token ${reader}` },
      { Authorization: `xBearer ${reader}` },
      { Authorization: `Basic Bearer ${reader}` },
      { Authorization: `Bearer ${reader} ${reader}` },
    ];
    for (const headers of variants) {
      const res = await api.call('/routes/top', undefined, headers);
      const sent = 'Authorization' in headers ? `Authorization: ${JSON.stringify(headers.Authorization)}` : 'no Authorization header';
      expect(res.status, `GET /routes/top with ${sent} should be 401 (not Bearer <key>)`).toBe(401);
      expectChallenge(res.headers.get('www-authenticate'), undefined, `a 401 for ${sent}, which is not Bearer <key>`);
      await expectErrorBody(res, `a 401 for ${sent}`);
    }
  });

  test('the Bearer scheme is case-insensitive and may be followed by several spaces', async () => {
    for (const header of [`bearer ${reader}`, `BEARER ${reader}`, `Bearer  ${reader}`, `bEaReR   ${reader}`]) {
      const res = await api.call('/routes/top?limit=1', undefined, { Authorization: header });
      expect(res.status, `Authorization: ${JSON.stringify(header.replace(reader, '<key>'))} carries a valid key and should get 200`).toBe(200);
      await res.arrayBuffer();
    }
    const res = await api.call('/routes/top?limit=1', undefined, { Authorization: 'bearer  fk_not-a-real-key' });
    expect(res.status, 'Authorization: "bearer  fk_not-a-real-key" should be 401').toBe(401);
    expectChallenge(res.headers.get('www-authenticate'), 'invalid_token', 'an unknown key after a lower-case scheme');
    await res.arrayBuffer();
  });

  test('an unknown or altered key → 401 with error="invalid_token"', async () => {
    const last = reader.at(-1) === 'A' ? 'B' : 'A';
    // The last character's neighbour in the base64url alphabet (its lowest bit flipped): a decoder of a
    // base64 key ignores the last character's unused bits, so that key would decode to the same bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const index = alphabet.indexOf(reader.at(-1) as string);
    const flipped = index >= 0 ? [reader.slice(0, -1) + alphabet[index ^ 1]] : [];
    // A decoder also stops at padding or at a character outside its alphabet: "=" and "." change the key.
    const altered = [reader.slice(0, -1) + last, ...flipped, reader.slice(0, -1), `${reader}x`, `${reader}=`, `${reader}.`, reader.toUpperCase()];
    for (const key of ['fk_not-a-real-key', ...altered]) {
      const res = await api.call('/routes/top', key);
      expect(res.status, `a key that was never issued ("${key}") should get 401`).toBe(401);
      expectChallenge(res.headers.get('www-authenticate'), 'invalid_token', `a 401 for the unknown key "${key}"`);
      await expectErrorBody(res, `a 401 for the unknown key "${key}"`);
    }
  });

  test('a key with the scope gets the data', async () => {
    const res = await api.call('/routes/top?limit=4', reader);
    expect(res.status, 'GET /routes/top with a routes:read key should be 200').toBe(200);
    expect(await res.json()).toEqual({ routes: expectedTop(api.own, 4) });
    const daily = await api.call('/routes/LAX/PHX/daily', reader);
    expect(daily.status, 'GET /routes/LAX/PHX/daily with a routes:read key should be 200').toBe(200);
    expect(await daily.json(), 'GET /routes/LAX/PHX/daily should answer {"origin", "destination", "days": [...]}').toEqual({
      origin: 'LAX',
      destination: 'PHX',
      days: expectedDaily(api.own, 'LAX', 'PHX'),
    });
    const runs = await api.call('/pipeline/runs', operator);
    expect(runs.status, 'GET /pipeline/runs with a pipeline:read key should be 200').toBe(200);
    const expectedRuns = api.own
      .prepare('SELECT id, version, source, rows_loaded AS rowsLoaded, finished_at AS finishedAt FROM pipeline_runs ORDER BY id')
      .all();
    expect(await runs.json()).toEqual({ runs: expectedRuns });
  });

  test('past the checks the routes run as in the starter: default and bad limits, 404 for a route with no flights', async () => {
    const top = await api.call('/routes/top', reader);
    expect(top.status, 'GET /routes/top without ?limit should be 200').toBe(200);
    expect(await top.json(), 'GET /routes/top without ?limit should answer the top 10 routes').toEqual({ routes: expectedTop(api.own, 10) });
    const hundred = await api.call('/routes/top?limit=100', reader);
    expect(hundred.status, 'GET /routes/top?limit=100 should be 200 (100 is allowed)').toBe(200);
    expect(await hundred.json()).toEqual({ routes: expectedTop(api.own, 100) });
    // Decoded values: "+5", " 5", "5 ", "5e1", "0x5", "1.5", "0", "101", "ten", "": only digits, 1 to 100.
    for (const query of ['%2B5', '%205', '5%20', '5e1', '0x5', '1.5', '0', '101', 'ten', '']) {
      const shown = JSON.stringify(decodeURIComponent(query));
      const res = await api.call(`/routes/top?limit=${query}`, reader);
      expect(res.status, `GET /routes/top with limit ${shown} should be 400: limit is a whole number from 1 to 100, in digits`).toBe(400);
      await expectErrorBody(res, `a 400 for limit ${shown}`);
    }
    const none = await api.call('/routes/LAX/ZZZ/daily', reader);
    expect(none.status, 'GET /routes/LAX/ZZZ/daily (no flights on that route) should be 404').toBe(404);
    await expectErrorBody(none, 'a 404 for a route with no flights');
  });

  test('a valid key without the route\'s scope → 403, not 401', async () => {
    for (const [path, key, scope] of [
      ['/pipeline/runs', reader, 'pipeline:read'],
      ['/routes/top', operator, 'routes:read'],
      ['/routes/LAX/PHX/daily', operator, 'routes:read'],
    ] as const) {
      const res = await api.call(path, key);
      expect(res.status, `GET ${path} with a valid key that lacks ${scope} should be 403 (authenticated, not allowed)`).toBe(403);
      const body = (await res.json()) as { error?: unknown };
      expect(typeof body.error === 'string' ? body.error : '', `the 403 body {"error": ...} should name the missing scope ${scope}`).toContain(scope);
    }
  });

  test('a key issued with no scopes authenticates and is counted, then gets 403 on every route', async () => {
    const api = await serve({ limit: 5, windowMs: 60_000 });
    const nobody = await mod.issueKey(api.db, { name: 'no scopes', scopes: [] });
    for (const [i, [path, scope]] of ([['/routes/top', 'routes:read'], ['/routes/LAX/PHX/daily', 'routes:read'], ['/pipeline/runs', 'pipeline:read']] as const).entries()) {
      const res = await api.call(path, nobody);
      expect(res.status, `GET ${path} with a key issued with scopes [] should be 403 (it was issued: authenticated, not allowed), not 401`).toBe(403);
      expect(res.headers.get('x-ratelimit-remaining'), `the 403 for GET ${path} counts: X-RateLimit-Remaining after request ${i + 1} of 5`).toBe(String(5 - i - 1));
      const body = (await res.json()) as { error?: unknown };
      expect(typeof body.error === 'string' ? body.error : '', `the 403 body {"error": ...} should name the missing scope ${scope}`).toContain(scope);
    }
  });

  test('a key issued while the server is running works at once', async () => {
    const late = await mod.issueKey(api.db, { name: 'late-team', scopes: ['routes:read', 'pipeline:read'] });
    const res = await api.call('/pipeline/runs', late);
    expect(res.status, 'a key issued after createApp() should be accepted without a restart').toBe(200);
  });
});

describe('rate limiting', () => {
  const LIMIT = 3;
  const WINDOW = 10_000;

  test('each key gets `limit` requests per window, then 429 with Retry-After in whole seconds', async () => {
    const api = await serve({ limit: LIMIT, windowMs: WINDOW });
    const key = await mod.issueKey(api.db, { name: 'batch-job', scopes: ['routes:read'] });
    const start = api.start;
    for (let i = 1; i <= LIMIT; i++) {
      await api.setClock(start + i - 1);
      const res = await api.call('/routes/top?limit=1', key);
      expect(res.status, `request ${i} of ${LIMIT} in the window should be 200`).toBe(200);
      expect(res.headers.get('x-ratelimit-limit'), 'X-RateLimit-Limit should be the limit').toBe(String(LIMIT));
      expect(res.headers.get('x-ratelimit-remaining'), `X-RateLimit-Remaining after request ${i}`).toBe(String(LIMIT - i));
      await res.arrayBuffer();
    }
    // Seconds left: 7.5, 7 (whole), 4.6, 4.4, 1 (whole), 0.001 → rounded up: 8, 7, 5, 5, 1, 1.
    for (const [elapsed, retryAfter] of [
      [2_500, 8],
      [3_000, 7],
      [5_400, 5],
      [5_600, 5],
      [9_000, 1],
      [9_999, 1],
    ]) {
      await api.setClock(start + elapsed);
      const res = await api.call('/routes/top?limit=1', key);
      expect(res.status, `request ${LIMIT + 1} at ${elapsed} ms into a ${WINDOW} ms window should be 429`).toBe(429);
      expect(
        res.headers.get('retry-after'),
        `Retry-After at ${elapsed} ms into the window should be ${retryAfter}: the seconds left, rounded up`,
      ).toBe(String(retryAfter));
      expect(res.headers.get('x-ratelimit-limit'), 'X-RateLimit-Limit on a 429 should be the limit').toBe(String(LIMIT));
      expect(res.headers.get('x-ratelimit-remaining'), 'X-RateLimit-Remaining on a 429').toBe('0');
      await expectErrorBody(res, 'a 429');
    }
    await api.setClock(start + WINDOW);
    const reset = await api.call('/routes/top?limit=1', key);
    expect(reset.status, `once ${WINDOW} ms have passed since the window's first request, a new window starts`).toBe(200);
    expect(reset.headers.get('x-ratelimit-remaining'), 'the new window starts with limit - 1 remaining').toBe(String(LIMIT - 1));
    await reset.arrayBuffer();
  });

  test('limits are per key: one key running out does not affect another', async () => {
    const api = await serve({ limit: LIMIT, windowMs: WINDOW });
    // Same name, same scopes: only the keys differ, and each has its own window.
    const noisy = await mod.issueKey(api.db, { name: 'notebook', scopes: ['routes:read'] });
    const quiet = await mod.issueKey(api.db, { name: 'notebook', scopes: ['routes:read'] });
    for (let i = 0; i < LIMIT + 2; i++) await (await api.call('/routes/top?limit=1', noisy)).arrayBuffer();
    const blocked = await api.call('/routes/top?limit=1', noisy);
    expect(blocked.status, 'the noisy key should be rate limited').toBe(429);
    const res = await api.call('/routes/top?limit=1', quiet);
    expect(res.status, 'another key (issued with the same name and scopes) should not be limited because the first one is').toBe(200);
    expect(res.headers.get('x-ratelimit-remaining'), "the other key's own count").toBe(String(LIMIT - 1));
    const anonymous = await api.call('/routes/top?limit=1');
    expect(anonymous.status, 'a request without a key is 401 whatever the limits').toBe(401);
  });

  test('the window starts at a key\'s first request, not at a clock boundary', async () => {
    // 1_700_000_004_000 is 4 s past a multiple of 10 s: a window aligned to the clock would reset 6 s in.
    const api = await serve({ limit: LIMIT, windowMs: WINDOW, start: 1_700_000_004_000 });
    const key = await mod.issueKey(api.db, { name: 'cron', scopes: ['routes:read'] });
    const start = api.start;
    for (let i = 0; i < LIMIT; i++) await (await api.call('/routes/top?limit=1', key)).arrayBuffer();
    await api.setClock(start + 7_000);
    const res = await api.call('/routes/top?limit=1', key);
    expect(res.status, `7 s after the first request of a ${WINDOW / 1000} s window, the key should still be limited`).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
  });

  test('requests refused with 403 count, and a limited key gets 429 before any scope check', async () => {
    const api = await serve({ limit: LIMIT, windowMs: WINDOW });
    const key = await mod.issueKey(api.db, { name: 'reader', scopes: ['routes:read'] });
    for (let i = 1; i <= LIMIT; i++) {
      const res = await api.call('/pipeline/runs', key);
      expect(res.status, 'a routes:read key asking for /pipeline/runs should be 403').toBe(403);
      expect(res.headers.get('x-ratelimit-remaining'), `a 403 still uses the quota: remaining after request ${i}`).toBe(String(LIMIT - i));
      await res.arrayBuffer();
    }
    const allowed = await api.call('/routes/top?limit=1', key);
    expect(allowed.status, 'after 3 requests (even 403s) the key has used its quota').toBe(429);
    const forbidden = await api.call('/pipeline/runs', key);
    expect(forbidden.status, 'order: 401 (who are you) → 429 (too many) → 403 (not allowed)').toBe(429);
  });

  test('unknown paths and methods: 401 without a valid key, then counted like any request, then 404', async () => {
    const api = await serve({ limit: LIMIT, windowMs: WINDOW });
    const key = await mod.issueKey(api.db, { name: 'explorer', scopes: ['routes:read', 'pipeline:read'] });
    const anonymous = await api.call('/no/such/path');
    expect(anonymous.status, 'GET /no/such/path without a key should be 401: every request is authenticated before routing').toBe(401);
    expectChallenge(anonymous.headers.get('www-authenticate'), undefined, 'a 401 for GET /no/such/path without a key');
    await expectErrorBody(anonymous, 'a 401 for GET /no/such/path without a key');
    const unknown = await api.call('/no/such/path', 'fk_not-a-real-key');
    expect(unknown.status, 'GET /no/such/path with an unknown key should be 401').toBe(401);
    expectChallenge(unknown.headers.get('www-authenticate'), 'invalid_token', 'a 401 for GET /no/such/path with an unknown key');
    await expectErrorBody(unknown, 'a 401 for GET /no/such/path with an unknown key');
    const steps = [
      ['GET', '/no/such/path', 404],
      ['POST', '/pipeline/runs', 404],
      ['GET', '/routes/top?limit=0', 400],
    ] as const;
    for (const [i, [method, path, status]] of steps.entries()) {
      const res = await fetch(api.server.url + path, { method, headers: { Authorization: `Bearer ${key}` } });
      expect(res.status, `${method} ${path} with a valid key should be ${status}`).toBe(status);
      expect(res.headers.get('x-ratelimit-remaining'), `a ${status} counts like any request: X-RateLimit-Remaining after request ${i + 1} of ${LIMIT}`).toBe(
        String(LIMIT - i - 1),
      );
      await expectErrorBody(res, `a ${status} for ${method} ${path}`);
    }
    const limited = await api.call('/routes/top?limit=1', key);
    expect(limited.status, `after ${LIMIT} requests answered 404, 404 and 400, the key has used its window`).toBe(429);
    await limited.arrayBuffer();
  });

  test('the counts live in each app: a second app on the same database starts with a full quota', async () => {
    const api = await serve({ limit: LIMIT, windowMs: WINDOW });
    const key = await mod.issueKey(api.db, { name: 'shared-dashboard', scopes: ['routes:read'] });
    for (let i = 0; i < LIMIT; i++) await (await api.call('/routes/top?limit=1', key)).arrayBuffer();
    const blocked = await api.call('/routes/top?limit=1', key);
    expect(blocked.status, `request ${LIMIT + 1} to the first app should be 429`).toBe(429);
    await blocked.arrayBuffer();
    const other = await host.serve(mod.createApp(api.db, { now: api.clock.now, limit: LIMIT, windowMs: WINDOW }));
    cleanups.push(() => other.close());
    const res = await fetch(`${other.url}/routes/top?limit=1`, { headers: { Authorization: `Bearer ${key}` } });
    expect(res.status, 'a second createApp() has its own counts (keep them in createApp, not in a module-level variable)').toBe(200);
    expect(res.headers.get('x-ratelimit-remaining'), "the second app's count for the key").toBe(String(LIMIT - 1));
    await res.arrayBuffer();
  });

  test('createApp(db) without options uses the real clock and 60 requests per minute', async () => {
    const api = await serve(null);
    const key = await mod.issueKey(api.db, { name: 'defaults', scopes: ['routes:read'] });
    // The window opens at the first request, so it cannot end before firstSent + 60 s.
    const firstSent = Date.now();
    for (let i = 1; i <= 60; i++) {
      const res = await api.call('/routes/top?limit=1', key);
      expect(res.status, `request ${i} of the default 60 per minute should be 200`).toBe(200);
      await res.arrayBuffer();
    }
    const res = await api.call('/routes/top?limit=1', key);
    expect(res.status, 'request 61 within a minute should be 429').toBe(429);
    const answered = Date.now();
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After should be 1-60 s, got ${res.headers.get('retry-after')}`).toBe(true);
    // At least the time left until firstSent + 60 s: a shorter default window would give less.
    const atLeast = Math.ceil((firstSent + 60_000 - answered) / 1000);
    expect(retryAfter, `61 requests took ${answered - firstSent} ms, so a 60 s window has at least ${atLeast} s left`).toBeGreaterThanOrEqual(atLeast);
  });
});

describe('errors', () => {
  const LIMIT = 3;
  const WINDOW = 10_000;

  test('a path Express cannot percent-decode: 401 without a valid key, then counted (or 429), then a JSON 400', async () => {
    const api = await serve({ limit: LIMIT, windowMs: WINDOW });
    const key = await mod.issueKey(api.db, { name: 'fuzzer', scopes: ['routes:read', 'pipeline:read'] });
    const bad = ['/routes/%ZZ/LAX/daily', '/routes/SFO/LA%/daily'];
    for (const path of bad) {
      const anonymous = await api.call(path);
      expect(anonymous.status, `GET ${path} without a key should be 401: authentication comes before routing`).toBe(401);
      expectChallenge(anonymous.headers.get('www-authenticate'), undefined, `a 401 for GET ${path} without a key`);
      await expectErrorBody(anonymous, `a 401 for GET ${path} without a key`);
      const unknown = await api.call(path, 'fk_not-a-real-key');
      expect(unknown.status, `GET ${path} with an unknown key should be 401`).toBe(401);
      expectChallenge(unknown.headers.get('www-authenticate'), 'invalid_token', `a 401 for GET ${path} with an unknown key`);
      await unknown.arrayBuffer();
    }
    for (const [i, path] of bad.entries()) {
      const res = await api.call(path, key);
      const text = await res.text();
      expect(
        res.status,
        `GET ${path} with a valid key should be 400 (Express cannot percent-decode the path: the client's mistake, not a 500); got ${res.status} ${JSON.stringify(text.slice(0, 80))}`,
      ).toBe(400);
      expect(res.headers.get('content-type') ?? '(none)', `the 400 for GET ${path} should be JSON, not Express's HTML error page`).toMatch(
        /^application\/json\b/,
      );
      await expectErrorBody(new Response(text), `the 400 for GET ${path}`);
      expectNoLeak(text, `the 400 for GET ${path}`);
      expect(res.headers.get('x-ratelimit-remaining'), `a 400 for an undecodable path counts like any request: X-RateLimit-Remaining after request ${i + 1} of ${LIMIT}`).toBe(
        String(LIMIT - i - 1),
      );
    }
    await (await api.call('/routes/top?limit=1', key)).arrayBuffer();
    const limited = await api.call(bad[0], key);
    expect(limited.status, `GET ${bad[0]} after the key has used its ${LIMIT} requests should be 429: the limit comes before routing`).toBe(429);
    await expectErrorBody(limited, `a 429 for GET ${bad[0]}`);
  });

  test('an unexpected error (the route_daily table gone) is a JSON 500 that reveals nothing, and the server keeps serving', async () => {
    const api = await serve({ limit: 1000, windowMs: WINDOW });
    const key = await mod.issueKey(api.db, { name: 'during-a-migration', scopes: ['routes:read', 'pipeline:read'] });
    // A migration gone wrong: the table disappears under the running server, through the app's own connection.
    await api.db.exec('DROP TABLE route_daily');
    for (const path of ['/routes/top?limit=1', '/routes/LAX/PHX/daily']) {
      const res = await api.call(path, key);
      const text = await res.text();
      expect(res.status, `GET ${path} with the route_daily table gone should be 500; got ${res.status} ${JSON.stringify(text.slice(0, 80))}`).toBe(500);
      expect(res.headers.get('content-type') ?? '(none)', `the 500 for GET ${path} should be JSON, not Express's HTML error page`).toMatch(
        /^application\/json\b/,
      );
      await expectErrorBody(new Response(text), `the 500 for GET ${path}`);
      expectNoLeak(text, `the 500 for GET ${path} (the table is gone)`);
    }
    const runs = await api.call('/pipeline/runs', key);
    expect(runs.status, 'after a 500, GET /pipeline/runs (its table is still there) should be 200').toBe(200);
    await runs.arrayBuffer();
  });
});
