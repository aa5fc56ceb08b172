// Shared by the hidden tests: the learner's app served by the solution host over a private copy of
// flights-200k.db, a probe in the host that records every statement the app runs through its handle
// (with its parameters, for EXPLAIN QUERY PLAN on the judge's own connection to the same file), and a
// page walker.
import { request } from 'node:http';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { fixturePath, type Host, type Remote } from '@kata/harness';

export interface Flight {
  id: number;
  delay: number;
  distance: number;
  time: number;
}

export interface Executed {
  sql: string;
  params: unknown[];
}

/** The untouched fixture, read-only: where expected answers come from. */
export function openReference(): Database.Database {
  return new Database(fixturePath('flights-200k.db'), { readonly: true, fileMustExist: true });
}

/** EXPLAIN QUERY PLAN of a statement the app ran, with the same parameters, as one line. */
export function queryPlan(db: Database.Database, { sql, params }: Executed): string {
  const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
  return rows.map((r) => r.detail).join(' | ');
}

/**
 * The statements an app ran: `recorder` is the host's db-probe around the handle the app was given
 * (count() / since(i) / executed), `db` the judge's own connection to the same file, to explain them on.
 */
export interface Probe {
  db: Database.Database;
  recorder: Remote;
}

/** The statements the app ran since `before` (a count() taken earlier). */
export async function readsSince(probe: Probe, before: number): Promise<Executed[]> {
  return ((await probe.recorder.since(before)) as Executed[]).map(({ sql, params }) => ({ sql, params }));
}

/** The learner's app over its own writable copy of flights-200k.db (it may create indexes in it). */
export interface ServedCopy {
  url: string;
  /** The copy, in the host's temp folder. */
  file: string;
  /** The judge's own connection to the copy: plans, checks, and (writable) the writes between pages. */
  db: Database.Database;
  probe: Probe;
  close(): Promise<void>;
}

/**
 * Serves the learner's app over a fresh copy of flights-200k.db. `keep` (a WHERE clause) cuts the copy
 * down to a subset of its rows before the app opens it: whole walks stay short, ties included.
 */
export async function serveOnCopy(host: Host, mod: Remote, options: { writable?: boolean; keep?: string } = {}): Promise<ServedCopy> {
  const file = host.copyFixture('flights-200k.db');
  if (options.keep) {
    const cut = new Database(file, { fileMustExist: true });
    try {
      cut.prepare(`DELETE FROM flights WHERE NOT (${options.keep})`).run();
    } finally {
      cut.close();
    }
  }
  const appDb = await host.openDb(file);
  const recorder = await host.instrument('db-probe', appDb);
  const server = await host.serve(mod.createApp(recorder.db));
  const db = new Database(file, { readonly: !options.writable, fileMustExist: true });
  return {
    url: server.url,
    file,
    db,
    probe: { db, recorder },
    close: async () => {
      await server.close();
      db.close();
      await appDb.close();
    },
  };
}

/**
 * GET over a new connection per request (no keep-alive: a connection left idle while the judge works
 * could be closed by the server just as the next request goes out, failing a correct app).
 */
export function getJson(url: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: any = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* keep the text for the failure message */
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', (err) => reject(new Error(`GET ${new URL(url).pathname}${new URL(url).search} failed: ${err.message} (did the app crash or close the connection?)`)));
    req.end();
  });
}

export const ORDER_BY: Record<string, string> = {
  id: 'id ASC',
  delay: 'delay ASC, id ASC',
  '-delay': 'delay DESC, id DESC',
  distance: 'distance ASC, id ASC',
  '-distance': 'distance DESC, id DESC',
};

export const URL_SAFE = /^[A-Za-z0-9._~-]+$/;

function describe(row: Flight | undefined): string {
  return row ? `id ${row.id} (delay ${row.delay}, distance ${row.distance})` : 'nothing';
}

/**
 * Stops a long walk early when the first pages are read with a query that sorts every row or scans from
 * the start: hundreds of such pages would run out of the kata's time limit, and a time-out reports
 * nothing useful. The plan, not a clock, decides (the same rules as plan.test.ts).
 */
function expectWalkablePlans(probe: Probe, reads: Executed[], where: string, afterCursor: boolean): void {
  for (const read of reads) {
    const plan = queryPlan(probe.db, read);
    const why = /TEMP B-TREE/.test(plan)
      ? 'sorts rows in a temp b-tree instead of reading them in index order'
      : afterCursor && /\bSCAN\b/.test(plan)
        ? 'scans from the start of the table or index instead of seeking to the cursor'
        : undefined;
    expect(
      why,
      `${where}: "${read.sql}" ${why} (EXPLAIN QUERY PLAN: ${plan}), so the walk stops here rather than read every page this way`,
    ).toBeUndefined();
  }
}

/**
 * Walks `GET /flights?sort=…` from the first page, `limits[i]` being the limit of page i (the last one
 * repeats), until next_cursor is null or `maxRows` rows are read; checks every row against `expected`,
 * the order's first rows (all of them, or at least maxRows + 500), out of `total` rows in that order.
 * With a probe, the plans of the first two pages' queries are checked before walking on.
 * Returns the number of rows read.
 */
export async function walk(
  base: string,
  sort: string,
  expected: Flight[],
  limits: number[],
  options: { maxRows?: number; total?: number; probe?: Probe; table?: string } = {},
): Promise<number> {
  const { maxRows = Infinity, total = expected.length, probe, table = 'the table' } = options;
  let cursor: string | null = null;
  let read = 0;
  const seen = new Set<number>();
  for (let page = 1; ; page++) {
    const limit = limits[Math.min(page - 1, limits.length - 1)];
    const url = `${base}/flights?sort=${encodeURIComponent(sort)}&limit=${limit}` + (cursor === null ? '' : `&cursor=${cursor}`);
    const before = probe && page <= 2 ? ((await probe.recorder.count()) as number) : 0;
    const { status, body } = await getJson(url);
    const where = `GET /flights?sort=${sort}&limit=${limit} on ${table}, page ${page}${page > 1 ? ' (with the previous next_cursor)' : ''}`;
    if (probe && page <= 2 && status === 200) expectWalkablePlans(probe, await readsSince(probe, before), where, page > 1);
    expect(status, `${where} should answer 200; it answered ${status} ${JSON.stringify(body).slice(0, 200)}`).toBe(200);
    expect(Array.isArray(body?.items), `${where} should return { items: [...], next_cursor }`).toBe(true);
    const items = body.items as Flight[];
    const remaining = total - read;
    expect(
      items.length,
      `${where}: expected ${Math.min(limit, remaining)} items (${remaining} rows are left in this order), got ${items.length}`,
    ).toBe(Math.min(limit, remaining));
    for (let i = 0; i < items.length; i++) {
      const want = expected[read + i];
      const got = items[i];
      if (got?.id !== want.id || got.delay !== want.delay || got.distance !== want.distance || got.time !== want.time) {
        const note = got && seen.has(got.id) ? ` — id ${got.id} was already returned on an earlier page (a repeat)` : '';
        expect(got, `${where}, item ${i}: row ${read + i + 1} in ${sort} order should be ${describe(want)}, got ${describe(got)}${note}`).toEqual(want);
      }
      seen.add(got.id);
    }
    read += items.length;
    if (read >= total) {
      expect(
        body.next_cursor,
        `${where} returned the last row in ${sort} order (row ${total}), so next_cursor should be null` +
          (items.length === limit ? ' (the last page is exactly full: no empty page after it)' : ''),
      ).toBeNull();
      return read;
    }
    expect(typeof body.next_cursor, `${where}: ${remaining - items.length} rows are left, so next_cursor should be a string, got ${JSON.stringify(body.next_cursor)}`).toBe('string');
    expect(body.next_cursor, `${where}: next_cursor should only use URL-safe characters (A-Z a-z 0-9 - _ . ~)`).toMatch(URL_SAFE);
    cursor = body.next_cursor;
    if (read >= maxRows) return read;
  }
}

/**
 * Compares a page with the rows expected, and fails naming the first row that differs (position, the
 * expected and the received row) instead of printing two 100-row arrays.
 */
export function expectPage(items: unknown, expected: Flight[], what: string): void {
  expect(Array.isArray(items), `${what}: the body should be { items: [...], next_cursor }, got items ${JSON.stringify(items)?.slice(0, 120)}`).toBe(true);
  const got = items as Flight[];
  for (let i = 0; i < Math.max(got.length, expected.length); i++) {
    const want = expected[i];
    const row = got[i];
    const same = row && want && row.id === want.id && row.delay === want.delay && row.distance === want.distance && row.time === want.time;
    if (!same) {
      expect.fail(
        `${what}: item ${i} should be ${describe(want)}, got ${describe(row)}` +
          ` (expected ${expected.length} items starting with id ${expected[0]?.id ?? '—'}, got ${got.length} starting with id ${got[0]?.id ?? '—'})`,
      );
    }
    if (Object.keys(row).length !== 4) expect.fail(`${what}: item ${i} should be exactly { id, delay, distance, time }, got ${JSON.stringify(row)}`);
  }
}
