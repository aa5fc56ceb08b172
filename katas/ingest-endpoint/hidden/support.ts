// Shared by the hidden ingest-endpoint tests: a fresh database per test, the learner's app (in a solution
// host) over real HTTP, real flights from vega-datasets, and what `flights` should hold, computed from the
// payloads.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { loadSolution, vegaDataPath, type Host, type Remote, type ServedApp } from '@kata/harness';

export type Db = Database.Database;

export interface RawFlight {
  date: string;
  delay: number;
  distance: number;
  origin: string;
  destination: string;
}

export const flights2k = JSON.parse(readFileSync(vegaDataPath('flights-2k.json'), 'utf8')) as RawFlight[];
export const flights5k = JSON.parse(readFileSync(vegaDataPath('flights-5k.json'), 'utf8')) as RawFlight[];

/** A stored row as the README defines it, from a payload record. */
export const stored = (f: RawFlight) => ({
  departed_at: f.date.replace(/\//g, '-'),
  origin: f.origin,
  destination: f.destination,
  delay: f.delay,
  distance: f.distance,
});
const byKey = (a: ReturnType<typeof stored>, b: ReturnType<typeof stored>) =>
  a.departed_at.localeCompare(b.departed_at) || a.origin.localeCompare(b.origin) || a.destination.localeCompare(b.destination);
export const expectedRows = (records: RawFlight[]) => records.map(stored).sort(byKey);

export const rowsIn = (db: Db) =>
  db.prepare('SELECT departed_at, origin, destination, delay, distance FROM flights ORDER BY departed_at, origin, destination').all();
export const countIn = (db: Db) => (db.prepare('SELECT count(*) AS n FROM flights').get() as { n: number }).n;

/** The solution host of this test file: src/app.ts loaded once, as a module is; a restart replaces it. */
let current: { host: Host; module: Remote } | undefined;
async function loadApp(): Promise<{ host: Host; module: Remote }> {
  const { host, module } = await loadSolution('src/app.ts');
  try {
    if (typeof (await module.createApp.$get()) !== 'function') throw new Error('src/app.ts must export a function createApp(db)');
  } catch (error) {
    await host.close().catch(() => undefined);
    throw error;
  }
  return { host, module };
}
async function solution(): Promise<{ host: Host; module: Remote }> {
  current ??= await loadApp();
  return current;
}
/** Ends the file's solution host: in afterAll. */
export async function closeHost(): Promise<void> {
  const ending = current;
  current = undefined;
  await ending?.host.close();
}

export interface Env {
  /** The judge's own connection to the test database: what the checks read. */
  db: Db;
  server: ServedApp;
  /**
   * Restarts the app as a new process would: the server closes, the database is reopened, and
   * src/app.ts is loaded afresh in a new solution host, so nothing the app kept in memory (even at
   * module level) survives.
   */
  restart(): Promise<void>;
  close(): Promise<void>;
}

const DB_FILES = ['', '-wal', '-journal'];

/** A fresh database file in the host's temporary folder, optionally prepared, and the learner's app over it. */
export async function start(prepare?: (db: Db) => void): Promise<Env> {
  let { host, module } = await solution();
  let dir = mkdtempSync(join(host.tempDir, 'kata-ingest-'));
  let file = join(dir, 'flights.db');
  const open = () => {
    const handle = new Database(file);
    handle.pragma('synchronous = OFF');
    return handle;
  };
  /** The host's own handle on the file, given to createApp, and the app served over it. */
  const serve = async (): Promise<{ appDb: Remote; server: ServedApp }> => {
    const appDb = await host.openDb(file);
    await appDb.pragma('synchronous = OFF');
    return { appDb, server: await host.serve(module.createApp(appDb)) };
  };
  const db = open();
  prepare?.(db);
  let { appDb, server } = await serve();
  const closeApp = async () => {
    await env.server.close();
    if (host.running) await appDb.close();
    env.db.close();
  };
  const env: Env = {
    db,
    server,
    async restart() {
      await closeApp();
      // The database outlives the process: keep its files while the old host (and its temp folder) goes.
      const keep = mkdtempSync(join(tmpdir(), 'kata-ingest-restart-'));
      for (const suffix of DB_FILES) if (existsSync(file + suffix)) copyFileSync(file + suffix, join(keep, basename(file) + suffix));
      rmSync(dir, { recursive: true, force: true });
      if (current?.host === host) current = undefined;
      await host.close();
      ({ host, module } = await solution());
      dir = mkdtempSync(join(host.tempDir, 'kata-ingest-'));
      file = join(dir, 'flights.db');
      for (const suffix of DB_FILES) if (existsSync(join(keep, basename(file) + suffix))) copyFileSync(join(keep, basename(file) + suffix), file + suffix);
      rmSync(keep, { recursive: true, force: true });
      env.db = open();
      ({ appDb, server: env.server } = await serve());
    },
    async close() {
      await closeApp();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return env;
}

export interface Reply {
  status: number;
  contentType: string;
  body: any;
}

/**
 * A request over a fresh connection; `body` is sent as is when it is a string, else as JSON, and nothing
 * when it is undefined. Headers are added to `Content-Type: application/json` and the body's
 * `Content-Length` (both left out without a body); a header given as null is left out.
 */
export function send(
  server: { url: string },
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string | null> = {},
): Promise<Reply> {
  const payload = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const what = `${method} ${path}`;
  // No body at all (undefined): no Content-Type and no Content-Length either.
  const all: Record<string, string | number | null> =
    body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
  for (const [name, value] of Object.entries(headers)) {
    for (const existing of Object.keys(all)) if (existing.toLowerCase() === name.toLowerCase()) delete all[existing];
    all[name] = value;
  }
  const sent = Object.fromEntries(Object.entries(all).filter(([, value]) => value !== null)) as Record<string, string | number>;
  return new Promise((resolve, reject) => {
    const req = request(server.url + path, { method, agent: false, headers: sent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // left as text: the assertions show it
        }
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: parsed });
      });
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`${what} got no answer within 10 s: does every path send a response?`)));
    // A server may answer (413) before it has read the whole body and close the socket: the answer counts.
    req.on('error', (err) => reject(new Error(`${what} failed: ${err.message}`)));
    req.end(payload);
  });
}

/** Fails unless `r` carries the README's error shape with a message: `error.message` a non-empty string. */
export function expectMessage(r: Reply, what: string): void {
  const message: unknown = r.body?.error?.message;
  expect(typeof message === 'string' && message.length > 0, `${what} answered ${show(r)}: error.message should be a non-empty string (any text for humans)`).toBe(true);
}

/** POST /flights/batch over a fresh connection (see `send`). */
export const post = (server: { url: string }, body: unknown, headers: Record<string, string | null> = {}) =>
  send(server, 'POST', '/flights/batch', body, headers);

/** A short description of a reply for assertion messages. */
export const show = (r: Reply) => `${r.status} ${JSON.stringify(r.body).slice(0, 300)}`;
