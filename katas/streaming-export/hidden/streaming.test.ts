// Hidden suite, part 2: how the exports stream. The app runs in a solution host and gets a database
// handle there that counts the rows it reads (the host's db-probe); a raw HTTP client pauses or hangs up
// mid-stream. Everything is judged on row counts, never on time. The client talks to the host's own local
// socket (see openStream) so that kernel buffers stay small.
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  countLines, csvDifference, expectedCsv, expectSame, ndjsonDifference, openFixture, openStream, settle, startApp,
  type Flight, type Started,
} from './support';

/** At most this many rows may be read ahead of a client that is not reading (10% of the table, as the README says). */
const READ_AHEAD = 20_000;
const TOTAL = 200_000;

let server: Started;
let ref: Database.Database;

beforeAll(async () => {
  ref = openFixture();
  table = ref.prepare('SELECT id, delay, distance, time FROM flights ORDER BY id').all() as Flight[];
  server = await startApp();
});

afterAll(async () => {
  // Lets the app finish what it was doing; closing the host closes its handle (a leaked iterator included:
  // the tests above already said so).
  if (server?.host.running) await settle(() => server.rows());
  await server?.close();
  ref?.close();
});

/** Every flight in id order, read once before any request. */
let table: Flight[];

function rows(min: number | null = null, max: number | null = null): Flight[] {
  return table.filter((r) => (min === null || r.delay >= min) && (max === null || r.delay <= max));
}

/** Iterators opened since `from` (an index into server.iterators()) that are neither finished nor closed. */
async function expectNoOpenIterator(message: string, from: number): Promise<void> {
  const open = (await server.iterators()).slice(from).filter((it) => !it.done && !it.closed);
  const first = open[0];
  const example = first ? `; the first: "${first.sql.replace(/\s+/g, ' ').trim().slice(0, 120)}" after ${first.read} rows` : '';
  expect(open.length, `${message}; ${open.length} still open${example}`).toBe(0);
}

/**
 * What the backpressure test downloads: as NDJSON the 105,699 flights with delay <= 0, as CSV the 94,301
 * with delay >= 1 — between them every row of the table, each far more than a paused client may leave
 * unread — rather than the whole table twice, which keeps the run short for one write per row.
 */
const PAUSED = { csv: { query: '?min_delay=1', min: 1, max: null }, ndjson: { query: '?max_delay=0', min: null, max: 0 } } as const;

describe.each(['ndjson', 'csv'] as const)('GET /export.%s', (format) => {
  test('the first bytes arrive before the whole table is read', async () => {
    const start = await server.rows();
    const stream = await openStream(server, `/export.${format}`);
    expect(stream.res.statusCode, `GET /export.${format} should answer 200`).toBe(200);
    await stream.firstChunk;
    const readAtFirstByte = (await server.rows()) - start;
    stream.req.destroy();
    await settle(() => server.rows());
    expect(
      readAtFirstByte,
      `GET /export.${format}: when the first bytes reached the client, your app had read ${readAtFirstByte} of ${TOTAL} rows; ` +
        `a streaming export writes rows as it reads them (stmt.iterate(), res.write) — at most ${READ_AHEAD} rows (10% of the table) ahead`,
    ).toBeLessThanOrEqual(READ_AHEAD);
  });

  test('a client that stops reading makes the server stop reading rows (backpressure), and the stream resumes intact', async () => {
    const start = await server.rows();
    const { query, min, max } = PAUSED[format];
    const path = `/export.${format}${query}`;
    const stream = await openStream(server, path);
    await stream.firstChunk;
    await settle(() => server.rows());
    const read = (await server.rows()) - start;
    const delivered = countLines(stream.text());
    expect(
      read - delivered,
      `GET ${path} with a paused client: your app read ${read} rows while the client had received ${delivered} lines; ` +
        `it should wait for 'drain' when res.write() returns false: at most ${READ_AHEAD} rows (10% of the table) may be read ahead of what the client received, ` +
        `so buffer at most a few thousand rows per write`,
    ).toBeLessThanOrEqual(READ_AHEAD);
    const body = await stream.readToEnd();
    const all = rows(min, max);
    const problem = format === 'csv' ? csvDifference(body, expectedCsv(all), `GET ${path} after a pause`) : ndjsonDifference(body, all, `GET ${path} after a pause`);
    expectSame(problem);
    // Each row once: the matching rows if the query filters, at most the whole table if the code does.
    const readRows = (await server.rows()) - start;
    expect(
      readRows >= all.length && readRows <= TOTAL,
      `GET ${path} should read each row once: between ${all.length} (the matching rows) and ${TOTAL} (the whole table) rows, read ${readRows}`,
    ).toBe(true);
  });

  test('a client that hangs up mid-stream stops the query and closes its iterator', async () => {
    const start = await server.rows();
    const iterators = (await server.iterators()).length;
    const stream = await openStream(server, `/export.${format}`);
    await stream.firstChunk;
    await settle(() => server.rows());
    stream.req.destroy();
    await settle(() => server.rows());
    const read = (await server.rows()) - start;
    expect(
      read,
      `GET /export.${format}: the client hung up after the first chunk, yet your app went on to read ${read} rows; stop iterating when the response closes`,
    ).toBeLessThanOrEqual(READ_AHEAD);
    await expectNoOpenIterator(`GET /export.${format}: after the client hung up, every stmt.iterate() should be finished or closed (iterator.return(), or break out of for...of)`, iterators);
  });
});

test('hanging up at the very first chunk, without a pause, stops the query too', async () => {
  const start = await server.rows();
  const iterators = (await server.iterators()).length;
  const stream = await openStream(server, '/export.csv');
  await stream.firstChunk;
  stream.req.destroy();
  await settle(() => server.rows());
  expect((await server.rows()) - start, 'GET /export.csv: the client hung up at once, so the app should stop reading rows').toBeLessThanOrEqual(READ_AHEAD);
  await expectNoOpenIterator('GET /export.csv: after the client hung up, every iterator should be closed', iterators);
  const after = await openStream(server, '/export.ndjson?min_delay=500');
  expect(after.res.statusCode, 'an export right after a client hung up should still answer 200').toBe(200);
  expectSame(ndjsonDifference(await after.readToEnd(), rows(500, null), 'GET /export.ndjson?min_delay=500 after a hang-up'));
});

test('two exports at once both complete, each with its own rows', async () => {
  const iterators = (await server.iterators()).length;
  // 25,539 rows: far more than the socket buffers hold, so the first export is still mid-stream.
  const big = await openStream(server, '/export.ndjson?min_delay=30');
  await big.firstChunk;
  await settle(() => server.rows());
  const small = await openStream(server, '/export.ndjson?min_delay=200&max_delay=400');
  expect(small.res.statusCode, 'a second export while the first is still streaming should answer 200').toBe(200);
  expectSame(ndjsonDifference(await small.readToEnd(), rows(200, 400), 'the second export (min_delay=200&max_delay=400), while the first was paused'));
  // The same query again while the first is paused: a statement shared between requests would be busy.
  const same = await openStream(server, '/export.ndjson?min_delay=30');
  expect(same.res.statusCode, 'an export with the same filters as one still streaming should answer 200').toBe(200);
  expectSame(ndjsonDifference(await same.readToEnd(), rows(30, null), 'a second export with the same filters (min_delay=30), while the first was paused'));
  expectSame(ndjsonDifference(await big.readToEnd(), rows(30, null), 'the first export (min_delay=30), finished after the others'));
  await expectNoOpenIterator('once the exports ended, no iterator they used should be left open', iterators);
});

test('a client hanging up while other exports stream stops only its own export', async () => {
  const iterators = (await server.iterators()).length;
  // Three paused downloads, each far larger than the socket buffers; the middle one hangs up.
  const first = await openStream(server, '/export.csv?min_delay=30');
  await first.firstChunk;
  await settle(() => server.rows());
  const leaving = await openStream(server, '/export.ndjson?max_delay=0');
  await leaving.firstChunk;
  await settle(() => server.rows());
  const last = await openStream(server, '/export.ndjson?min_delay=30');
  await last.firstChunk;
  await settle(() => server.rows());
  const before = await server.rows();
  leaving.req.destroy();
  await settle(() => server.rows());
  const open = (await server.iterators()).slice(iterators).filter((it) => !it.done && !it.closed);
  expect(
    open.length,
    `three exports were paused mid-stream and the second client hung up: the other two iterators should still be open (2), got ${open.length}` +
      (open.length < 2 ? ' — a hang-up must close only its own export\'s iterator, not the latest or every one' : ''),
  ).toBe(2);
  expect((await server.rows()) - before, 'after the second client hung up, the app should not read on for it').toBeLessThanOrEqual(READ_AHEAD);
  expectSame(ndjsonDifference(await last.readToEnd(), rows(30, null), 'the third export (GET /export.ndjson?min_delay=30), after the second client hung up'));
  expectSame(csvDifference(await first.readToEnd(), expectedCsv(rows(30, null)), 'the first export (GET /export.csv?min_delay=30), after the second client hung up'));
  await expectNoOpenIterator('once the remaining exports ended, no iterator should be left open', iterators);
});
