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

/** At most this many rows may be read ahead of a client that is not reading (10% of the table). */
const READ_AHEAD = 20_000;
const TOTAL = 200_000;

let server: Started;
let ref: Database.Database;

beforeAll(async () => {
  ref = openFixture();
  server = await startApp();
});

afterAll(async () => {
  // Lets the app finish what it was doing; closing the host closes its handle (a leaked iterator included:
  // the tests above already said so).
  if (server?.host.running) await settle(() => server.rows());
  await server?.close();
  ref?.close();
});

function rows(min: number | null = null, max: number | null = null): Flight[] {
  return ref
    .prepare('SELECT id, delay, distance, time FROM flights WHERE (@min IS NULL OR delay >= @min) AND (@max IS NULL OR delay <= @max) ORDER BY id')
    .all({ min, max }) as Flight[];
}

/** Iterators opened since `from` (an index into server.iterators()) that are neither finished nor closed. */
async function expectNoOpenIterator(message: string, from: number): Promise<void> {
  const open = (await server.iterators()).slice(from).filter((it) => !it.done && !it.closed);
  const first = open[0];
  const example = first ? `; the first: "${first.sql.replace(/\s+/g, ' ').trim().slice(0, 120)}" after ${first.read} rows` : '';
  expect(open.length, `${message}; ${open.length} still open${example}`).toBe(0);
}

describe.each(['ndjson', 'csv'])('GET /export.%s', (format) => {
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
        `a streaming export writes rows as it reads them (stmt.iterate(), res.write) — at most ${READ_AHEAD} rows ahead`,
    ).toBeLessThanOrEqual(READ_AHEAD);
  });

  test('a client that stops reading makes the server stop reading rows (backpressure), and the stream resumes intact', async () => {
    const start = await server.rows();
    const stream = await openStream(server, `/export.${format}`);
    await stream.firstChunk;
    await settle(() => server.rows());
    const read = (await server.rows()) - start;
    const delivered = countLines(stream.text());
    expect(
      read - delivered,
      `GET /export.${format} with a paused client: your app read ${read} rows while the client had received ${delivered} lines; ` +
        `it should wait for 'drain' when res.write() returns false (at most ${READ_AHEAD} rows ahead)`,
    ).toBeLessThanOrEqual(READ_AHEAD);
    const body = await stream.readToEnd();
    const all = rows();
    const problem = format === 'csv' ? csvDifference(body, expectedCsv(all), `GET /export.csv after a pause`) : ndjsonDifference(body, all, `GET /export.ndjson after a pause`);
    expectSame(problem);
    expect((await server.rows()) - start, `GET /export.${format} should read each row once`).toBe(TOTAL);
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
  const big = await openStream(server, '/export.ndjson');
  await big.firstChunk;
  await settle(() => server.rows());
  const small = await openStream(server, '/export.ndjson?min_delay=200&max_delay=400');
  expect(small.res.statusCode, 'a second export while the first is still streaming should answer 200').toBe(200);
  expectSame(ndjsonDifference(await small.readToEnd(), rows(200, 400), 'the second export (min_delay=200&max_delay=400), while the first was paused'));
  expectSame(ndjsonDifference(await big.readToEnd(), rows(), 'the first export (all rows), finished after the second'));
  await expectNoOpenIterator('once both exports ended, no iterator they used should be left open', iterators);
});
