// Example tests for stage 1: run them with `kata test`. The hidden suite checks much more, on months and
// files you do not have (stages/1-ingest.md, "How it is graded").
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { fixturePath } from '@kata/harness';
import { ingest } from '../src/ingest';

describe('ingest flights-2001-01.parquet', () => {
  test('a clean month loads every row, and a re-run skips them all', async () => {
    const db = new Database(':memory:');
    const file = fixturePath('flights-2001-01.parquet');
    expect(await ingest(db, file), 'the first ingest of January').toEqual({
      rows: 508239,
      loaded: 508239,
      quarantined: 0,
      skipped: 0,
      watermark: '2001-01-31',
    });
    const first = db.prepare('SELECT flight_date, dep_minute, origin, destination, distance, delay FROM flights ORDER BY id LIMIT 1').get();
    expect(first, 'the first flight of the file').toEqual({ flight_date: '2001-01-01', dep_minute: 1, origin: 'LAS', destination: 'PHL', distance: 2176, delay: 33 });
    expect(await ingest(db, file), 'the second ingest of the same file').toEqual({
      rows: 508239,
      loaded: 0,
      quarantined: 0,
      skipped: 508239,
      watermark: '2001-01-31',
    });
    expect(db.prepare('SELECT count(*) AS n FROM flights').get(), 'rows in flights after both').toEqual({ n: 508239 });
  }, 60_000);
});

describe('ingest flights-damaged.parquet', () => {
  interface Damage {
    row: number;
    kind: string;
    reason: string;
  }
  const log = JSON.parse(readFileSync(fixturePath('flights-damaged.log.json'), 'utf8')) as Damage[];

  test('each damaged row is quarantined with its reason, the others are loaded', async () => {
    const db = new Database(':memory:');
    const report = await ingest(db, fixturePath('flights-damaged.parquet'));
    expect(report, 'the report').toEqual({ rows: 6000, loaded: 6000 - log.length, quarantined: log.length, skipped: 0, watermark: '2001-03-02' });
    const stored = db.prepare('SELECT row_index AS row, reason FROM quarantine WHERE file = ? ORDER BY row_index').all('flights-damaged.parquet');
    expect(stored, 'quarantine (row_index, reason), in row order').toEqual(log.map(({ row, reason }) => ({ row, reason })));
  });

  test('a row without a date is kept with flight_date NULL, the others with their day', async () => {
    const db = new Database(':memory:');
    await ingest(db, fixturePath('flights-damaged.parquet'));
    const noDate = log.find((d) => d.kind === 'date-null')!;
    const lowercase = log.find((d) => d.kind === 'origin-lowercase')!;
    const day = (row: number) => db.prepare('SELECT flight_date FROM quarantine WHERE row_index = ?').get(row);
    expect(day(noDate.row), `quarantine row ${noDate.row} (no date)`).toEqual({ flight_date: null });
    expect(day(lowercase.row), `quarantine row ${lowercase.row} (a lowercase origin on the first day)`).toEqual({ flight_date: lowercase.row < 3000 ? '2001-03-01' : '2001-03-02' });
  });
});
