// Shared by the hidden tests: a private copy of flights-200k.db for the learner's app, a handle that
// records every statement the app runs (with its parameters, for EXPLAIN QUERY PLAN), and a page walker.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { fixturePath } from '@kata/harness';

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

/** A writable copy of the fixture in a temp folder (the learner may create indexes in it). */
export function copyFixture(): { file: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'kata-keyset-'));
  const file = join(dir, 'flights-200k.db');
  copyFileSync(fixturePath('flights-200k.db'), file);
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The untouched fixture, read-only: where expected answers come from. */
export function openReference(): Database.Database {
  return new Database(fixturePath('flights-200k.db'), { readonly: true, fileMustExist: true });
}

const READS = new Set(['all', 'get', 'iterate']);

/** Wraps a Database so that every statement read through it (all/get/iterate) is recorded. */
export function recordingDb(db: Database.Database): { db: Database.Database; executed: Executed[] } {
  const executed: Executed[] = [];
  const wrapStatement = (stmt: Database.Statement, sql: string): Database.Statement => {
    let bound: unknown[] = [];
    const proxy: Database.Statement = new Proxy(stmt, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (prop === 'bind') bound = args;
          if (typeof prop === 'string' && READS.has(prop)) executed.push({ sql, params: args.length ? args : bound });
          const result = (value as (...a: unknown[]) => unknown).apply(target, args);
          return result === target ? proxy : result;
        };
      },
    });
    return proxy;
  };
  const proxy = new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') return (sql: string) => wrapStatement(target.prepare(sql), sql);
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { db: proxy, executed };
}

/** EXPLAIN QUERY PLAN of a statement the app ran, with the same parameters, as one line. */
export function queryPlan(db: Database.Database, { sql, params }: Executed): string {
  const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
  return rows.map((r) => r.detail).join(' | ');
}

export async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* keep the text for the failure message */
  }
  return { status: res.status, body };
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

/** The statements an app ran (see recordingDb) and the handle to explain them on. */
export interface Probe {
  db: Database.Database;
  executed: Executed[];
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
 * repeats), until next_cursor is null or `maxRows` rows are read; checks every row against `expected`.
 * With a probe, the plans of the first two pages' queries are checked before walking on.
 * Returns the number of rows read.
 */
export async function walk(
  base: string,
  sort: string,
  expected: Flight[],
  limits: number[],
  maxRows = Infinity,
  probe?: Probe,
): Promise<number> {
  let cursor: string | null = null;
  let read = 0;
  const seen = new Set<number>();
  for (let page = 1; ; page++) {
    const limit = limits[Math.min(page - 1, limits.length - 1)];
    const url = `${base}/flights?sort=${encodeURIComponent(sort)}&limit=${limit}` + (cursor === null ? '' : `&cursor=${cursor}`);
    const before = probe?.executed.length ?? 0;
    const { status, body } = await getJson(url);
    const where = `GET /flights?sort=${sort}&limit=${limit}, page ${page}${page > 1 ? ' (with the previous next_cursor)' : ''}`;
    if (probe && page <= 2 && status === 200) expectWalkablePlans(probe, probe.executed.slice(before), where, page > 1);
    expect(status, `${where} should answer 200; it answered ${status} ${JSON.stringify(body).slice(0, 200)}`).toBe(200);
    expect(Array.isArray(body?.items), `${where} should return { items: [...], next_cursor }`).toBe(true);
    const items = body.items as Flight[];
    const remaining = expected.length - read;
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
    const last = read >= expected.length;
    if (last) {
      expect(body.next_cursor, `${where} returned the last row in ${sort} order, so next_cursor should be null`).toBeNull();
      return read;
    }
    expect(typeof body.next_cursor, `${where}: ${remaining - items.length} rows are left, so next_cursor should be a string`).toBe('string');
    expect(body.next_cursor, `${where}: next_cursor should only use URL-safe characters (A-Z a-z 0-9 - _ . ~)`).toMatch(URL_SAFE);
    cursor = body.next_cursor;
    if (read >= maxRows) return read;
  }
}
