// One vitest run with a runner-owned configuration (`config: false`, so a learner's vite or vitest config
// is never loaded), reported by GradeReportReporter over the IPC channel. It runs as one of two processes:
//  - the judge: the hidden suite, pinned in memory from the locked copy. It never imports a learner file;
//    the suite reaches the learner's code only through the harness, in a separate solution host.
//  - the visible run: the learner's own tests/, inside the sandbox (it runs learner code; info only).
// It sets up, then waits for "go" on stdin before running, so a run can be prepared ahead (watch mode).
// The parent enforces the time limit.
import { readdirSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { createInterface } from 'node:readline';
import { BroadcastChannel } from 'node:worker_threads';
import { createVitest } from 'vitest/node';
import { detectIsolation } from '../core/isolation.js';
import { HostPool } from './host-pool.js';
import { progressChannel, type GradeJob, type GradeProgress, type GradeReport } from './job.js';
import { pinnedSuitePlugin, pinSuite } from './pinned-suite.js';
import { GradeReportReporter } from './report-reporter.js';

// If the parent dies without stopping us (kill -9, a closed terminal), end this whole process group,
// workers and hosts, rather than run on unsupervised. Two signs, either enough: the IPC channel closes,
// or stdin (whose other end only the parent holds) ends. In a sandbox the IPC socket is also held by
// the unshare processes around us, so there only stdin tells. (As PID 1 of a sandbox's namespace,
// exiting is enough: the kernel ends everything else in it.)
function orphaned(): void {
  try {
    if (process.pid !== 1) process.kill(-process.pid, 'SIGKILL');
  } finally {
    process.exit(1);
  }
}
process.on('disconnect', orphaned);

// The parent writes "go" to start a run and ends stdin only to stop us: an end before the first "go"
// means the run is no longer wanted; later, that the parent is gone. A persistent judge (watch mode)
// runs again at each "go"; its vite server and transforms stay warm, and each run's solution hosts,
// started by the hidden suite through the harness, are new. Lines are read from the start and counted,
// so a "go" that arrives while vitest is still setting up is kept, not lost.
const lines = createInterface({ input: process.stdin });
let started = false;
let pendingGo = 0;
let closed = false;
let waiter: ((go: boolean) => void) | undefined;
const wake = (go: boolean) => {
  const resolve = waiter!;
  waiter = undefined;
  resolve(go);
};
lines.on('line', (line) => {
  // "warm": a run is being prepared; start its solution hosts now, while the learner edits.
  if (line.trim() === 'warm') pool?.fill();
  if (line.trim() !== 'go') return;
  if (waiter) wake(true);
  else pendingGo++;
});
lines.on('close', () => {
  closed = true;
  if (waiter) wake(false);
  else if (started) orphaned();
});
// An end of stdin wins over a "go" still pending: the parent that sent it is gone.
const nextGo = () =>
  new Promise<boolean>((resolve) => {
    if (closed) resolve(false);
    else if (pendingGo) {
      pendingGo--;
      resolve(true);
    } else waiter = resolve;
  });

const job = JSON.parse(readFileSync(process.argv[2], 'utf8')) as GradeJob;
let report: GradeReport | undefined;
const alias = { '@kata/harness': job.harnessEntry };
const { suite } = job;
const pinned = suite.name === 'hidden' ? pinSuite(suite.root, job.hiddenHashes) : undefined;
/** The hidden suite's test files: as many hosts as they will want, most suites loading one each. */
const hiddenFileCount = (root: string) => readdirSync(root, { recursive: true }).filter((file) => String(file).endsWith('.test.ts')).length;
// The hidden suite's solution hosts start now, while vitest sets up (and in watch mode, between runs).
const pool = suite.name === 'hidden' && process.env.KATA_SOLUTION_DIR && process.env.KATA_HARNESS_TRANSPORT !== 'inprocess'
  ? new HostPool(process.env.KATA_SOLUTION_DIR, detectIsolation(), hiddenFileCount(suite.root))
  : undefined;

// What the harness says from the worker threads (calls into the learner's code, epochs), passed on with
// the test file made relative to the suite's root, as the reporter's are.
const harnessProgress = new BroadcastChannel(progressChannel);
harnessProgress.unref();
harnessProgress.onmessage = (event) => {
  const message = (event as { data: GradeProgress }).data;
  if ('call' in message) message.call.file = relative(suite.root, message.call.file);
  if ('epoch' in message) message.epoch.file = relative(suite.root, message.epoch.file);
  process.send?.(message);
};

const vitest = await createVitest(
  'test',
  {
    config: false,
    watch: false,
    // No results cache: nothing is written into the learner's folder or the hidden copy.
    cache: false,
    reporters: [new GradeReportReporter((done) => (report = done), (progress) => process.send?.(progress))],
    // The judge runs only runner-owned code: its files may run side by side, in threads (cheaper to
    // start than processes), each with its own solution host. The visible run is the learner's code:
    // one forked worker with a heap cap.
    pool: suite.name === 'hidden' ? 'threads' : 'forks',
    maxWorkers: suite.name === 'hidden' ? 2 : 1,
    fileParallelism: suite.name === 'hidden',
    isolate: true,
    testTimeout: job.testTimeoutMs,
    hookTimeout: job.testTimeoutMs,
    teardownTimeout: 2000,
    ...(job.testNamePattern ? { testNamePattern: job.testNamePattern } : {}),
    passWithNoTests: false,
    allowOnly: false,
    projects: [
      {
        resolve: { alias },
        plugins: pinned ? [pinnedSuitePlugin(pinned)] : [],
        test: {
          name: suite.name,
          root: suite.root,
          dir: suite.root,
          include: suite.include,
          environment: 'node',
          // Pool options and timeouts are per project: set here, or the worker never sees them.
          execArgv: job.heapMb ? [`--max-old-space-size=${job.heapMb}`] : [],
          testTimeout: job.testTimeoutMs,
          hookTimeout: job.testTimeoutMs,
          ...(job.testNamePattern ? { testNamePattern: job.testNamePattern } : {}),
        },
      },
    ],
  },
  { resolve: { alias }, server: { watch: null }, logLevel: 'silent' },
);

await vitest.standalone();
const specifications = await vitest.globTestSpecifications();
if (!(await nextGo())) orphaned();
started = true;
for (;;) {
  report = undefined;
  await vitest.runTestSpecifications(specifications, true);
  const done = report;
  await pool?.endRun();
  if (!job.persistent) {
    await pool?.close();
    await vitest.close();
    // Then exit: leftover handles (servers, timers) must not keep the child alive.
    if (done && process.send) process.send({ report: done }, () => process.exit(0));
    else process.exit(0);
    break;
  }
  process.send?.({ report: done ?? { reason: 'interrupted', modules: [], tests: [], unhandledErrors: [{ message: 'the judge produced no report' }] } });
  if (!(await nextGo())) orphaned();
}
