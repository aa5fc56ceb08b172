// Shared by the hidden tests: the learner's app in a solution host over a read-only handle on
// flights-200k.db that counts the rows the app reads (and whether its iterators were closed), and a raw
// HTTP client that can pause or hang up mid-stream.
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { fixturePath, loadSolution, type Host, type Remote } from '@kata/harness';

export interface Flight {
  id: number;
  delay: number;
  distance: number;
  time: number;
}

export function openFixture(): Database.Database {
  return new Database(fixturePath('flights-200k.db'), { readonly: true, fileMustExist: true });
}

export interface IteratorState {
  sql: string;
  read: number;
  done: boolean;
  closed: boolean;
}

/** The learner's app, served by a fresh solution host over a read-only handle on flights-200k.db. */
export interface Started {
  /** The module's exports, remote (calls are async). */
  module: Remote;
  host: Host;
  /** Real HTTP on 127.0.0.1 (through the harness's proxy). */
  url: string;
  /** The host's own Unix domain socket: for the raw client that pauses or hangs up (see openStream). */
  socketPath: string;
  /** Rows handed to the app by all(), get() and iterators, in total, so far. */
  rows(): Promise<number>;
  /** Every iterator the app opened through its handle, in order, with how far it got. */
  iterators(): Promise<IteratorState[]>;
  close(): Promise<void>;
}

/**
 * Starts the learner's createApp in a fresh solution host over a read-only handle on flights-200k.db
 * that counts every row the app reads (and whether its iterators were closed): the host's db-probe.
 */
export async function startApp(): Promise<Started> {
  const { module, host } = await loadSolution('src/app.ts');
  try {
    if (typeof (await module.createApp.$get()) !== 'function') throw new Error('src/app.ts must export a function createApp(db)');
    const db = await host.openDb(fixturePath('flights-200k.db'), { readonly: true });
    const probe = await host.instrument('db-probe', db);
    const server = await host.serve(module.createApp(probe.db));
    return {
      module,
      host,
      url: server.url,
      socketPath: server.socketPath,
      rows: async () => (await probe.rows.$get()) as number,
      iterators: async () => (await probe.iterators.$get()) as IteratorState[],
      close: async () => {
        await server.close();
        await host.close();
      },
    };
  } catch (error) {
    await host.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Waits until `value()` has not changed for 5 polls in a row (at most ~3 s): lets the server run until
 * it is blocked on a full socket or has stopped. The assertions that follow are on counts, not time.
 */
export async function settle(value: () => number | Promise<number>): Promise<void> {
  let last = await value();
  let still = 0;
  for (let i = 0; i < 300 && still < 5; i++) {
    await new Promise((ok) => setTimeout(ok, 10));
    const now = await value();
    still = now === last ? still + 1 : 0;
    last = now;
  }
}

export interface OpenStream {
  req: ClientRequest;
  res: IncomingMessage;
  /** Bytes received so far. */
  received: Buffer[];
  text(): string;
  /** Resolves with the first chunk of the body. */
  firstChunk: Promise<Buffer>;
  /** Resumes reading and resolves with the whole body once the response ends. */
  readToEnd(): Promise<string>;
}

/**
 * GET `path` over the host's own socket with node:http, keeping control of the socket: the body is not read
 * until asked. A local (Unix domain) socket rather than TCP: loopback TCP buffers grow to megabytes, enough
 * to swallow a third of this export before a paused client pushes back; a local socket buffers a few hundred
 * kilobytes, so "the server stopped reading rows" shows in the counts.
 */
export function openStream(server: { socketPath: string }, path: string): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: server.socketPath, path, agent: false });
    req.on('error', (err) => reject(new Error(`GET ${path} failed before an answer arrived: ${err.message} (did the app close the connection, e.g. by throwing after the headers were sent?)`)));
    req.on('response', (res) => {
      const received: Buffer[] = [];
      let ended = false;
      const endWaiters: (() => void)[] = [];
      res.on('end', () => {
        ended = true;
        for (const w of endWaiters) w();
      });
      const firstChunk = new Promise<Buffer>((ok, fail) => {
        res.once('data', (chunk: Buffer) => {
          res.pause();
          ok(chunk);
        });
        res.once('end', () => fail(new Error('the response ended without a body')));
        res.once('error', fail);
      });
      res.on('data', (chunk: Buffer) => received.push(chunk));
      firstChunk.catch(() => undefined);
      resolve({
        req,
        res,
        received,
        text: () => Buffer.concat(received).toString('utf8'),
        firstChunk,
        readToEnd: () =>
          new Promise<string>((ok, fail) => {
            res.once('error', fail);
            req.once('error', fail);
            const done = () => ok(Buffer.concat(received).toString('utf8'));
            if (ended) done();
            else endWaiters.push(done);
            res.resume();
          }),
      });
    });
    req.end();
  });
}

/** Plain GET returning status, headers and the whole body. */
export async function fetchText(url: string): Promise<{ status: number; type: string; disposition: string; body: string }> {
  const path = new URL(url).pathname + new URL(url).search;
  try {
    const res = await fetch(url);
    return {
      status: res.status,
      type: res.headers.get('content-type') ?? '',
      disposition: res.headers.get('content-disposition') ?? '',
      body: await res.text(),
    };
  } catch (error) {
    const err = error as Error & { cause?: { message?: string } };
    const cause = err.cause?.message ? ` (${err.cause.message})` : '';
    throw new Error(`GET ${path} failed: ${err.message}${cause}; the app closed the connection without a complete answer (an error thrown after the headers were sent?)`);
  }
}

/** The expected CSV of `rows`, written independently of the learner's csvLine. */
export function expectedCsv(rows: Flight[]): string {
  return ['id,delay,distance,time\r\n', ...rows.map((r) => `${r.id},${r.delay},${r.distance},${r.time}\r\n`)].join('');
}

export function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Compares an NDJSON body with the expected rows, line by line; returns a message for the first difference. */
export function ndjsonDifference(body: string, rows: Flight[], what: string): string | null {
  if (rows.length === 0) return body === '' ? null : `${what} should have an empty body (no rows match), got ${JSON.stringify(body.slice(0, 80))}`;
  if (!body.endsWith('\n')) return `${what}: every line, the last one too, should end with "\\n"`;
  const lines = body.slice(0, -1).split('\n');
  for (let i = 0; i < Math.max(lines.length, rows.length); i++) {
    if (i >= lines.length) return `${what}: expected ${rows.length} lines, got ${lines.length} (the body stops after id ${rows[i - 1]?.id})`;
    if (i >= rows.length) return `${what}: expected ${rows.length} lines, got ${lines.length} (line ${i + 1}: ${lines[i].slice(0, 80)})`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(lines[i]);
    } catch {
      return `${what}: line ${i + 1} is not JSON: ${JSON.stringify(lines[i].slice(0, 80))}`;
    }
    const want = rows[i];
    const got = parsed as Record<string, unknown>;
    const same =
      got !== null && typeof got === 'object' && Object.keys(got).length === 4 &&
      got.id === want.id && got.delay === want.delay && got.distance === want.distance && got.time === want.time;
    if (!same) return `${what}: line ${i + 1} should be ${JSON.stringify(want)}, got ${lines[i].slice(0, 120)}`;
  }
  return null;
}

/** Compares a CSV body with the expected text; returns a message for the first differing line. */
export function csvDifference(body: string, expected: string, what: string): string | null {
  if (body === expected) return null;
  const got = body.split('\r\n');
  const want = expected.split('\r\n');
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    if (got[i] !== want[i]) {
      const show = (s: string | undefined) => (s === undefined ? '(end of body)' : JSON.stringify(s.slice(0, 100)));
      return `${what}: line ${i + 1} (split on \\r\\n) should be ${show(want[i])}, got ${show(got[i])} (expected ${want.length - 2} data rows, got ${Math.max(0, got.length - 2)})`;
    }
  }
  return `${what}: the body differs from the expected CSV`;
}

/** Fails with the difference found by ndjsonDifference / csvDifference, in full. */
export function expectSame(problem: string | null): void {
  if (problem !== null) expect.fail(problem);
}
