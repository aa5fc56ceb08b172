// Shared by the hidden ingest-endpoint tests: a fresh database per test, the learner's app over real
// HTTP, real flights from vega-datasets, and what `flights` should hold, computed from the payloads.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { vi } from 'vitest';
import { importSolution, listen, vegaDataPath, type Listening } from '@kata/harness';

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

type CreateApp = (db: Db) => import('node:http').RequestListener;
let createApp: CreateApp | undefined;
async function importCreateApp(): Promise<CreateApp> {
  const mod = await importSolution<{ createApp?: CreateApp }>('src/app.ts');
  if (typeof mod.createApp !== 'function') throw new Error('src/app.ts must export a function createApp(db)');
  return mod.createApp;
}
async function loadCreateApp(): Promise<CreateApp> {
  createApp ??= await importCreateApp();
  return createApp;
}

export interface Env {
  db: Db;
  server: Listening;
  /**
   * Restarts the app as a new process would: the server closes, the database is reopened, and
   * src/app.ts is loaded afresh, so nothing the app kept in memory (even at module level) survives.
   */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** A fresh database file in a temporary folder, optionally prepared, and the learner's app over it. */
export async function start(prepare?: (db: Db) => void): Promise<Env> {
  const dir = mkdtempSync(join(tmpdir(), 'kata-ingest-'));
  const file = join(dir, 'flights.db');
  const open = () => {
    const handle = new Database(file);
    handle.pragma('synchronous = OFF');
    return handle;
  };
  const db = open();
  prepare?.(db);
  const make = await loadCreateApp();
  const env: Env = {
    db,
    server: await listen(make(db)),
    async restart() {
      await env.server.close();
      env.db.close();
      env.db = open();
      vi.resetModules();
      env.server = await listen((await importCreateApp())(env.db));
    },
    async close() {
      await env.server.close();
      env.db.close();
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

/** POST over a fresh connection; `body` is sent as is when it is a string, else as JSON. */
export function post(server: Listening, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  const what = `POST /flights/batch`;
  return new Promise((resolve, reject) => {
    const req = request(
      server.url + '/flights/batch',
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers } },
      (res) => {
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
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`${what} got no answer within 10 s: does every path send a response?`)));
    // A server may answer (413) before it has read the whole body and close the socket: the answer counts.
    req.on('error', (err) => reject(new Error(`${what} failed: ${err.message}`)));
    req.end(payload);
  });
}

/** A short description of a reply for assertion messages. */
export const show = (r: Reply) => `${r.status} ${JSON.stringify(r.body).slice(0, 300)}`;
