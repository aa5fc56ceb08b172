// Hidden suite, part 2: how the pages are read — EXPLAIN QUERY PLAN of the statements the app runs
// through the handle it was given, no OFFSET, and cursors that stay valid while rows are written.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadSolution, type Host, type Remote } from '@kata/harness';
import { expectPage, getJson, queryPlan, readsSince, serveOnCopy, type Executed, type Flight, type ServedCopy } from './support';

const SORTS = ['id', 'delay', '-delay', 'distance', '-distance'];

let host: Host;
let mod: Remote;
let server: ServedCopy;
/** The judge's own connection to the app's copy: where the plans are explained. */
let appDb: Database.Database;

beforeAll(async () => {
  ({ module: mod, host } = await loadSolution('src/app.ts'));
  server = await serveOnCopy(host, mod);
  appDb = server.db;
});

afterAll(async () => {
  try {
    await server?.close();
  } finally {
    await host?.close();
  }
});

/** Requests `path` and returns the body and the SELECTs the app ran to answer it. */
async function requestAndCapture(path: string): Promise<{ body: any; reads: Executed[] }> {
  const before = (await server.probe.recorder.count()) as number;
  const { status, body } = await getJson(`${server.url}${path}`);
  expect(status, `GET ${path} should answer 200, got ${status}`).toBe(200);
  const reads = await readsSince(server.probe, before);
  expect(
    reads.length,
    `GET ${path}: the app should read the flights through the database handle passed to createApp(db) (db.prepare(...).all/get/iterate), but no statement was run through it`,
  ).toBeGreaterThan(0);
  return { body, reads };
}

describe('the queries behind GET /flights', () => {
  test('first pages come straight off an index: no temp b-tree sort', async () => {
    for (const sort of SORTS) {
      const { reads } = await requestAndCapture(`/flights?sort=${sort}&limit=100`);
      for (const read of reads) {
        const plan = queryPlan(appDb, read);
        expect(plan, `GET /flights?sort=${sort}: "${read.sql}" sorts all rows (EXPLAIN QUERY PLAN: ${plan}); create an index that matches the ORDER BY`).not.toMatch(/TEMP B-TREE/);
      }
    }
  });

  test('pages after a cursor seek an index (EXPLAIN QUERY PLAN: SEARCH, never SCAN or a temp b-tree)', async () => {
    for (const sort of SORTS) {
      let cursor = (await requestAndCapture(`/flights?sort=${sort}&limit=100`)).body.next_cursor;
      for (let page = 2; page <= 3; page++) {
        const path = `/flights?sort=${sort}&limit=100&cursor=${cursor}`;
        const { body, reads } = await requestAndCapture(path);
        for (const read of reads) {
          const plan = queryPlan(appDb, read);
          expect(plan, `GET /flights?sort=${sort} page ${page}: "${read.sql}" sorts rows in a temp b-tree (EXPLAIN QUERY PLAN: ${plan})`).not.toMatch(/TEMP B-TREE/);
          expect(plan, `GET /flights?sort=${sort} page ${page}: "${read.sql}" scans the table from the start instead of seeking to the cursor (EXPLAIN QUERY PLAN: ${plan}); a page after a cursor should be a SEARCH on an index`).not.toMatch(/\bSCAN\b/);
          expect(plan, `GET /flights?sort=${sort} page ${page}: "${read.sql}" should SEARCH an index (EXPLAIN QUERY PLAN: ${plan})`).toMatch(/\bSEARCH\b/);
        }
        cursor = body.next_cursor;
      }
    }
  });

  test('no OFFSET: pages are found by key, never by skipping rows', async () => {
    let cursor = (await requestAndCapture('/flights?sort=distance&limit=50')).body.next_cursor;
    await requestAndCapture(`/flights?sort=distance&limit=50&cursor=${cursor}`);
    const executed = (await server.probe.recorder.executed.$get()) as Executed[];
    const offsets = executed.filter(({ sql }) => /\bOFFSET\b/i.test(sql) || /\bLIMIT\s+[^;]*,/i.test(sql));
    expect(offsets.map((e) => e.sql), 'the app should never use OFFSET (or LIMIT n, m) to find a page').toEqual([]);
  });

  describe('writes between pages', () => {
    // A second app over its own copy, so that these writes do not touch the other tests' data; the
    // judge writes to that copy through its own connection, as another client of the database would.
    let own: ServedCopy;
    let db: Database.Database;
    beforeAll(async () => {
      own = await serveOnCopy(host, mod, { writable: true });
      db = own.db;
    });
    afterAll(async () => {
      await own?.close();
    });

    /** The `limit` rows strictly after (value, id) in `sort` order, on the copy as it is now (independent SQL). */
    function rowsAfter(sort: 'delay' | '-distance', value: number, id: number, limit: number): Flight[] {
      const sql =
        sort === 'delay'
          ? 'SELECT id, delay, distance, time FROM flights WHERE delay > ? OR (delay = ? AND id > ?) ORDER BY delay, id LIMIT ?'
          : 'SELECT id, delay, distance, time FROM flights WHERE distance < ? OR (distance = ? AND id < ?) ORDER BY distance DESC, id DESC LIMIT ?';
      return db.prepare(sql).all(value, value, id, limit) as Flight[];
    }

    test('a cursor stays correct when rows before it are inserted or deleted between pages', async () => {
      const first = await getJson(`${own.url}/flights?sort=delay&limit=100`);
      expect(first.status, 'GET /flights?sort=delay&limit=100 should answer 200').toBe(200);
      const page1 = first.body.items as Flight[];
      const last = page1[page1.length - 1];
      // Between the two requests: 20 flights of the page already shown are deleted and 35 new flights
      // that sort before the cursor (the lowest delay) are inserted.
      const minDelay = (db.prepare('SELECT min(delay) AS d FROM flights').get() as { d: number }).d;
      const insert = db.prepare('INSERT INTO flights (delay, distance, time) VALUES (?, ?, ?)');
      db.transaction(() => {
        for (const row of page1.slice(10, 30)) db.prepare('DELETE FROM flights WHERE id = ?').run(row.id);
        for (let i = 0; i < 35; i++) insert.run(minDelay, 100 + i, 12.5);
      })();
      const expected = rowsAfter('delay', last.delay, last.id, 100);
      const second = await getJson(`${own.url}/flights?sort=delay&limit=100&cursor=${first.body.next_cursor}`);
      expect(second.status, 'the second page should answer 200').toBe(200);
      expectPage(second.body.items, expected,
        `after deleting 20 rows of page 1 and inserting 35 rows that sort before it, page 2 should still start right after ` +
          `the last row of page 1 (id ${last.id}, delay ${last.delay}): no row repeated, none skipped`);
    });

    test("a cursor stays correct when its own row (the last row of the page) is deleted between pages", async () => {
      const first = await getJson(`${own.url}/flights?sort=delay&limit=100&cursor=${encodeURIComponent((await getJson(`${own.url}/flights?sort=delay&limit=400`)).body.next_cursor)}`);
      expect(first.status, 'GET /flights?sort=delay&limit=100 (after a cursor) should answer 200').toBe(200);
      const last = (first.body.items as Flight[]).at(-1)!;
      db.prepare('DELETE FROM flights WHERE id = ?').run(last.id);
      const expected = rowsAfter('delay', last.delay, last.id, 100);
      const second = await getJson(`${own.url}/flights?sort=delay&limit=100&cursor=${first.body.next_cursor}`);
      expect(second.status, `the next page should answer 200 after the cursor's own row (id ${last.id}) was deleted, got ${second.status} ${JSON.stringify(second.body).slice(0, 120)}`).toBe(200);
      expectPage(second.body.items, expected,
        `the cursor's own row (id ${last.id}, delay ${last.delay}) was deleted between pages: the cursor marks its position, ` +
          `so the next page should still be the 100 rows after (delay ${last.delay}, id ${last.id})`);
    });

    test("a cursor stays correct when its own row's sort value changes between pages", async () => {
      const first = await getJson(`${own.url}/flights?sort=-distance&limit=100`);
      expect(first.status, 'GET /flights?sort=-distance&limit=100 should answer 200').toBe(200);
      const last = (first.body.items as Flight[]).at(-1)!;
      // The row moves to the far end of the order (the shortest distance of all).
      const shortest = (db.prepare('SELECT min(distance) AS d FROM flights').get() as { d: number }).d;
      db.prepare('UPDATE flights SET distance = ? WHERE id = ?').run(shortest - 1, last.id);
      const expected = rowsAfter('-distance', last.distance, last.id, 100);
      const second = await getJson(`${own.url}/flights?sort=-distance&limit=100&cursor=${first.body.next_cursor}`);
      expect(second.status, 'the next page should answer 200').toBe(200);
      expectPage(second.body.items, expected,
        `the cursor's own row (id ${last.id}) changed its distance from ${last.distance} to ${shortest - 1} between pages: the cursor ` +
          `marks the position it had, so the next page should still be the 100 rows after (distance ${last.distance}, id ${last.id}) in -distance order`);
    });
  });
});
