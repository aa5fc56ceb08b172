// The grading child: runs the visible and hidden suites in one vitest instance with a runner-owned
// configuration (`config: false`, so a learner's vite or vitest config is never loaded), one forked
// worker with a heap cap, and the GradeReportReporter. The parent enforces the time limit.
// In standby it loads vitest and sets up, then waits for "go" on stdin before running anything, so
// watch mode can keep the next run warm without ever reusing a process that ran learner code.
import { readFileSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createVitest } from 'vitest/node';
import type { GradeJob, GradeReport } from './job.js';
import { pinnedSuitePlugin, pinSuite } from './pinned-suite.js';
import { GradeReportReporter } from './report-reporter.js';

// If the parent dies without stopping us (kill -9, a closed terminal), the IPC channel closes: end this
// whole process group, workers and anything a solution started, rather than run on unsupervised.
process.on('disconnect', () => process.kill(-process.pid, 'SIGKILL'));

const job = JSON.parse(readFileSync(process.argv[2], 'utf8')) as GradeJob;
rmSync(process.argv[2]);
let report: GradeReport | undefined;
const alias = { '@kata/harness': job.harnessEntry };
const hiddenRoot = job.suites.find((suite) => suite.name === 'hidden')?.root;
const pinned = hiddenRoot ? pinSuite(hiddenRoot, job.hiddenHashes) : new Map<string, string>();

const vitest = await createVitest(
  'test',
  {
    config: false,
    watch: false,
    // No results cache: nothing is written into the learner's folder or the hidden copy.
    cache: false,
    reporters: [new GradeReportReporter((done) => (report = done), (progress) => process.send?.(progress))],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    isolate: true,
    execArgv: [`--max-old-space-size=${job.heapMb}`],
    testTimeout: job.testTimeoutMs,
    hookTimeout: job.testTimeoutMs,
    teardownTimeout: 2000,
    passWithNoTests: false,
    allowOnly: false,
    projects: job.suites.map((suite) => ({
      resolve: { alias },
      plugins: suite.name === 'hidden' ? [pinnedSuitePlugin(pinned)] : [],
      test: {
        name: suite.name,
        root: suite.root,
        dir: suite.root,
        include: suite.include,
        setupFiles: suite.name === 'hidden' && job.guardEntry ? [job.guardEntry] : [],
        environment: 'node',
        // Pool options and timeouts are per project: set here, or the worker never sees them.
        execArgv: [`--max-old-space-size=${job.heapMb}`],
        testTimeout: job.testTimeoutMs,
        hookTimeout: job.testTimeoutMs,
      },
    })),
  },
  { resolve: { alias }, server: { watch: null }, logLevel: 'silent' },
);

if (job.standby) {
  // The parent ends stdin without "go" when the run is no longer wanted.
  const go = await new Promise<boolean>((resolve) => {
    const lines = createInterface({ input: process.stdin });
    lines.once('line', (line) => resolve(line.trim() === 'go'));
    lines.once('close', () => resolve(false));
  });
  if (!go) process.exit(0);
}
await vitest.start();
await vitest.close();
// The report goes to the parent over the IPC channel, which the learner's code (in vitest's workers)
// has no handle on. Then exit: leftover handles (servers, timers) must not keep the child alive.
if (report && process.send) process.send({ report }, () => process.exit(0));
else process.exit(0);
