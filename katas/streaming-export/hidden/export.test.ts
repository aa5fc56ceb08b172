// Hidden suite, part 1: what the exports contain — every row, in id order, in exactly the documented
// format — plus filters, validation and csvLine's quoting. The app runs in a solution host, over HTTP.
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { csvDifference, expectedCsv, expectSame, fetchText, ndjsonDifference, openFixture, startApp, type Flight, type Started } from './support';

let server: Started;
let ref: Database.Database;

beforeAll(async () => {
  ref = openFixture();
  server = await startApp();
});

afterAll(async () => {
  // Closing the host also closes the app's handle (an iterator left open included; the streaming tests report it).
  await server?.close();
  ref?.close();
});

function expectedRows(min: number | null, max: number | null): Flight[] {
  return ref
    .prepare(
      'SELECT id, delay, distance, time FROM flights WHERE (@min IS NULL OR delay >= @min) AND (@max IS NULL OR delay <= @max) ORDER BY id',
    )
    .all({ min, max }) as Flight[];
}

describe('GET /export.ndjson', () => {
  test('streams all 200,000 flights in id order, one JSON object per line, as application/x-ndjson', async () => {
    const res = await fetchText(`${server.url}/export.ndjson`);
    expect(res.status, 'GET /export.ndjson should answer 200').toBe(200);
    expect(res.type, 'GET /export.ndjson should be sent as Content-Type: application/x-ndjson').toMatch(/^application\/x-ndjson\b/);
    expect(res.disposition, 'GET /export.ndjson should be a download: Content-Disposition: attachment; filename="flights.ndjson"').toMatch(
      /^attachment;\s*filename="?flights\.ndjson"?$/,
    );
    expectSame(ndjsonDifference(res.body, expectedRows(null, null), 'GET /export.ndjson'));
  });

  test('min_delay and max_delay filter inclusively, alone or together', async () => {
    for (const [query, min, max] of [['min_delay=60&max_delay=120', 60, 120], ['max_delay=-10', null, -10], ['min_delay=300', 300, null]] as const) {
      const res = await fetchText(`${server.url}/export.ndjson?${query}`);
      expect(res.status, `GET /export.ndjson?${query} should answer 200`).toBe(200);
      expectSame(ndjsonDifference(res.body, expectedRows(min, max), `GET /export.ndjson?${query}`));
    }
  });

  test('no matching row: 200 with an empty body', async () => {
    const res = await fetchText(`${server.url}/export.ndjson?min_delay=100&max_delay=99`);
    expect(res.status, 'GET /export.ndjson?min_delay=100&max_delay=99 should answer 200').toBe(200);
    expect(res.body, 'GET /export.ndjson?min_delay=100&max_delay=99 matches no flight: the body should be empty').toBe('');
  });
});

describe('GET /export.csv', () => {
  test('streams a header and all 200,000 flights in id order, CRLF line endings, as text/csv', async () => {
    const res = await fetchText(`${server.url}/export.csv`);
    expect(res.status, 'GET /export.csv should answer 200').toBe(200);
    expect(res.type.replace(/\s+/g, '').toLowerCase(), 'GET /export.csv should be sent as Content-Type: text/csv; charset=utf-8').toBe('text/csv;charset=utf-8');
    expect(res.disposition, 'GET /export.csv should be a download: Content-Disposition: attachment; filename="flights.csv"').toMatch(
      /^attachment;\s*filename="?flights\.csv"?$/,
    );
    expectSame(csvDifference(res.body, expectedCsv(expectedRows(null, null)), 'GET /export.csv'));
  });

  test('filters apply to CSV too, and no matching row leaves just the header', async () => {
    const filtered = await fetchText(`${server.url}/export.csv?min_delay=-5&max_delay=5`);
    expectSame(csvDifference(filtered.body, expectedCsv(expectedRows(-5, 5)), 'GET /export.csv?min_delay=-5&max_delay=5'));
    const empty = await fetchText(`${server.url}/export.csv?min_delay=2000`);
    expect(empty.status, 'GET /export.csv?min_delay=2000 should answer 200').toBe(200);
    expect(empty.body, 'GET /export.csv?min_delay=2000 matches no flight: the body should be the header line alone').toBe('id,delay,distance,time\r\n');
  });
});

test('a filter that is not an integer is rejected with 400 { error } before anything is streamed', async () => {
  for (const path of ['/export.ndjson?min_delay=abc', '/export.csv?max_delay=1.5', '/export.csv?min_delay=10x', '/export.ndjson?max_delay=1e3']) {
    const res = await fetchText(`${server.url}${path}`);
    expect(res.status, `GET ${path} should be rejected with 400, got ${res.status}`).toBe(400);
    let body: unknown;
    try {
      body = JSON.parse(res.body);
    } catch {
      body = res.body;
    }
    expect(typeof (body as { error?: unknown })?.error, `GET ${path}: the 400 body should be JSON { error: string }, got ${res.body.slice(0, 120)}`).toBe('string');
  }
});

test('csvLine quotes fields (RFC 4180) and ends records with CRLF', async () => {
  const cases: [(string | number | null)[], string][] = [
    [[1, -7, 2.25, 'plain'], '1,-7,2.25,plain\r\n'],
    [['Chicago, IL', 3], '"Chicago, IL",3\r\n'],
    [['say "hi"'], '"say ""hi"""\r\n'],
    [['two\nlines', 'cr\rhere'], '"two\nlines","cr\rhere"\r\n'],
    [[null, '', 0], ',,0\r\n'],
    [[' padded ', "O'Hare"], " padded ,O'Hare\r\n"],
  ];
  for (const [values, expected] of cases) {
    expect(await server.module.csvLine(values), `csvLine(${JSON.stringify(values)})`).toBe(expected);
  }
});
