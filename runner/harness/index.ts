// What kata tests import as `@kata/harness`. Visible tests (the learner's own, in their process) use the
// helpers here: where the fixture data is, a way to serve an app on an ephemeral port. Hidden suites run
// in the judge and reach the learner's code only through `loadSolution` (remote.ts): a separate,
// sandboxed solution host.
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo, Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';

/** The learner's kata folder: the files under test. */
export function solutionDir(): string {
  const dir = process.env.KATA_SOLUTION_DIR;
  if (!dir) throw new Error('KATA_SOLUTION_DIR is not set: run the tests through `kata test`.');
  return dir;
}

function fixturesDir(): string {
  const dir = process.env.KATA_FIXTURES_DIR;
  if (!dir) throw new Error('KATA_FIXTURES_DIR is not set: run the tests through `kata test`.');
  return dir;
}

/** A file produced by the fixture pipelines for learners to read (`fixtures/build/<name>`). */
export function fixturePath(name: string): string {
  const dir = fixturesDir();
  const file = join(dir, name);
  if (!existsSync(file)) {
    throw new Error(`fixture ${name} is missing from ${dir}: rebuild it with \`npm run fixtures\` (holdout files are the grader's: only its hidden suite reads them)`);
  }
  return file;
}

/** fixtures/build/judge/: what the fixture pipelines write for the judge only, and the judge's caches. */
const judgeDir = () => join(fixturesDir(), 'judge');

/**
 * A file the fixture pipelines wrote for the judge only (`fixtures/build/judge/<name>`: holdout sets,
 * hidden inputs). Hidden suites only: learner code cannot read it where the sandbox runs.
 */
export function judgeFixturePath(name: string): string {
  const dir = judgeDir();
  const file = join(dir, name);
  if (!existsSync(file)) throw new Error(`judge fixture ${name} is missing from ${dir}: rebuild it with \`npm run fixtures\` (hidden suites only read it)`);
  return file;
}

/**
 * A folder of the judge's own under fixtures/build/judge/cache/<name>/, kept across runs, for what a hidden
 * suite builds once and reuses (a reference database of a hidden month). Learner code cannot read it where
 * the sandbox runs, as it could a folder in /tmp. Hidden suites only.
 */
export function judgeCacheDir(name: string): string {
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(name)) throw new Error(`judgeCacheDir: "${name}" is not a folder name (lowercase letters, digits, dots, dashes)`);
  const dir = join(judgeDir(), 'cache', name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * A raw data file shipped by the vega-datasets package, e.g. `vegaDataPath('penguins.json')`. Hidden
 * suites only: its full files hold every holdout's labels, so learner code cannot read them in the sandbox.
 */
export function vegaDataPath(name: string): string {
  const require = createRequire(import.meta.url);
  let main: string;
  try {
    main = require.resolve('vega-datasets');
  } catch {
    throw new Error(`vega-datasets is grading data, which your code cannot read: read the kata's data with fixturePath() (see its README)`);
  }
  return join(dirname(main), '..', 'data', name);
}

export interface Listening {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Serves an Express app (or any request listener) on 127.0.0.1 and an ephemeral port. */
export async function listen(app: RequestListener): Promise<Listening> {
  const server = createServer(app);
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((ok) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => ok());
      }),
  };
}

/** A small deterministic PRNG (mulberry32) so that hidden splits and shuffles are the same every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Metric {
  /** e.g. 'accuracy', 'macro-F1', 'RMSE'. */
  name: string;
  value: number;
  threshold: number;
  higherIsBetter: boolean;
  /** A few lines shown under the metric in the report, pass or fail (a confusion matrix, per-class scores). */
  detail?: string;
}

interface TestContextLike {
  task: { meta: object };
}

/** Attaches a graded metric to the running test, so the reporter can print `accuracy 0.93 ≥ 0.85 ✓`. */
export function reportMetric(context: TestContextLike, metric: Metric): void {
  Object.assign(context.task.meta, { kataMetric: metric });
}

/** Attaches a per-epoch series (training loss, validation metric) for the reporter's terminal chart. */
export function reportCurve(context: TestContextLike, curve: { name: string; values: number[] }): void {
  const meta = context.task.meta as { kataCurves?: { name: string; values: number[] }[] };
  meta.kataCurves = [...(meta.kataCurves ?? []), curve];
}

export { Host, RemoteTensor, hostHeapMb, loadSolution, type HostUsage, type Remote, type ServedApp, type Solution } from './remote.js';
