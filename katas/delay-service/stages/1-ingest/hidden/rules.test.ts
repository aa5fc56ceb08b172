// Stage 1's rules on files the judge crafts from real flights of a hidden month (April 2001): bad rows
// and their reasons, the conversion, the watermark, re-runs, and all-or-nothing.
import { basename } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { seededRandom, type Host, type Remote } from '@kata/harness';
import { monthParquet } from '../support/flights.js';
import { corruptRowGroup, readFlightsParquet } from '../support/parquet.js';
import {
  byFlight,
  cleanup,
  craft,
  dayOf,
  expectedReason,
  freshDb,
  importIngest,
  settled,
  show,
  snapshotAll,
  snapshotFlights,
  snapshotQuarantine,
  toRow,
  watermarkRows,
  type FileRow,
  type Ingest,
  type QuarantineRow,
} from './helpers';

let ingest: Ingest;
let host: Host;
let appDb: Remote;
let db: Database.Database;
let dir: string;
/** Real flights of the first days of April 2001 (days 1-7 at least), by day, in file order. */
const april = new Map<string, FileRow[]>();

beforeAll(async () => {
  ({ ingest, host } = await importIngest());
  for (const row of (await readFlightsParquet(await monthParquet('2001-04'), { maxRows: 150_000 })) as FileRow[]) {
    const day = dayOf(row.date!);
    if (!april.has(day)) april.set(day, []);
    april.get(day)!.push(row);
  }
}, 120_000);
afterAll(async () => {
  await host?.close();
});
beforeEach(async () => {
  ({ appDb, db, dir } = await freshDb(host));
});
afterEach(async () => {
  await cleanup(host);
});

/** A seeded sample of the real flights of the given April days (every day's share the same), in file order. */
function sample(days: number[], perDay: number, seed: number): FileRow[] {
  const random = seededRandom(seed);
  const out: FileRow[] = [];
  for (const day of days) {
    const key = `2001-04-${String(day).padStart(2, '0')}`;
    const ofDay = april.get(key) ?? [];
    if (ofDay.length < perDay * 2) throw new Error(`(judge) too few flights read for ${key}: ${ofDay.length}`);
    const step = ofDay.length / perDay;
    for (let i = 0; i < perDay; i++) out.push({ ...ofDay[Math.floor(i * step + random() * step)] });
  }
  return out;
}

/** What the README says a file does to an empty database (or after `watermark`): flights, quarantine rows, report. */
function expected(file: string, rows: FileRow[], watermark: string | null = null, quarantined = new Set<number>()) {
  const flights = [];
  const quarantine: QuarantineRow[] = [];
  let loaded = 0;
  let bad = 0;
  let skipped = 0;
  let newest = watermark;
  rows.forEach((r, i) => {
    const day = r.date ? dayOf(r.date) : null;
    if (day !== null && watermark !== null && day <= watermark) return void skipped++;
    if (day !== null && (newest === null || day > newest)) newest = day;
    const reason = expectedReason(r);
    if (reason === null) {
      flights.push(toRow(r));
      loaded++;
    } else if (quarantined.has(i)) skipped++;
    else {
      quarantine.push({ file: basename(file), row_index: i, flight_date: day, reason });
      bad++;
    }
  });
  return {
    flights: flights.sort(byFlight),
    quarantine,
    report: { rows: rows.length, loaded, quarantined: bad, skipped, watermark: newest },
  };
}

/** ingest() in the host; when it throws, the message says which file and why. */
async function run(file: string) {
  try {
    return await ingest(appDb, file);
  } catch (error) {
    throw new Error(`ingest(db, '${basename(file)}') threw: ${error instanceof Error ? error.message : String(error)} (every row of it should be loaded, skipped or quarantined)`);
  }
}

const at = (r: FileRow, wall: string) => ({ ...r, date: new Date(`${wall}Z`) });
const MAX = BigInt(Number.MAX_SAFE_INTEGER);

describe('bad rows', () => {
  /** Real rows of 2001-04-02 and -03, each bad in one way or several; good rows between them. */
  function damagedFile(): { file: string; rows: FileRow[] } {
    const base = sample([2, 3], 40, 7);
    const edits: ((r: FileRow) => FileRow)[] = [
      (r) => ({ ...r, date: null }),
      (r) => ({ ...r, date: new Date(r.date!.getTime() + 1_000) }),
      (r) => ({ ...r, date: new Date(r.date!.getTime() + 250) }),
      (r) => ({ ...r, delay: null }),
      (r) => ({ ...r, delay: MAX + 1n }),
      (r) => ({ ...r, delay: -(MAX + 1n) }),
      (r) => ({ ...r, distance: null }),
      (r) => ({ ...r, distance: 0n }),
      (r) => ({ ...r, distance: -r.distance! }),
      (r) => ({ ...r, distance: 2n ** 60n }),
      (r) => ({ ...r, origin: null }),
      (r) => ({ ...r, origin: r.origin!.toLowerCase() }),
      (r) => ({ ...r, origin: r.origin!.slice(0, 2) }),
      (r) => ({ ...r, origin: `${r.origin}Q` }),
      (r) => ({ ...r, origin: '' }),
      (r) => ({ ...r, origin: `${r.origin!.slice(0, 2)}0` }),
      (r) => ({ ...r, destination: null }),
      (r) => ({ ...r, destination: `${r.destination} ` }),
      (r) => ({ ...r, destination: r.destination!.toLowerCase() }),
      (r) => ({ ...r, destination: 'ÅLB' }),
      (r) => ({ ...r, destination: r.origin }),
      // several problems: the first check that fails names the row
      (r) => ({ ...r, delay: null, origin: 'x' }),
      (r) => ({ ...r, date: new Date(r.date!.getTime() + 30_000), delay: null }),
      (r) => ({ ...r, distance: 0n, origin: r.origin!.toLowerCase() }),
      (r) => ({ ...r, origin: 'sfo', destination: 'sfo' }),
      (r) => ({ ...r, delay: MAX + 5n, distance: null }),
      (r) => ({ ...r, date: null, delay: null, distance: null, origin: null, destination: null }),
    ];
    const rows = base.map((r, i) => (i % 3 === 1 && edits[(i - 1) / 3] ? edits[(i - 1) / 3](r) : r));
    // valid edges: the first and last minute of a day (the last day of the month too), zero and extreme delays
    rows.push(
      at(base[0], '2001-04-02T00:00:00'),
      at({ ...base[1], delay: 0n }, '2001-04-03T23:59:00'),
      at({ ...base[2], delay: -MAX, distance: 1n }, '2001-04-30T23:59:00'),
      at({ ...base[3], delay: MAX }, '2001-04-30T00:00:00'),
    );
    // the newest day has only a bad row: it still moves the watermark
    rows.push(at({ ...base[4], distance: 0n }, '2001-05-01T06:00:00'));
    return { file: craft(dir, 'damaged-april.parquet', rows, 7), rows };
  }

  test('each bad row is quarantined with the reason of its first failing check, its row index and its day', async () => {
    const { file, rows } = damagedFile();
    await run(file);
    const want = expected(file, rows).quarantine;
    const got = snapshotQuarantine(db);
    const wrong = want
      .map((w) => ({ row: `row ${w.row_index}: ${show(rows[w.row_index])}`, expected: w, stored: got.find((g) => g.row_index === w.row_index) ?? '(not in quarantine)' }))
      .filter((w) => JSON.stringify(w.expected) !== JSON.stringify(w.stored));
    expect(wrong.slice(0, 4), `bad rows with a missing or wrong quarantine entry (${wrong.length} of ${want.length}, up to 4 shown)`).toEqual([]);
    expect(got, 'the whole quarantine table (file, row_index, flight_date, reason), ordered by row_index').toEqual(want);
  });

  test('good rows are loaded, converted from the wall time, and bad rows are not', async () => {
    const { file, rows } = damagedFile();
    await run(file);
    const want = expected(file, rows).flights;
    const got = snapshotFlights(db);
    const missing = want.filter((w) => !got.some((g) => byFlight(g, w) === 0));
    const extra = got.filter((g) => !want.some((w) => byFlight(g, w) === 0));
    expect({ missing: missing.slice(0, 3), extra: extra.slice(0, 3) }, `flights rows missing (${missing.length}) and not expected (${extra.length}), up to 3 each`).toEqual({ missing: [], extra: [] });
    expect(got, 'the flights table, ordered').toEqual(want);
  });

  test('the report counts every row once, and the newest day of the file is the watermark even when it has only bad rows', async () => {
    const { file, rows } = damagedFile();
    const report = await run(file);
    expect(report, `ingest() of ${rows.length} crafted rows`).toEqual(expected(file, rows).report);
    expect(watermarkRows(db), 'the rows of watermark').toEqual([{ last_day: '2001-05-01' }]);
  });

  test('ingesting the same file again changes nothing: every row is skipped, rows without a date included', async () => {
    const { file, rows } = damagedFile();
    await run(file);
    const before = snapshotAll(db);
    const again = await run(file);
    expect(again, 'the second ingest() of the same file').toEqual({ rows: rows.length, loaded: 0, quarantined: 0, skipped: rows.length, watermark: '2001-05-01' });
    expect(snapshotAll(db), 'flights, quarantine and watermark after the second ingest').toEqual(before);
  });
});

describe('the watermark', () => {
  test('a later export of the same month (days 1-5 after days 1-3) loads only the new days', async () => {
    const days13 = sample([1, 2, 3], 150, 11);
    const days45 = sample([4, 5], 150, 12);
    const first = craft(dir, 'april-1-3.parquet', days13, 100);
    const later = craft(dir, 'april-1-5.parquet', [...days13, ...days45], 100);
    expect(await run(first), 'ingest of days 1-3').toEqual(expected(first, days13).report);
    const report = await run(later);
    expect(report, 'ingest of days 1-5 after days 1-3: days 1-3 skipped').toEqual({ rows: 750, loaded: 300, quarantined: 0, skipped: 450, watermark: '2001-04-05' });
    expect(snapshotFlights(db), 'flights after both files: each flight of days 1-5 once').toEqual(expected(later, [...days13, ...days45]).flights);
  });

  test('a first file whose rows all lack a date quarantines them and leaves no watermark (no row, null in the report)', async () => {
    const rows = sample([6], 12, 13).map((r) => ({ ...r, date: null }));
    const file = craft(dir, 'april-undated.parquet', rows, 5);
    const report = await run(file);
    expect(report, 'ingest() of 12 rows without a date into an empty database').toEqual(expected(file, rows).report);
    expect(report.watermark, 'the report\'s watermark when no day was ever ingested').toBeNull();
    expect(watermarkRows(db), 'the rows of watermark: none before a day is ingested').toEqual([]);
  });

  test('the watermark is read from the database, and days are compared by value, not by position in the file', async () => {
    // The tables as the README declares them, made by the judge, with a watermark already set.
    db.exec(`
      CREATE TABLE flights (id INTEGER PRIMARY KEY, flight_date TEXT NOT NULL, dep_minute INTEGER NOT NULL, origin TEXT NOT NULL,
        destination TEXT NOT NULL, distance INTEGER NOT NULL, delay INTEGER NOT NULL);
      CREATE TABLE quarantine (file TEXT NOT NULL, row_index INTEGER NOT NULL, flight_date TEXT, reason TEXT NOT NULL, PRIMARY KEY (file, row_index));
      CREATE TABLE watermark (last_day TEXT NOT NULL);
      INSERT INTO watermark (last_day) VALUES ('2001-04-03');
    `);
    const random = seededRandom(13);
    const rows = sample([1, 2, 3, 4, 5], 60, 14)
      .map((r) => ({ r, k: random() }))
      .sort((a, b) => a.k - b.k)
      .map(({ r }) => r);
    // The file ends on an older day than its newest (day 4, day 5 is newer): the watermark is the newest day, not the last.
    const lastDay4 = rows.findIndex((r) => dayOf(r.date!) === '2001-04-04');
    rows.push(...rows.splice(lastDay4, 1));
    rows[5] = { ...rows[5], date: null }; // no day: quarantined whatever the watermark
    const file = craft(dir, 'april-shuffled.parquet', rows, 50);
    const want = expected(file, rows, '2001-04-03');
    expect(await run(file), 'ingest of shuffled days 1-5 with the watermark at 2001-04-03').toEqual(want.report);
    expect(snapshotFlights(db), 'flights: only days 4 and 5').toEqual(want.flights);
    expect(snapshotQuarantine(db), 'quarantine: the row without a date').toEqual(want.quarantine);
    expect(watermarkRows(db), 'the rows of watermark').toEqual([{ last_day: '2001-04-05' }]);
  });

  test('a watermark set by hand between two calls on the same handle is the one the second call uses', async () => {
    const first = sample([1, 2, 3], 60, 22);
    const second = sample([1, 2, 3, 4, 5, 6, 7], 60, 23);
    await run(craft(dir, 'april-1-3.parquet', first, 50));
    // A DBA closes days 4 and 5 by hand: the same handle's next call must read the table again.
    db.exec(`DELETE FROM watermark; INSERT INTO watermark (last_day) VALUES ('2001-04-05');`);
    const before = snapshotFlights(db);
    const file = craft(dir, 'april-1-7.parquet', second, 50);
    const want = expected(file, second, '2001-04-05');
    expect(await run(file), 'ingest of days 1-7 after the watermark was set to 2001-04-05 by hand (days 1-5 skipped)').toEqual(want.report);
    expect(snapshotFlights(db), 'flights: days 1-3 of the first file, then only days 6 and 7').toEqual([...before, ...want.flights].sort(byFlight));
    expect(watermarkRows(db), 'the rows of watermark').toEqual([{ last_day: '2001-04-07' }]);
  });

  test('an older export after a newer one loads nothing of its days (bad rows included) and keeps the watermark', async () => {
    const newer = sample([6, 7], 100, 15);
    const older = sample([1, 2], 100, 16);
    older[3] = { ...older[3], origin: 'xx' };
    older[8] = { ...older[8], date: null };
    await run(craft(dir, 'april-6-7.parquet', newer, 64));
    const file = craft(dir, 'april-1-2.parquet', older, 64);
    const before = snapshotFlights(db);
    const want = expected(file, older, '2001-04-07');
    expect(await run(file), 'ingest of days 1-2 after days 6-7').toEqual(want.report);
    expect(snapshotFlights(db), 'flights: unchanged').toEqual(before);
    expect(snapshotQuarantine(db), 'quarantine: only the row without a date (its day is unknown)').toEqual(want.quarantine);
    expect(watermarkRows(db), 'the watermark stays at the newer day').toEqual([{ last_day: '2001-04-07' }]);
  });
});

describe('all or nothing', () => {
  /**
   * After a failed call, another call on the same handle (a later day) must work and add exactly its file:
   * the failed call left no transaction open and nothing of its own behind.
   */
  async function nextCallWorks(before: ReturnType<typeof snapshotAll>, seed: number) {
    const rows = sample([6], 50, seed);
    const file = craft(dir, 'april-6.parquet', rows, 40);
    const want = expected(file, rows, before.watermark[0]?.last_day ?? null);
    let report: unknown;
    try {
      report = await ingest(appDb, file);
    } catch (error) {
      report = `threw: ${error instanceof Error ? error.message : String(error)}`;
    }
    expect(report, 'the next ingest() on the same handle after the failed one (a failed call must leave no transaction open)').toEqual(want.report);
    expect(snapshotFlights(db), 'flights after that next call: the rows from before the failure and the new file, nothing of the failed one').toEqual([...before.flights, ...want.flights].sort(byFlight));
    expect(watermarkRows(db), 'the rows of watermark after that next call').toEqual([{ last_day: '2001-04-06' }]);
  }

  test('an ingest that fails in the database throws and leaves every table as it was', async () => {
    await run(craft(dir, 'april-1.parquet', sample([1], 100, 17), 40));
    const rows = sample([2, 3, 4], 100, 18);
    rows[10] = { ...rows[10], origin: null };
    const victim = toRow(rows[250]);
    const file = craft(dir, 'april-2-4.parquet', rows, 40);
    const before = snapshotAll(db);
    // A valid flight in the seventh row group makes the database fail, as a full disk would.
    db.exec(`CREATE TRIGGER kata_simulated_failure BEFORE INSERT ON flights
      WHEN NEW.flight_date = '${victim.flight_date}' AND NEW.dep_minute = ${victim.dep_minute} AND NEW.origin = '${victim.origin}' AND NEW.destination = '${victim.destination}'
      BEGIN SELECT RAISE(ABORT, 'simulated failure: disk I/O error'); END`);
    expect(await settled(ingest(appDb, file)), 'ingest() should reject when an insert fails').toThrow();
    expect(snapshotAll(db), 'flights, quarantine and watermark after the failed ingest (the first file kept, nothing of the second)').toEqual(before);
    await nextCallWorks(before, 24);
  });

  test('a file whose sixth row group cannot be read throws and leaves every table as it was', async () => {
    await run(craft(dir, 'april-1.parquet', sample([1], 100, 20), 40));
    const rows = sample([2, 3, 4], 100, 21);
    rows[7] = { ...rows[7], destination: 'abc' };
    const file = craft(dir, 'april-2-4.parquet', rows, 40);
    await corruptRowGroup(file, 5);
    const before = snapshotAll(db);
    expect(await settled(ingest(appDb, file)), 'ingest() of a file whose row group 5 (rows 200-239) cannot be decoded should reject').toThrow();
    expect(snapshotAll(db), 'flights, quarantine and watermark after the failed ingest (nothing of the five row groups read before the broken one)').toEqual(before);
    await nextCallWorks(before, 25);
  });

  test('a file that is not parquet throws and leaves every table as it was', async () => {
    await run(craft(dir, 'april-1.parquet', sample([1], 100, 19), 40));
    const before = snapshotAll(db);
    // Not a parquet file at all: a CSV export under a parquet name.
    const broken = `${dir}/broken.parquet`;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(broken, 'date,delay,distance,origin,destination\n2001-04-02 06:00,1,100,SFO,LAX\n');
    expect(await settled(ingest(appDb, broken)), 'ingest() of a file that is not parquet should reject').toThrow();
    expect(snapshotAll(db), 'flights, quarantine and watermark after the failed ingest').toEqual(before);
    await nextCallWorks(before, 26);
  });

  test('a call that fails on a database without the tables leaves it without them', async () => {
    // A real file whose third row group cannot be decoded: the failure comes after the tables would be made.
    const file = craft(dir, 'april-2-3.parquet', sample([2, 3], 60, 27), 30);
    await corruptRowGroup(file, 2);
    expect(await settled(ingest(appDb, file)), 'ingest() on an empty database of a file whose row group 2 cannot be decoded should reject').toThrow();
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
    expect(tables, 'the tables of the database after the failed ingest (it had none before: they are created inside the transaction)').toEqual([]);
  });
});
