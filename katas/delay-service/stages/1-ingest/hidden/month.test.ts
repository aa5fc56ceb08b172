// Stage 1 on a full month the learner never had (April 2001, ~500,000 flights in 50,000-row row groups):
// the report, the loaded rows against the judge's reference loader, the schema, and that it fits in a
// host with a small heap.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Host } from '@kata/harness';
import { monthParquet, referenceDb } from '../support/flights.js';
import { cleanup, count, freshDb, importIngest, watermarkRows, type Ingest, type IngestReport, type TestDb } from './helpers';

const MONTH = '2001-04';
/**
 * The JavaScript heap of the host that ingests the month (README: "Memory"), in MB. A cap, not a reading
 * of RSS growth: how far RSS grows is the collector's choice and changes with Node's version (one row
 * group at a time grew the process by ~85 MB on Node 20, ~190 MB on Node 24). A cap makes the collector
 * work, and what cannot fit is what the code holds: measured on this project's machine with hyparquet
 * alone, one row group at a time reads the month in a 48 MB heap on Node 20 and 24, the whole file at once
 * needs more than 96 MB on both.
 */
export const HEAP_MB = 64;

let ingest: Ingest;
let host: Host;
let t: TestDb;
let refFile: string;
let monthFile: string;
let report: IngestReport | undefined;
let failure: unknown;

beforeAll(async () => {
  ({ ingest, host } = await importIngest(HEAP_MB));
  t = await freshDb(host);
  monthFile = await monthParquet(MONTH, t.dir);
  refFile = await referenceDb([MONTH]);
  reference();
  try {
    report = await ingest(t.appDb, monthFile);
  } catch (error) {
    failure = error;
  }
}, 120_000);
afterAll(async () => {
  if (host) await cleanup(host);
  await host?.close();
});

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));
const ingested = () => {
  if (failure !== undefined) throw new Error(`ingest(db, 'flights-${MONTH}.parquet') should resolve; it threw: ${reason(failure)}`);
};
let referenceFacts: { n: number; last: string } | undefined;
/** The reference's row count and last day, read once (a count over 500,000 rows is slow on a loaded machine). */
const reference = () => (referenceFacts ??= readReference());
const readReference = () => {
  const ref = new Database(refFile, { readonly: true });
  try {
    return { n: count(ref, 'flights'), last: (ref.prepare('SELECT max(flight_date) AS d FROM flights').get() as { d: string }).d };
  } finally {
    ref.close();
  }
};

describe(`a full hidden month (flights-${MONTH}.parquet)`, () => {
  test('the report counts every row as loaded and the watermark is the last day of the month', () => {
    ingested();
    const { n, last } = reference();
    expect(report, `ingest() of a clean month of ${n} rows into an empty database`).toEqual({ rows: n, loaded: n, quarantined: 0, skipped: 0, watermark: last });
  });

  test('flights holds exactly the flights of the file, converted as the README says', () => {
    ingested();
    const { n } = reference();
    expect(count(t.db, 'flights'), 'rows in flights').toBe(n);
    t.db.prepare('ATTACH DATABASE ? AS ref').run(refFile);
    try {
      const columns = 'flight_date, dep_minute, origin, destination, distance, delay';
      // As multisets (a flight may appear twice in real data): every (row, count) of yours is one of the reference's.
      const extra = t.db
        .prepare(`SELECT ${columns}, count(*) AS copies FROM main.flights GROUP BY ${columns} EXCEPT SELECT ${columns}, count(*) FROM ref.flights GROUP BY ${columns} LIMIT 3`)
        .all();
      if (extra.length) {
        const missing = t.db
          .prepare(`SELECT ${columns}, count(*) AS copies FROM ref.flights GROUP BY ${columns} EXCEPT SELECT ${columns}, count(*) FROM main.flights GROUP BY ${columns} LIMIT 3`)
          .all();
        expect({ inYourTableButNotTheFile: extra, inTheFileButNotYourTable: missing }, 'rows of flights that differ from the file (up to 3 each way)').toEqual({
          inYourTableButNotTheFile: [],
          inTheFileButNotYourTable: [],
        });
      }
    } finally {
      t.db.exec('DETACH DATABASE ref');
    }
    const types = t.db
      .prepare('SELECT DISTINCT typeof(id) AS id, typeof(flight_date) AS flight_date, typeof(dep_minute) AS dep_minute, typeof(origin) AS origin, typeof(destination) AS destination, typeof(distance) AS distance, typeof(delay) AS delay FROM flights')
      .all();
    expect(types, 'SQLite storage classes of the columns of flights').toEqual([
      { id: 'integer', flight_date: 'text', dep_minute: 'integer', origin: 'text', destination: 'text', distance: 'integer', delay: 'integer' },
    ]);
  });

  test('the tables have the columns the README declares', () => {
    ingested();
    const info = (table: string) =>
      (t.db.prepare(`PRAGMA table_info(${table})`).all() as { name: string; type: string; notnull: number; pk: number }[]).map((c) => ({
        name: c.name,
        type: c.type.toUpperCase(),
        notnull: c.notnull === 1 || c.pk > 0,
      }));
    const col = (name: string, type: string, notnull = true) => ({ name, type, notnull });
    // The declared columns, in any order; columns of your own may come beside them.
    const flights = info('flights');
    for (const c of [
      col('id', 'INTEGER'),
      col('flight_date', 'TEXT'),
      col('dep_minute', 'INTEGER'),
      col('origin', 'TEXT'),
      col('destination', 'TEXT'),
      col('distance', 'INTEGER'),
      col('delay', 'INTEGER'),
    ]) {
      expect(flights.find((f) => f.name === c.name), `flights.${c.name} (PRAGMA table_info(flights)): name, declared type, NOT NULL`).toEqual(c);
    }
    const idPk = (t.db.prepare('PRAGMA table_info(flights)').all() as { name: string; pk: number }[]).find((c) => c.name === 'id')?.pk;
    expect(idPk, 'flights.id is the INTEGER PRIMARY KEY').toBe(1);
    const quarantine = info('quarantine');
    for (const c of [col('file', 'TEXT'), col('row_index', 'INTEGER'), col('flight_date', 'TEXT', false), col('reason', 'TEXT')]) {
      expect(quarantine.find((q) => q.name === c.name), `quarantine.${c.name} (PRAGMA table_info(quarantine))`).toEqual(c);
    }
    expect(info('watermark').find((c) => c.name === 'last_day'), 'watermark.last_day (PRAGMA table_info(watermark))').toEqual(col('last_day', 'TEXT'));
    expect(watermarkRows(t.db), 'the rows of watermark after the month: one, its last day').toEqual([{ last_day: reference().last }]);
  });

  test(`memory stays bounded: the month is ingested with the host's heap capped at ${HEAP_MB} MB`, () => {
    if (failure !== undefined && /out of memory/.test(reason(failure))) {
      throw new Error(
        `ingest(db, 'flights-${MONTH}.parquet') ran out of memory in a host started with --max-old-space-size=${HEAP_MB}: ` +
          'read the file one row group at a time and let each go before you read the next (README, "Memory")',
      );
    }
    ingested();
  });
});
