// Example tests: run them with `kata test etl-to-sqlite`. The grader's hidden suite checks much more
// (see README.md, "How it is graded").
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { fixturePath } from '@kata/harness';
import { load } from '../src/etl';

interface Corruption {
  index: number;
  kind: string;
  outcome: 'quarantined' | 'duplicate' | 'loaded';
  reason?: string;
}

const rows = JSON.parse(readFileSync(fixturePath('flights-raw-2k.json'), 'utf8')) as unknown[];
const corruptions = JSON.parse(readFileSync(fixturePath('flights-raw-2k.corruptions.json'), 'utf8')) as Corruption[];
const count = (outcome: string) => corruptions.filter((c) => c.outcome === outcome).length;

describe('load flights-raw-2k.json', () => {
  test('every row is loaded, quarantined or skipped as a duplicate', () => {
    const db = new Database(':memory:');
    const result = load(db, rows);
    const expected = {
      loaded: rows.length - count('quarantined') - count('duplicate'),
      quarantined: count('quarantined'),
      skippedDuplicates: count('duplicate'),
    };
    expect(result, 'load() should count each outcome as the corruptions log predicts').toEqual(expected);
    const inTable = (db.prepare('SELECT count(*) AS n FROM flights').get() as { n: number }).n;
    expect(inTable, 'rows in flights after the load').toBe(expected.loaded);
  });

  test('the first row is stored typed, with departed_at as YYYY-MM-DD HH:MM', () => {
    const db = new Database(':memory:');
    load(db, rows);
    const first = rows[0] as { date: string; origin: string; destination: string };
    const stored = db
      .prepare('SELECT departed_at, origin, destination, delay, distance, typeof(delay) AS delayType FROM flights WHERE origin = ? AND destination = ?')
      .all(first.origin, first.destination);
    expect(stored, `the flight ${first.origin}→${first.destination} of ${first.date}`).toContainEqual({
      departed_at: '2001-01-01 06:55',
      origin: 'LAX',
      destination: 'BNA',
      delay: -19,
      distance: 1797,
      delayType: 'integer',
    });
  });

  test('a rejected row is kept in quarantine with its raw JSON and reason', () => {
    const db = new Database(':memory:');
    load(db, rows);
    const bad = corruptions.find((c) => c.kind === 'delay-not-available')!;
    const raw = JSON.stringify(rows[bad.index]);
    const row = db.prepare('SELECT reason FROM quarantine WHERE raw = ?').get(raw) as { reason: string } | undefined;
    expect(row?.reason, `the reason stored for ${raw}`).toBe('invalid:delay');
  });

  test('loading the same file twice changes nothing', () => {
    const db = new Database(':memory:');
    const first = load(db, rows);
    const second = load(db, rows);
    expect(second, 'the second load of the same rows').toEqual({
      loaded: 0,
      quarantined: first.quarantined,
      skippedDuplicates: first.loaded + first.skippedDuplicates,
    });
    const n = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    expect(n('flights'), 'rows in flights after two loads').toBe(first.loaded);
  });
});
