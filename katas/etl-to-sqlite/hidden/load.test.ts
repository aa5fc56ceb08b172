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
    expect(expected.every((r) => source.has(`${r.departed_at.replace(/-/g, '/')}|${r.origin}|${r.destination}|${r.delay}`))).toBe(true);

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
    expect(nearDuplicates.length).toBeGreaterThan(0);
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

  test('valid edge cases are loaded', async () => {
    const rows = [
      { ...base, delay: 0 },
      { ...at('2001/02/28 23:59'), delay: -52 },
      { ...at('2001/03/31 00:00'), carrier: 'AA', tailNumber: null },
      { ...at('2001/01/01 00:01'), distance: 1 },
    ];
    const result = await load(appDb, rows);
    expect(result, `load() of rows that are all valid: ${JSON.stringify(rows)}`).toEqual({ loaded: rows.length, quarantined: 0, skippedDuplicates: 0 });
    expect(db.prepare('SELECT departed_at FROM flights ORDER BY departed_at').pluck().all(), 'departed_at values').toEqual([
      '2001-01-01 00:01',
      base.date.replace(/\//g, '-'),
      '2001-02-28 23:59',
      '2001-03-31 00:00',
    ].sort());
  });

  test('each invalid row gets the reason of its first failing check', async () => {
    const { delay: _delay, ...noDelay } = base;
    const cases: [unknown, string][] = [
      [42, 'invalid:row'],
      ['2001/01/01 06:55,LAX,BNA', 'invalid:row'],
      [[base.date, base.delay], 'invalid:row'],
      [{}, 'missing:date'],
      [noDelay, 'missing:delay'],
      [{ ...base, distance: null }, 'missing:distance'],
      [at('2001/02/29 10:00'), 'invalid:date'],
      [at('2001/13/01 10:00'), 'invalid:date'],
      [at('2001/1/5 06:55'), 'invalid:date'],
      [at('2001/01/05 06:60'), 'invalid:date'],
      [at(' 2001/01/05 06:55'), 'invalid:date'],
      [{ ...base, date: 20010105 }, 'invalid:date'],
      [{ ...base, delay: '15' }, 'invalid:delay'],
      [{ ...base, delay: 1.25 }, 'invalid:delay'],
      [{ ...base, distance: 1.5 }, 'invalid:distance'],
      [{ ...base, distance: -1 }, 'invalid:distance'],
      [{ ...base, origin: 'LAX ' }, 'invalid:origin'],
      [{ ...base, origin: 'La1' }, 'invalid:origin'],
      [{ ...base, destination: ['BNA'] }, 'invalid:destination'],
      [{ ...base, destination: 'bna' }, 'invalid:destination'],
      [{ ...base, destination: base.origin }, 'invalid:route'],
      [{ ...noDelay, origin: 'lax' }, 'missing:delay'],
      [{ ...at('2001/02/30 10:00'), delay: 'N/A', distance: -5 }, 'invalid:date'],
      // Field by field: an invalid earlier field beats a missing later one, and the route comes last.
      [{ date: base.date, delay: 'N/A', distance: -5 }, 'invalid:delay'],
      [{ ...noDelay, date: '2001/04/31 10:00' }, 'invalid:date'],
      [{ ...base, distance: 0, origin: null }, 'invalid:distance'],
      [{ ...base, origin: 'lax', destination: 'lax' }, 'invalid:origin'],
      [{ ...at('2001/01/05 25:00'), destination: base.origin }, 'invalid:date'],
    ];
    const result = await load(appDb, cases.map(([row]) => row));
    expect(result, 'load() of rows that are all invalid').toEqual({ loaded: 0, quarantined: cases.length, skippedDuplicates: 0 });
    const stored = new Map((snapshotQuarantine(db) as { raw: string; reason: string }[]).map((r) => [r.raw, r.reason]));
    const wrong = cases
      .map(([row, expectedReason]) => ({ row: JSON.stringify(row), expectedReason, storedReason: stored.get(JSON.stringify(row)) ?? '(not in quarantine)' }))
      .filter((w) => w.storedReason !== w.expectedReason);
    expect(wrong.slice(0, 3), `rows stored with a wrong reason (${wrong.length} of ${cases.length}, up to 3 shown; the first failing check, field by field, gives the reason)`).toEqual([]);
  });
});
