import { readFileSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { vegaDataPath, type Host, type Remote } from '@kata/harness';
import {
  cleanup,
  count,
  expectedFlights,
  freshDb,
  hiddenLog,
  hiddenRows,
  importLoad,
  settled,
  snapshotFlights,
  snapshotQuarantine,
  type Load,
  type LoadResult,
  type RawFlight,
} from './helpers';

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
});
afterEach(async () => {
  await cleanup(host);
});

const outcomes = (outcome: string) => hiddenLog.filter((c) => c.outcome === outcome);
const expectedCounts = {
  loaded: hiddenRows.length - outcomes('quarantined').length - outcomes('duplicate').length,
  quarantined: outcomes('quarantined').length,
  skippedDuplicates: outcomes('duplicate').length,
};
const byKey = (a: { departed_at: string; origin: string; destination: string }, b: typeof a) =>
  a.departed_at.localeCompare(b.departed_at) || a.origin.localeCompare(b.origin) || a.destination.localeCompare(b.destination);

describe('loading a raw file you have not seen (flights-5k with other corruptions)', () => {
  test('counts every row once: loaded, quarantined or skipped as a duplicate', async () => {
    const result = await load(appDb, hiddenRows);
    expect(result, `load() of ${hiddenRows.length} raw rows`).toEqual(expectedCounts);
    expect(count(db, 'flights'), 'rows in flights').toBe(expectedCounts.loaded);
  });

  test('flights holds exactly the valid rows, typed, with departed_at as YYYY-MM-DD HH:MM', async () => {
    await load(appDb, hiddenRows);
    const expected = expectedFlights(hiddenRows, hiddenLog);
    // Each expected row is a real flight of the source file (a guard on the fixture itself).
    const source = new Set(
      (JSON.parse(readFileSync(vegaDataPath('flights-5k.json'), 'utf8')) as RawFlight[]).map((r) => `${r.date}|${r.origin}|${r.destination}|${r.delay}`),
    );
    expect(
      expected.filter((r) => !source.has(`${r.departed_at.replace(/-/g, '/')}|${r.origin}|${r.destination}|${r.delay}`)).slice(0, 3),
      '(fixture guard) expected rows that are not flights of flights-5k.json',
    ).toEqual([]);

    const actual = snapshotFlights(db) as ReturnType<typeof expectedFlights>;
    const missing = expected.filter((e) => !actual.some((a) => byKey(a, e) === 0)).slice(0, 3);
    expect(missing, 'valid flights that are not in the flights table (first 3)').toEqual([]);
    expect(actual, 'the flights table, ordered by (departed_at, origin, destination)').toEqual([...expected].sort(byKey));
    const types = db.prepare('SELECT DISTINCT typeof(delay) AS delay, typeof(distance) AS distance FROM flights').all();
    expect(types, 'SQLite storage class of delay and distance').toEqual([{ delay: 'integer', distance: 'integer' }]);
  });

  test('every rejected row is in quarantine once, as JSON.stringify(row), with its reason', async () => {
    await load(appDb, hiddenRows);
    const expected = new Map<string, string>();
    for (const c of outcomes('quarantined')) expected.set(JSON.stringify(hiddenRows[c.index]), c.reason!);
    const actual = snapshotQuarantine(db) as { raw: string; reason: string }[];
    const wrong = [...expected]
      .map(([raw, reason]) => ({ raw, expectedReason: reason, storedReason: actual.find((a) => a.raw === raw)?.reason ?? '(not in quarantine)' }))
      .filter((w) => w.expectedReason !== w.storedReason);
    expect(wrong.slice(0, 5), `rejected rows with a missing or wrong reason (${wrong.length} of ${expected.size}, up to 5 shown)`).toEqual([]);
    expect(actual.length, 'rows in quarantine: each distinct raw row once, nothing else').toBe(expected.size);
  });

  test('of two rows with the same natural key, the first one loaded wins', async () => {
    await load(appDb, hiddenRows);
    const nearDuplicates = hiddenLog.filter((c) => c.kind === 'same-key-other-delay');
    expect(nearDuplicates.length, '(fixture guard) the hidden raw file should repeat some keys with another delay').toBeGreaterThan(0);
    for (const c of nearDuplicates) {
      const first = hiddenRows[c.duplicateOf!] as RawFlight;
      const later = hiddenRows[c.index] as RawFlight;
      const stored = db
        .prepare('SELECT delay FROM flights WHERE departed_at = ? AND origin = ? AND destination = ?')
        .all(first.date.replace(/\//g, '-'), first.origin, first.destination);
      expect(stored, `${first.origin}→${first.destination} at ${first.date} came with delay ${first.delay}, later again with delay ${later.delay}`).toEqual([
        { delay: first.delay },
      ]);
    }
  });

  test('loading the same file again changes nothing', async () => {
    const first = await load(appDb, hiddenRows);
    const flights = snapshotFlights(db);
    const quarantine = snapshotQuarantine(db);
    const second = await load(appDb, hiddenRows);
    expect(second, 'the second load() of the same rows').toEqual({
      loaded: 0,
      quarantined: expectedCounts.quarantined,
      skippedDuplicates: first.loaded + first.skippedDuplicates,
    });
    expect(snapshotFlights(db), 'flights after the second load should equal flights after the first').toEqual(flights);
    expect(snapshotQuarantine(db), 'quarantine after the second load should equal quarantine after the first').toEqual(quarantine);
  });

  test('an incremental load (the first half, then the whole file) ends like one load', async () => {
    const half = hiddenRows.slice(0, Math.floor(hiddenRows.length / 2));
    const a = await load(appDb, half);
    const b = await load(appDb, hiddenRows);
    expect(a.loaded + b.loaded, 'rows loaded by the two calls together').toBe(expectedCounts.loaded);
    expect(b.loaded + b.quarantined + b.skippedDuplicates, 'the second call counts each of its rows once').toBe(hiddenRows.length);
    expect(count(db, 'flights'), 'rows in flights').toBe(expectedCounts.loaded);
    expect(count(db, 'quarantine'), 'rows in quarantine').toBe(new Set(outcomes('quarantined').map((c) => JSON.stringify(hiddenRows[c.index]))).size);
  });

  test('a load that fails in the database throws and leaves both tables as they were', async () => {
    const before = hiddenRows.slice(0, 200);
    await load(appDb, before);
    const flights = snapshotFlights(db);
    const quarantine = snapshotQuarantine(db);
    // A valid, new flight near the end of the file makes the database fail, as a full disk would.
    const lastValid = expectedFlights(hiddenRows, hiddenLog).at(-1)!;
    db.exec(`CREATE TRIGGER kata_simulated_failure BEFORE INSERT ON flights
      WHEN NEW.departed_at = '${lastValid.departed_at}' AND NEW.origin = '${lastValid.origin}'
      BEGIN SELECT RAISE(ABORT, 'simulated failure: disk I/O error'); END`);
    expect(await settled(load(appDb, hiddenRows)), 'load() should throw when an insert fails for a reason other than a duplicate key').toThrow();
    expect(snapshotFlights(db).length, 'rows in flights after the failed load (the 200-row load before it kept)').toBe(flights.length);
    expect(snapshotFlights(db), 'flights after the failed load').toEqual(flights);
    expect(snapshotQuarantine(db), 'quarantine after the failed load').toEqual(quarantine);
  });

  test('a constraint other than the natural key is an error too, not a duplicate', async () => {
    await load(appDb, hiddenRows.slice(0, 200));
    // A constraint load() does not know about, as a DBA might add one: one flight per origin and minute
    // at the departure time of the last valid flight, which a row already in the table now occupies.
    const lastValid = expectedFlights(hiddenRows, hiddenLog).at(-1)!;
    const otherDestination = expectedFlights(hiddenRows, hiddenLog).find(
      (f) => f.destination !== lastValid.destination && f.destination !== lastValid.origin,
    )!.destination;
    db.prepare('INSERT INTO flights (departed_at, origin, destination, delay, distance) VALUES (?, ?, ?, ?, ?)').run(
      lastValid.departed_at, lastValid.origin, otherDestination, 0, lastValid.distance,
    );
    db.exec(`CREATE UNIQUE INDEX kata_one_departure_per_minute ON flights (departed_at, origin)
      WHERE departed_at = '${lastValid.departed_at}'`);
    const flights = snapshotFlights(db);
    const quarantine = snapshotQuarantine(db);
    expect(
      await settled(load(appDb, hiddenRows)),
      `load() should throw when ${lastValid.origin}→${lastValid.destination} at ${lastValid.departed_at} breaks a UNIQUE index that is not ` +
        '(departed_at, origin, destination): only the natural key may be skipped as a duplicate (INSERT OR IGNORE skips every conflict)',
    ).toThrow();
    expect(snapshotFlights(db), 'flights after the failed load').toEqual(flights);
    expect(snapshotQuarantine(db), 'quarantine after the failed load').toEqual(quarantine);
  });
});

describe('validation rules', () => {
  // A real flight of the source file, varied one field at a time.
  const base = (JSON.parse(readFileSync(vegaDataPath('flights-5k.json'), 'utf8')) as RawFlight[])[0];
  const at = (date: string) => ({ ...base, date });
  const stored = (date: string) => date.replace(/\//g, '-');

  /**
   * load(rows) in the host. When it throws, each row is loaded on its own to name the ones that make it
   * throw: rows the README quarantines (or loads) must never fail the whole load.
   */
  async function loadOrExplain(rows: unknown[], what: string): Promise<LoadResult> {
    try {
      return await load(appDb, rows);
    } catch (error) {
      const culprits: string[] = [];
      for (const row of rows) {
        await load(appDb, [row]).catch((e: unknown) => culprits.push(`${JSON.stringify(row)} (${e instanceof Error ? e.message : String(e)})`));
      }
      throw new Error(
        `load() of ${what} threw (${error instanceof Error ? error.message : String(error)}); every such row should be ` +
          `loaded or quarantined, not fail the load. Rows that throw on their own: ${culprits.slice(0, 3).join('; ') || '(none alone)'}`,
      );
    }
  }

  /** Loads rows that are all invalid and compares each stored reason with the expected one. */
  async function expectReasons(cases: [unknown, string][], rule: string) {
    const result = await loadOrExplain(cases.map(([row]) => row), 'rows that are all invalid');
    const byRaw = new Map((snapshotQuarantine(db) as { raw: string; reason: string }[]).map((r) => [r.raw, r.reason]));
    const wrong = cases
      .map(([row, expectedReason]) => ({ row: JSON.stringify(row), expectedReason, storedReason: byRaw.get(JSON.stringify(row)) ?? '(not in quarantine)' }))
      .filter((w) => w.storedReason !== w.expectedReason);
    expect(wrong.slice(0, 3), `rows stored with a wrong reason (${wrong.length} of ${cases.length}, up to 3 shown; ${rule})`).toEqual([]);
    expect(result, 'load() of rows that are all invalid').toEqual({ loaded: 0, quarantined: cases.length, skippedDuplicates: 0 });
  }

  /** Loads rows that are all valid and checks they are stored as they came, with departed_at reformatted. */
  async function expectLoaded(rows: RawFlight[], rule: string) {
    const result = await loadOrExplain(rows, `valid rows (${rule})`);
    const quarantined = snapshotQuarantine(db);
    expect(quarantined, `valid rows that were quarantined (${rule})`).toEqual([]);
    expect(result, `load() of rows that are all valid (${rule}): ${JSON.stringify(rows)}`).toEqual({ loaded: rows.length, quarantined: 0, skippedDuplicates: 0 });
    const expected = rows
      .map((r) => ({ departed_at: stored(r.date), origin: r.origin, destination: r.destination, delay: r.delay, distance: r.distance }))
      .sort((a, b) => (a.departed_at < b.departed_at ? -1 : a.departed_at > b.departed_at ? 1 : 0));
    expect(snapshotFlights(db), `the flights table after loading valid rows (${rule})`).toEqual(expected);
  }

  test('valid edge cases are loaded', async () => {
    await expectLoaded(
      [
        { ...base, delay: 0 },
        { ...at('2001/02/28 23:59'), delay: -52 },
        { ...at('2001/03/31 00:00'), carrier: 'AA', tailNumber: null } as RawFlight,
        { ...at('2001/01/01 00:01'), distance: 1 },
        { ...at('2001/12/31 23:00'), note: { nested: [1, 'x'] }, delay_text: 'N/A' } as RawFlight,
      ],
      'zero and negative delays, distance 1, the last minute of a day, and extra fields, which are ignored',
    );
  });

  test('each invalid row gets the reason of its first failing check', async () => {
    const { delay: _delay, ...noDelay } = base;
    const { destination: _destination, ...noDestination } = base;
    await expectReasons(
      [
        [42, 'invalid:row'],
        [null, 'invalid:row'],
        [true, 'invalid:row'],
        ['2001/01/01 06:55,LAX,BNA', 'invalid:row'],
        [[base.date, base.delay], 'invalid:row'],
        [{}, 'missing:date'],
        [{ ...base, date: null }, 'missing:date'],
        [noDelay, 'missing:delay'],
        [{ ...base, distance: null }, 'missing:distance'],
        [{ ...base, origin: null }, 'missing:origin'],
        [noDestination, 'missing:destination'],
        [at('2001/02/29 10:00'), 'invalid:date'],
        [at('2001/04/31 10:00'), 'invalid:date'],
        [at('2001/13/01 10:00'), 'invalid:date'],
        [at('2001/00/10 10:00'), 'invalid:date'],
        [at('2001/01/00 10:00'), 'invalid:date'],
        [at('2001/1/5 06:55'), 'invalid:date'],
        [at('2001/01/05 24:00'), 'invalid:date'],
        [at('2001/01/05 06:60'), 'invalid:date'],
        [at('2001/01/05'), 'invalid:date'],
        [at('2001-01-05 06:55'), 'invalid:date'],
        [at('2001-01-05T06:55:00Z'), 'invalid:date'],
        [at(' 2001/01/05 06:55'), 'invalid:date'],
        [at('2001/01/05 06:55 '), 'invalid:date'],
        [{ ...base, date: 20010105 }, 'invalid:date'],
        [{ ...base, date: [base.date] }, 'invalid:date'],
        [{ ...base, delay: '15' }, 'invalid:delay'],
        [{ ...base, delay: 'N/A' }, 'invalid:delay'],
        [{ ...base, delay: true }, 'invalid:delay'],
        [{ ...base, delay: 1.25 }, 'invalid:delay'],
        [{ ...base, distance: 1.5 }, 'invalid:distance'],
        [{ ...base, distance: -1 }, 'invalid:distance'],
        [{ ...base, distance: 0 }, 'invalid:distance'],
        [{ ...base, distance: `${base.distance} mi` }, 'invalid:distance'],
        [{ ...base, distance: String(base.distance) }, 'invalid:distance'],
        [{ ...base, origin: 'LAX ' }, 'invalid:origin'],
        [{ ...base, origin: 'La1' }, 'invalid:origin'],
        [{ ...base, origin: '' }, 'invalid:origin'],
        [{ ...base, destination: ['BNA'] }, 'invalid:destination'],
        [{ ...base, destination: 'bna' }, 'invalid:destination'],
        [{ ...base, destination: 'KBNA' }, 'invalid:destination'],
        [{ ...base, destination: 123 }, 'invalid:destination'],
        [{ ...base, destination: base.origin }, 'invalid:route'],
        // Stored as JSON.stringify(row), exactly: other fields and the key order kept.
        [{ carrier: 'AA', ...at('2001/02/29 11:00') }, 'invalid:date'],
        [{ destination: base.destination, origin: base.origin, distance: base.distance, delay: 'late', date: base.date }, 'invalid:delay'],
      ],
      'each row breaks one check',
    );
  });

  test('a row with several problems gets the reason of the first check, field by field', async () => {
    const { delay: _delay, ...noDelay } = base;
    await expectReasons(
      [
        [{ ...noDelay, origin: 'lax' }, 'missing:delay'],
        [{ ...at('2001/02/30 10:00'), delay: 'N/A', distance: -5 }, 'invalid:date'],
        // The README's example: an invalid earlier field beats a missing later one.
        [{ date: base.date, delay: 'N/A', distance: -5 }, 'invalid:delay'],
        [{ ...noDelay, date: '2001/04/31 10:00' }, 'invalid:date'],
        [{ ...base, distance: 0, origin: null }, 'invalid:distance'],
        [{ date: null, delay: 'x', distance: 0, origin: 'lax', destination: 'lax' }, 'missing:date'],
        [{ ...base, delay: 1.5, distance: null }, 'invalid:delay'],
        [{ ...base, delay: null, distance: 'far' }, 'missing:delay'],
        [{ ...base, origin: 'lax', destination: null }, 'invalid:origin'],
        [{ ...base, origin: null, destination: 'bna' }, 'missing:origin'],
        // The route comes last.
        [{ ...base, origin: 'lax', destination: 'lax' }, 'invalid:origin'],
        [{ ...at('2001/01/05 25:00'), destination: base.origin }, 'invalid:date'],
        [{ ...base, distance: -3, destination: base.origin }, 'invalid:distance'],
      ],
      'the first failing check, in the order row, then date, delay, distance, origin, destination (missing before invalid for each), then the route',
    );
  });

  test('delay and distance must be safe integers (Number.isSafeInteger)', async () => {
    const max = Number.MAX_SAFE_INTEGER;
    await expectLoaded(
      [
        { ...at('2001/01/06 10:00'), distance: max },
        { ...at('2001/01/06 11:00'), delay: -max },
        { ...at('2001/01/06 12:00'), delay: max },
      ],
      `±${max} is a safe integer`,
    );
    await cleanup(host);
    ({ appDb, db } = await freshDb(host));
    await expectReasons(
      [
        [{ ...at('2001/01/07 10:00'), delay: 2 ** 53 }, 'invalid:delay'],
        [{ ...at('2001/01/07 11:00'), delay: -(2 ** 53) }, 'invalid:delay'],
        [{ ...at('2001/01/07 12:00'), delay: 1e20 }, 'invalid:delay'],
        [{ ...at('2001/01/07 13:00'), delay: -1e20 }, 'invalid:delay'],
        [{ ...at('2001/01/07 14:00'), distance: 2 ** 53 }, 'invalid:distance'],
        [{ ...at('2001/01/07 15:00'), distance: 1e20 }, 'invalid:distance'],
      ],
      `an integer beyond ±${max} (2^53 − 1) is not a safe integer, so it is invalid`,
    );
  });

  test('dates are real in the Gregorian calendar for every four-digit year, 0000 to 9999', async () => {
    await expectLoaded(
      [
        at('2000/02/29 12:00'),
        at('1600/02/29 00:00'),
        at('2004/02/29 06:30'),
        at('0004/02/29 12:00'),
        at('0099/12/31 23:59'),
        at('0000/01/01 00:00'),
        at('0050/06/15 08:15'),
        at('9999/12/31 23:59'),
      ],
      'leap days of leap years, and the years 0000–0099 as they are written (not 1900–1999)',
    );
    await cleanup(host);
    ({ appDb, db } = await freshDb(host));
    await expectReasons(
      [
        [at('1900/02/29 12:00'), 'invalid:date'],
        [at('2100/02/29 12:00'), 'invalid:date'],
        [at('0100/02/29 12:00'), 'invalid:date'],
        [at('0001/02/29 12:00'), 'invalid:date'],
        [at('0050/02/29 12:00'), 'invalid:date'],
        [at('0099/02/29 12:00'), 'invalid:date'],
      ],
      'February 29 only in years divisible by 4 and not by 100, or by 400',
    );
  });

  test('of two valid rows with the same natural key the first wins, in one call and across calls; a bad row is stored once', async () => {
    const first = { ...at('2001/01/08 09:30'), delay: 5 };
    const bad = { ...at('2001/02/30 09:30') };
    const result = await loadOrExplain([first, { ...first, delay: 9 }, bad, { ...first, distance: first.distance + 1 }, bad], 'a repeated key');
    expect(result, 'load() of a flight, two rows with its natural key and a bad row twice').toEqual({ loaded: 1, quarantined: 2, skippedDuplicates: 2 });
    const again = await loadOrExplain([{ ...first, delay: 11 }, bad], 'the same key again');
    expect(again, 'a second load() of the same key with another delay, and the bad row again').toEqual({ loaded: 0, quarantined: 1, skippedDuplicates: 1 });
    expect(snapshotFlights(db), 'the first row loaded wins').toEqual([
      { departed_at: stored(first.date), origin: first.origin, destination: first.destination, delay: 5, distance: first.distance },
    ]);
    expect(snapshotQuarantine(db), 'the quarantine holds each distinct raw text once').toEqual([{ raw: JSON.stringify(bad), reason: 'invalid:date' }]);
  });
});
