// Shared by the hidden tests: a read-only handle on flights-200k.db that counts the rows the app reads
// (and whether its iterators were closed), and a raw HTTP client that can pause or hang up mid-stream.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type ClientRequest, type IncomingMessage, type RequestListener } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { fixturePath } from '@kata/harness';

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

export interface ReadStats {
  /** Rows handed to the app by all(), get() and iterators, in total. */
  rows: number;
  iterators: IteratorState[];
}

/** Wraps a Database so that every row the app reads through it is counted. */
export function countingDb(db: Database.Database): { db: Database.Database; stats: ReadStats } {
  const stats: ReadStats = { rows: 0, iterators: [] };
  const wrapIterator = (it: IterableIterator<unknown>, sql: string): IterableIterator<unknown> => {
    const state: IteratorState = { sql, read: 0, done: false, closed: false };
    stats.iterators.push(state);
    const wrapped: IterableIterator<unknown> = {
      next() {
        const result = it.next();
        if (result.done) state.done = true;
        else {
          state.read++;
          stats.rows++;
        }
        return result;
      },
      return(value?: unknown) {
        state.closed = true;
        return it.return ? it.return(value) : { done: true, value };
      },
      [Symbol.iterator]() {
        return wrapped;
      },
    };
    return wrapped;
  };
  const wrapStatement = (stmt: Database.Statement, sql: string): Database.Statement => {
    const proxy: Database.Statement = new Proxy(stmt, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const result = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (result === target) return proxy;
          if (prop === 'iterate') return wrapIterator(result as IterableIterator<unknown>, sql);
          if (prop === 'all') stats.rows += (result as unknown[]).length;
          if (prop === 'get' && result !== undefined) stats.rows += 1;
          return result;
        };
      },
    });
    return proxy;
  };
  const proxy = new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') return (sql: string) => wrapStatement(target.prepare(sql), sql);
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { db: proxy, stats };
}

/**
 * Waits until `value()` has not changed for 5 polls in a row (at most ~3 s): lets the server run until
 * it is blocked on a full socket or has stopped. The assertions that follow are on counts, not time.
 */
export async function settle(value: () => number): Promise<void> {
  let last = value();
  let still = 0;
  for (let i = 0; i < 300 && still < 5; i++) {
    await new Promise((ok) => setTimeout(ok, 10));
    const now = value();
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

export interface LocalServer {
  socketPath: string;
  close(): Promise<void>;
}

/**
 * Serves the app over HTTP on a local (Unix domain) socket rather than TCP. Loopback TCP buffers grow
 * to megabytes, enough to swallow a third of this export before a paused client pushes back; a local
 * socket buffers a few hundred kilobytes, so "the server stopped reading rows" shows in the counts.
 */
export async function listenLocal(app: RequestListener): Promise<LocalServer> {
  const dir = process.platform === 'win32' ? '' : mkdtempSync(join(tmpdir(), 'kata-export-'));
  const socketPath =
    process.platform === 'win32' ? `\\\\.\\pipe\\kata-export-${process.pid}-${Date.now()}` : join(dir, 'http.sock');
  const server = createServer(app);
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(socketPath, () => ok());
  });
  return {
    socketPath,
    close: () =>
      new Promise<void>((ok) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          if (dir) rmSync(dir, { recursive: true, force: true });
          ok();
        });
      }),
  };
}

/** GET `path` on a local server with node:http, keeping control of the socket: the body is not read until asked. */
export function openStream(server: LocalServer, path: string): Promise<OpenStream> {
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
