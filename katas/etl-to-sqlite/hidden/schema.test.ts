import type Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { Host, Remote } from '@kata/harness';
import { cleanup, count, freshDb, importLoad, type Load } from './helpers';

let load: Load;
let host: Host;
/** The host's handle on this test's database (what load() gets), and the judge's own connection to it. */
let appDb: Remote;
let db: Database.Database;
beforeAll(async () => {
  ({ load, host } = await importLoad());
});
afterAll(async () => {
  await host?.close();
});
beforeEach(async () => {
  ({ appDb, db } = await freshDb(host));
  await load(appDb, []);
});
afterEach(async () => {
  await cleanup(host);
});

const valid = { departed_at: '2001-01-01 06:55', origin: 'LAX', destination: 'BNA', delay: -19, distance: 1797 };
type Row = Record<keyof typeof valid, unknown>;
const insert = (row: Row) =>
  db
    .prepare('INSERT INTO flights (departed_at, origin, destination, delay, distance) VALUES (@departed_at, @origin, @destination, @delay, @distance)')
    .run(row);

/** Inserting the row straight into flights must throw. */
function expectRefused(change: Partial<Row>, what: string) {
  const row = { ...valid, ...change };
  let error: unknown;
  try {
    insert(row);
  } catch (e) {
    error = e;
  }
  expect(error, `INSERT INTO flights ${JSON.stringify(row)} (${what}) should be refused by the database`).toBeDefined();
}

function expectAccepted(row: Row, what: string) {
  expect(() => insert(row), `INSERT INTO flights ${JSON.stringify(row)} (${what}) is a valid flight and should be accepted`).not.toThrow();
}

describe('schema', () => {
  test('load(db, []) creates flights and quarantine with the declared column types', () => {
    const columns = (table: string) =>
      Object.fromEntries(
        (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string; type: string }[]).map((c) => [c.name, c.type.toUpperCase()]),
      );
    const flights = columns('flights');
    expect(
      { departed_at: flights.departed_at, origin: flights.origin, destination: flights.destination, delay: flights.delay, distance: flights.distance },
      'declared types of the flights columns (PRAGMA table_info(flights))',
    ).toEqual({ departed_at: 'TEXT', origin: 'TEXT', destination: 'TEXT', delay: 'INTEGER', distance: 'INTEGER' });
    const quarantine = columns('quarantine');
    expect({ raw: quarantine.raw, reason: quarantine.reason }, 'declared types of the quarantine columns').toEqual({ raw: 'TEXT', reason: 'TEXT' });
    expect(count(db, 'flights'), 'load(db, []) should create the tables and insert nothing').toBe(0);
  });

  test('lookups by origin, by destination and by departure range use an index', () => {
    const plan = (sql: string, ...params: string[]) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join('; ');
    const lookups: [string, string[]][] = [
      ['origin = ?', ['LAX']],
      ['destination = ?', ['BNA']],
      ['departed_at >= ? AND departed_at < ?', ['2001-01-01 00:00', '2001-01-02 00:00']],
    ];
    for (const [where, params] of lookups) {
      const detail = plan(`SELECT * FROM flights WHERE ${where}`, ...params);
      expect(detail, `EXPLAIN QUERY PLAN SELECT * FROM flights WHERE ${where} should SEARCH an index, not SCAN the table`).toMatch(
        /SEARCH .*INDEX/,
      );
    }
  });

  test('flights refuses NULL in every column', () => {
    expectAccepted(valid, 'a valid row first');
    for (const column of Object.keys(valid) as (keyof Row)[]) {
      expectRefused({ departed_at: '2001-01-02 07:00', [column]: null }, `${column} is NULL`);
    }
  });

  test('flights refuses a delay or distance that is not an integer, and a distance of 0 or less', () => {
    expectAccepted({ ...valid, delay: 0 }, 'delay 0');
    expectAccepted({ ...valid, departed_at: '2001-01-01 07:00', delay: -52 }, 'a negative delay');
    const other = { departed_at: '2001-01-03 08:00' };
    expectRefused({ ...other, delay: 'abc' }, "delay is the text 'abc'");
    expectRefused({ ...other, distance: 'far' }, "distance is the text 'far'");
    expectRefused({ ...other, delay: 12.5 }, 'delay is 12.5');
    expectRefused({ ...other, distance: 0 }, 'distance is 0');
    expectRefused({ ...other, distance: -1797 }, 'distance is negative');
  });

  test('flights refuses airport codes that are not three uppercase letters, and a badly shaped departed_at', () => {
    expectAccepted(valid, 'a valid row first');
    const other = { departed_at: '2001-01-03 08:00' };
    expectRefused({ ...other, origin: 'lax' }, 'origin in lowercase');
    expectRefused({ ...other, origin: 'LA' }, 'origin of two letters');
    expectRefused({ ...other, destination: 'KBNA' }, 'destination of four letters');
    expectRefused({ ...other, destination: 'B1A' }, 'destination with a digit');
    expectRefused({ ...other, origin: 'L_X' }, 'origin with an underscore');
    expectRefused({ ...other, origin: 'L X' }, 'origin with a space');
    expectRefused({ ...other, destination: 'BNA ' }, 'destination with a trailing space');
    expectRefused({ ...other, destination: '' }, 'destination empty');
    expectRefused({ departed_at: '2001/01/03 08:00' }, 'departed_at with slashes');
    expectRefused({ departed_at: '01-03-2001 08:00' }, 'departed_at month first');
    expectRefused({ departed_at: '2001-01-03' }, 'departed_at without a time');
    expectRefused({ departed_at: '2001-01-03T08:00' }, 'departed_at with a T');
  });

  test('flights refuses a departed_at with anything but digits where YYYY-MM-DD HH:MM has letters', () => {
    expectAccepted(valid, 'a valid row first');
    expectRefused({ departed_at: 'abcd-ef-gh ij:kl' }, 'departed_at of letters in the right shape');
    expectRefused({ departed_at: '2001-01-0x 08:00' }, "departed_at with an 'x' for a digit");
    expectRefused({ departed_at: '2001-01-03 08:0_' }, "departed_at with an '_' for a digit");
    expectRefused({ departed_at: '2001-01-03 8:00 ' }, 'departed_at with a one-digit hour and a trailing space');
    expectRefused({ departed_at: '2001-01-03 08:00 ' }, 'departed_at with a trailing space');
    expectRefused({ departed_at: ' 2001-01-03 08:00' }, 'departed_at with a leading space');
    expectRefused({ departed_at: '2001-01-03 08.00' }, "departed_at with '.' instead of ':'");
  });

  test('flights refuses a second flight with the same (departed_at, origin, destination)', () => {
    expectAccepted(valid, 'the first flight');
    expectAccepted({ ...valid, destination: 'SFO' }, 'same time and origin, another destination');
    expectAccepted({ ...valid, departed_at: '2001-01-01 06:56' }, 'same route a minute later');
    expectRefused({ delay: 30 }, 'the same natural key as the first flight, another delay');
  });

  test('a second load keeps the existing schema and its data', async () => {
    const flight = { date: '2001/01/01 06:55', delay: -19, distance: 1797, origin: 'LAX', destination: 'BNA' };
    await load(appDb, [flight, null]);
    await load(appDb, []);
    expect(count(db, 'flights'), 'rows in flights after load([flight, null]) then load([])').toBe(1);
    expect(count(db, 'quarantine'), 'rows in quarantine after load([flight, null]) then load([])').toBe(1);
  });
});
