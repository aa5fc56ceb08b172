import { existsSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadSolution, type Host, type Remote } from '@kata/harness';

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

describe('storing keys', () => {
  test('issueKey returns distinct, unguessable keys, and the database file never contains them', async () => {
    const { file, db } = await tempDatabase();
    const keys: string[] = [];
    for (let i = 0; i < 8; i++) keys.push(await mod.issueKey(db, { name: `team-${i}`, scopes: ['routes:read'] }));
    expect(new Set(keys).size, 'every issued key should be different').toBe(keys.length);
    for (const key of keys) {
      expect(typeof key, 'issueKey should return the key as a string').toBe('string');
      expect(key.length, `a key should carry at least 128 random bits; "${key}" is too short`).toBeGreaterThanOrEqual(22);
    }
    // Whatever the table looks like, the bytes on disk (and in a WAL, if any) must not reveal a key.
    const bytes = Buffer.concat([file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f)));
    for (const key of keys) {
      for (const [form, text] of [
        ['plaintext', key],
        ['hex-encoded', Buffer.from(key).toString('hex')],
        ['base64-encoded', Buffer.from(key).toString('base64')],
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

  test('no key → 401 with a Bearer WWW-Authenticate challenge', async () => {
    const variants: Record<string, string>[] = [{}, { Authorization: 'Basic ZGFzaGJvYXJkczpodW50ZXIy' }, { Authorization: 'Bearer' }];
    for (const headers of variants) {
      const res = await api.call('/routes/top', undefined, headers);
      const sent = JSON.stringify(headers);
      expect(res.status, `GET /routes/top with headers ${sent} should be 401`).toBe(401);
      expect(res.headers.get('www-authenticate') ?? '', `a 401 (headers ${sent}) should send WWW-Authenticate: Bearer realm="..."`).toMatch(/^Bearer\b/i);
      const body = (await res.json()) as { error?: unknown };
      expect(typeof body.error, 'a 401 should have a JSON body {"error": "..."}').toBe('string');
    }
  });

  test('an unknown or altered key → 401 with error="invalid_token"', async () => {
    const last = reader.at(-1) === 'A' ? 'B' : 'A';
    for (const key of ['fk_not-a-real-key', reader.slice(0, -1) + last, reader.slice(0, -1), `${reader}x`, reader.toUpperCase()]) {
      const res = await api.call('/routes/top', key);
      expect(res.status, `a key that was never issued ("${key}") should get 401`).toBe(401);
      expect(res.headers.get('www-authenticate') ?? '', 'WWW-Authenticate for a bad key should include error="invalid_token"').toMatch(
        /^Bearer\b.*error="invalid_token"/i,
      );
      await res.arrayBuffer();
    }
  });

  test('a key with the scope gets the data', async () => {
    const res = await api.call('/routes/top?limit=4', reader);
    expect(res.status, 'GET /routes/top with a routes:read key should be 200').toBe(200);
    expect(await res.json()).toEqual({ routes: expectedTop(api.own, 4) });
    const daily = await api.call('/routes/LAX/PHX/daily', reader);
    expect(daily.status, 'GET /routes/LAX/PHX/daily with a routes:read key should be 200').toBe(200);
    const runs = await api.call('/pipeline/runs', operator);
    expect(runs.status, 'GET /pipeline/runs with a pipeline:read key should be 200').toBe(200);
    const expectedRuns = api.own
      .prepare('SELECT id, version, source, rows_loaded AS rowsLoaded, finished_at AS finishedAt FROM pipeline_runs ORDER BY id')
      .all();
    expect(await runs.json()).toEqual({ runs: expectedRuns });
  });

  test('a valid key without the route\'s scope → 403, not 401', async () => {
    for (const [path, key, scope] of [
      ['/pipeline/runs', reader, 'pipeline:read'],
      ['/routes/top', operator, 'routes:read'],
      ['/routes/LAX/PHX/daily', operator, 'routes:read'],
    ] as const) {
      const res = await api.call(path, key);
      expect(res.status, `GET ${path} with a valid key that lacks ${scope} should be 403 (authenticated, not allowed)`).toBe(403);
      const body = (await res.json()) as { error?: string };
      expect(body.error ?? '', `the 403 body {"error": ...} should name the missing scope ${scope}`).toContain(scope);
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
    for (const [elapsed, retryAfter] of [
      [2_500, 8],
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
      expect(res.headers.get('x-ratelimit-remaining'), 'X-RateLimit-Remaining on a 429').toBe('0');
      const body = (await res.json()) as { error?: unknown };
      expect(typeof body.error, 'a 429 should have a JSON body {"error": "..."}').toBe('string');
    }
    await api.setClock(start + WINDOW);
    const reset = await api.call('/routes/top?limit=1', key);
    expect(reset.status, `once ${WINDOW} ms have passed since the window's first request, a new window starts`).toBe(200);
    expect(reset.headers.get('x-ratelimit-remaining'), 'the new window starts with limit - 1 remaining').toBe(String(LIMIT - 1));
    await reset.arrayBuffer();
  });

  test('limits are per key: one key running out does not affect another', async () => {
    const api = await serve({ limit: LIMIT, windowMs: WINDOW });
    const noisy = await mod.issueKey(api.db, { name: 'noisy', scopes: ['routes:read'] });
    const quiet = await mod.issueKey(api.db, { name: 'quiet', scopes: ['routes:read'] });
    for (let i = 0; i < LIMIT + 2; i++) await (await api.call('/routes/top?limit=1', noisy)).arrayBuffer();
    const blocked = await api.call('/routes/top?limit=1', noisy);
    expect(blocked.status, 'the noisy key should be rate limited').toBe(429);
    const res = await api.call('/routes/top?limit=1', quiet);
    expect(res.status, 'another key should not be limited because the first one is').toBe(200);
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
