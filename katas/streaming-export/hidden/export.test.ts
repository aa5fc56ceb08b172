// Hidden suite, part 1: what the exports contain — every row, in id order, in exactly the documented
// format — plus filters, validation and csvLine's quoting. The app runs in a solution host, over HTTP.
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { csvDifference, expectedCsv, expectSame, fetchText, ndjsonDifference, openFixture, startApp, type Flight, type Started } from './support';

let server: Started;
let ref: Database.Database;

beforeAll(async () => {
  ref = openFixture();
  all = ref.prepare('SELECT id, delay, distance, time FROM flights ORDER BY id').all() as Flight[];
  server = await startApp();
});

afterAll(async () => {
  // Closing the host also closes the app's handle (an iterator left open included; the streaming tests report it).
  await server?.close();
  ref?.close();
});

/** Every flight in id order, read once before any request (no judge work between kept-alive requests). */
let all: Flight[];

function expectedRows(min: number | null, max: number | null): Flight[] {
  return all.filter((r) => (min === null || r.delay >= min) && (max === null || r.delay <= max));
}

// The whole table is downloaded (and compared) by the streaming tests, over the host's local socket;
// these download large filtered parts of it over TCP, which keeps the run short.
describe('GET /export.ndjson', () => {
  test('streams the flights in id order, one JSON object per line, as application/x-ndjson, as a download', async () => {
    const path = '/export.ndjson?max_delay=-10';
    const res = await fetchText(`${server.url}${path}`);
    expect(res.status, `GET ${path} should answer 200`).toBe(200);
    expect(res.type, `GET ${path} should be sent as Content-Type: application/x-ndjson (a charset parameter may follow), got ${JSON.stringify(res.type)}`).toMatch(
      /^application\/x-ndjson\s*(;.*)?$/i,
    );
    expect(res.disposition, `GET ${path} should be a download: Content-Disposition: attachment; filename="flights.ndjson", got ${JSON.stringify(res.disposition)}`).toMatch(
      /^attachment;\s*filename=("flights\.ndjson"|flights\.ndjson)$/,
    );
    expectSame(ndjsonDifference(res.body, expectedRows(null, -10), `GET ${path}`));
  });

  test('min_delay and max_delay filter inclusively, alone or together, zero included', async () => {
    const cases = [['min_delay=0&max_delay=0', 0, 0], ['max_delay=-40', null, -40], ['min_delay=300', 300, null]] as const;
    for (const [query, min, max] of cases) {
      const res = await fetchText(`${server.url}/export.ndjson?${query}`);
      expect(res.status, `GET /export.ndjson?${query} should answer 200`).toBe(200);
      expectSame(ndjsonDifference(res.body, expectedRows(min, max), `GET /export.ndjson?${query}`));
    }
  });

  test('no matching row (min_delay above max_delay is not an error): 200 with an empty body', async () => {
    for (const query of ['min_delay=100&max_delay=99', 'min_delay=2000']) {
      const res = await fetchText(`${server.url}/export.ndjson?${query}`);
      expect(res.status, `GET /export.ndjson?${query} should answer 200, got ${res.status}`).toBe(200);
      expect(res.body, `GET /export.ndjson?${query} matches no flight: the body should be empty`).toBe('');
    }
  });
});

describe('GET /export.csv', () => {
  test('streams a header and the flights in id order, CRLF line endings, as text/csv, as a download', async () => {
    const path = '/export.csv?min_delay=30';
    const res = await fetchText(`${server.url}${path}`);
    expect(res.status, `GET ${path} should answer 200`).toBe(200);
    expect(res.type.replace(/\s+/g, '').toLowerCase(), `GET ${path} should be sent as Content-Type: text/csv; charset=utf-8, got ${JSON.stringify(res.type)}`).toBe('text/csv;charset=utf-8');
    expect(res.disposition, `GET ${path} should be a download: Content-Disposition: attachment; filename="flights.csv", got ${JSON.stringify(res.disposition)}`).toMatch(
      /^attachment;\s*filename=("flights\.csv"|flights\.csv)$/,
    );
    expectSame(csvDifference(res.body, expectedCsv(expectedRows(30, null)), `GET ${path}`));
  });

  test('filters apply to CSV too, and no matching row leaves just the header', async () => {
    const filtered = await fetchText(`${server.url}/export.csv?min_delay=-5&max_delay=-1`);
    expectSame(csvDifference(filtered.body, expectedCsv(expectedRows(-5, -1)), 'GET /export.csv?min_delay=-5&max_delay=-1'));
    for (const query of ['min_delay=2000', 'min_delay=5&max_delay=-5']) {
      const empty = await fetchText(`${server.url}/export.csv?${query}`);
      expect(empty.status, `GET /export.csv?${query} should answer 200, got ${empty.status}`).toBe(200);
      expect(empty.body, `GET /export.csv?${query} matches no flight: the body should be the header line alone`).toBe('id,delay,distance,time\r\n');
    }
  });
});

test('a filter that is not an integer, is empty or is given twice is rejected with 400 { error } before anything is streamed', async () => {
  const paths = [
    '/export.ndjson?min_delay=abc', '/export.csv?max_delay=1.5', '/export.csv?min_delay=10x', '/export.ndjson?max_delay=1e3',
    '/export.ndjson?min_delay=', '/export.csv?max_delay=', '/export.ndjson?min_delay=%205', '/export.csv?max_delay=%2B5',
    '/export.ndjson?min_delay=0x10', '/export.csv?min_delay=5&min_delay=6', '/export.ndjson?max_delay=5&max_delay=5',
  ];
  for (const path of paths) {
    const res = await fetchText(`${server.url}${path}`);
    expect(res.status, `GET ${path} should be rejected with 400 (a filter is an integer, given once: ASCII digits, optionally after a "-"), got ${res.status}`).toBe(400);
    let body: unknown;
    try {
      body = JSON.parse(res.body);
    } catch {
      body = res.body;
    }
    expect((body as { error?: unknown })?.error, `GET ${path}: the 400 body should be JSON { "error": "<message>" } (a non-empty string), got ${res.body.slice(0, 120)}`).toEqual(
      expect.stringMatching(/\S/),
    );
  }
});

test('csvLine quotes fields (RFC 4180) and ends records with CRLF', async () => {
  const cases: [(string | number | null | undefined)[], string][] = [
    [[1, -7, 2.25, 'plain'], '1,-7,2.25,plain\r\n'],
    [['Chicago, IL', 3], '"Chicago, IL",3\r\n'],
    [['say "hi"'], '"say ""hi"""\r\n'],
    [['two\nlines', 'cr\rhere'], '"two\nlines","cr\rhere"\r\n'],
    [[null, '', 0], ',,0\r\n'],
    [[undefined, 'x', undefined], ',x,\r\n'],
    [[' padded ', "O'Hare"], " padded ,O'Hare\r\n"],
  ];
  for (const [values, expected] of cases) {
    expect(await server.module.csvLine(values), `csvLine(${JSON.stringify(values)})`).toBe(expected);
  }
});
