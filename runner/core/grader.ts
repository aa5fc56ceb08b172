// Grades a learner's kata folder with two processes, started side by side under one time limit:
//  - the judge: runner-owned vitest over a fresh copy of katas/<id>/hidden/ (checked against its lock,
//    pinned in memory). It never loads a learner file: hidden suites reach the learner's code through
//    the harness, which starts a sandboxed solution host per test file (runner/harness/remote.ts).
//  - the visible run: the learner's own tests/ in their own vitest, inside the sandbox. Info only.
// The verdict is built from the judge's report alone (see verdict.ts).
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { GradeJob, GradeProgress, GradeReport, SuiteJob } from '../judge/job.js';
import type { Kata } from './catalog.js';
import { checkLock, hiddenDir, readLock } from './hidden-suite.js';
import { checkIntegrity } from './integrity.js';
import { detectIsolation, sandboxed, type Isolation } from './isolation.js';
import { fixturesBuildDir, harnessEntry, katasDir, runnerNodeModules, runnerRoot, suiteChildEntry } from './paths.js';
import { killTree, markedProcesses, reapTree, runMarker } from './process-tree.js';
import type { GradeResult } from './results.js';
import { buildVerdict, sanitize, type Progress } from './verdict.js';
import { checkLearnerFiles, writeModulePackage } from './workspace.js';

export interface GradeOptions {
  kata: Kata;
  /** The learner's kata folder. */
  solutionDir: string;
  /** Run the visible tests in the workspace too (kata test does; verify does not). */
  includeVisible?: boolean;
  /** Skip the lock check and report every hidden test (authors writing the lock). */
  unlocked?: boolean;
  /** Aborting (Ctrl-C) kills both process trees and removes temporary files. */
  signal?: AbortSignal;
}

export interface Graded {
  result: GradeResult;
  interrupted: boolean;
  /** Hidden test keys as reported, for writing the lock. */
  reportedHidden: string[];
}

/** Total output kept of each child (stdout + stderr); the rest is dropped, the verdict still arrives. */
export const outputCapBytes = 1_000_000;
/** The visible run's worker heap cap (the host's is in the harness). */
const heapMb = 512;
const outOfMemory = /JavaScript heap out of memory|Reached heap limit/;

/** A grading run whose children are already up and set up, waiting to be started (or cancelled). */
export interface PreparedGrade {
  /** Runs the tests now; the time limit counts from here. */
  run(signal?: AbortSignal): Promise<Graded>;
  /** Drops the run without running any learner code. */
  cancel(): void;
}

interface SuiteEnd {
  report?: GradeReport;
  exitCode?: number;
  stderr: string;
  progress: Progress;
}

/** One suite child (judge or visible run), started in standby. */
interface SuiteChild {
  go(): void;
  stop(): void;
  reap(): void;
  leftovers(): number[];
  ended: Promise<SuiteEnd>;
}

function startSuiteChild(
  job: GradeJob,
  temp: string,
  options: { cwd: string; env: Record<string, string>; sandbox?: { writable: string[]; hidden: string[] }; isolation: Isolation },
): SuiteChild {
  const jobFile = join(temp, `${job.suite.name}-job.json`);
  writeFileSync(jobFile, JSON.stringify(job));
  const runId = randomBytes(12).toString('hex');
  const command = options.sandbox
    ? sandboxed([process.execPath, suiteChildEntry, jobFile], options.sandbox, options.isolation)
    : { file: process.execPath, args: [suiteChildEntry, jobFile], env: {} };
  const child: ResultPromise = execa(command.file, command.args, {
    cwd: options.cwd,
    detached: true,
    reject: false,
    buffer: false,
    stdin: 'pipe',
    // Reports arrive over IPC, never through a file a solution could forge.
    ipc: true,
    serialization: 'json',
    cleanup: true,
    env: { ...options.env, ...command.env, NO_COLOR: '1', FORCE_COLOR: '0', NODE_OPTIONS: '', [runMarker]: runId },
    extendEnv: true,
  });
  let kept = 0;
  let stderr = '';
  const keep = (chunk: Buffer, into: 'stderr' | 'stdout') => {
    if (kept >= outputCapBytes) return;
    const text = chunk.toString('utf8').slice(0, outputCapBytes - kept);
    kept += text.length;
    if (into === 'stderr') stderr = (stderr + text).slice(-4000);
  };
  child.stdout?.on('data', (chunk: Buffer) => keep(chunk, 'stdout'));
  child.stderr?.on('data', (chunk: Buffer) => keep(chunk, 'stderr'));
  let report: GradeReport | undefined;
  const progress: Progress = { finished: [] };
  child.on('message', (message: { report: GradeReport } | GradeProgress) => {
    if ('report' in message) report = message.report;
    else if ('started' in message) progress.running = message.started;
    else if ('finished' in message) progress.finished.push(message.finished);
  });
  return {
    // stdin stays open while the run is wanted: the child takes its end as the parent being gone.
    go: () => child.stdin?.write('go\n'),
    stop: () => child.pid !== undefined && void killTree(child.pid, runId),
    reap: () => {
      child.stdin?.destroy();
      if (child.pid !== undefined) reapTree(child.pid, runId);
    },
    leftovers: () => markedProcesses(runId),
    ended: child.then((end) => ({ report: end.exitCode === 0 ? report : undefined, exitCode: end.exitCode, stderr, progress })),
  };
}

/**
 * Checks the runner's grading files, the hidden suite's lock and the learner's files, copies the suite
 * fresh, and starts the judge (and the visible run) in standby. `grade` runs it at once; watch mode
 * prepares the next run while the learner edits.
 */
export function prepareGrade(options: Omit<GradeOptions, 'signal'>): PreparedGrade {
  const { kata, solutionDir } = options;
  checkIntegrity();
  const lock = options.unlocked ? undefined : readLock(kata);
  if (lock) checkLock(kata, lock);
  checkLearnerFiles(solutionDir, kata.files);
  writeModulePackage(dirname(solutionDir));

  const temp = mkdtempSync(join(tmpdir(), `kata-grade-${kata.id}-`));
  const cleanup = () => rmSync(temp, { recursive: true, force: true });
  const hiddenCopy = join(temp, 'hidden');
  cpSync(hiddenDir(kata), hiddenCopy, { recursive: true });
  // The copy lives outside the runner: a node_modules link lets hidden tests import its packages.
  symlinkSync(runnerNodeModules, join(temp, 'node_modules'), 'junction');
  const isolation = detectIsolation();
  // The catalog in use (katas/, or a test catalog) is hidden from the learner's code in the sandbox.
  const env = { KATA_SOLUTION_DIR: solutionDir, KATA_FIXTURES_DIR: fixturesBuildDir, KATA_HIDE_DIRS: dirname(kata.dir) };
  const base = { harnessEntry, testTimeoutMs: kata.timeLimitMs, standby: true };

  const judge = startSuiteChild(
    { ...base, suite: { name: 'hidden', root: hiddenCopy, include: ['**/*.test.ts'] }, hiddenHashes: lock?.files },
    temp,
    { cwd: temp, env, isolation },
  );
  const visibleSuite: SuiteJob | undefined = options.includeVisible && existsSync(join(solutionDir, 'tests'))
    ? { name: 'visible', root: solutionDir, include: ['tests/**/*.test.ts'] }
    : undefined;
  const visibleTemp = visibleSuite ? mkdtempSync(join(temp, 'visible-')) : '';
  const visible = visibleSuite
    ? startSuiteChild({ ...base, suite: visibleSuite, heapMb }, temp, {
        cwd: solutionDir,
        env: { ...env, TMPDIR: visibleTemp },
        sandbox: { writable: [solutionDir, visibleTemp], hidden: [...new Set([katasDir, dirname(kata.dir)])] },
        isolation,
      })
    : undefined;
  const children = [judge, ...(visible ? [visible] : [])];

  const cancel = () => {
    for (const child of children) child.reap();
    void Promise.allSettled(children.map((child) => child.ended)).then(cleanup);
  };

  const run = async (signal?: AbortSignal): Promise<Graded> => {
    const started = performance.now();
    try {
      let timedOut = false;
      let interrupted = false;
      const stopAll = () => children.forEach((child) => child.stop());
      const timer = setTimeout(() => {
        timedOut = true;
        stopAll();
      }, kata.timeLimitMs);
      const onAbort = () => {
        interrupted = true;
        stopAll();
      };
      if (signal?.aborted) onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      for (const child of children) child.go();

      const [hidden, visibleEnd] = await Promise.all([judge.ended, visible?.ended]);
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      // Whatever was left behind (outside a sandbox) dies with the run, and is named in the verdict.
      const leftovers = timedOut || interrupted ? [] : children.flatMap((child) => child.leftovers());
      for (const child of children) child.reap();

      const replacements: [string, string][] = [
        [solutionDir, '<workspace>'],
        [hiddenCopy, '<hidden>'],
        [runnerRoot, '<kata>'],
      ];
      const clean = (text: string) => sanitize(text, replacements);
      const stopped = timedOut || interrupted;
      const report = stopped || !hidden.report ? undefined : withVisible(hidden.report, visibleEnd);
      const result = buildVerdict(report, {
        kataId: kata.id,
        durationMs: Math.round(performance.now() - started),
        timedOut,
        limitMs: kata.timeLimitMs,
        exitCode: hidden.exitCode,
        stderrTail: clean(hidden.stderr.trim().split('\n').slice(-8).join('\n')),
        leftoverProcesses: leftovers.length,
        outOfMemory: outOfMemory.test(hidden.stderr),
        heapMb,
        expectedHidden: lock?.tests,
        progress: { running: hidden.progress.running, finished: [...visibleTests(visibleEnd), ...hidden.progress.finished] },
      });
      result.isolation = isolation.kind;
      if (result.message) result.message = sanitize(result.message, replacements, 4000);
      for (const test of result.tests) {
        test.name = clean(test.name);
        if (test.message) test.message = clean(test.message);
        if (test.output) test.output = clean(test.output);
      }
      const reportedHidden = (hidden.report?.tests ?? []).filter((t) => t.suite === 'hidden').map((t) => `${t.file} > ${t.fullName}`);
      return { result, interrupted, reportedHidden };
    } finally {
      cleanup();
    }
  };
  return { run, cancel };
}

/** The visible run's tests: from its report, or what it said before it was stopped. */
function visibleTests(end: SuiteEnd | undefined) {
  if (!end) return [];
  return (end.report?.tests ?? end.progress.finished).filter((t) => t.suite === 'visible');
}

/** The judge's report with the visible run's tests and file errors added (its other errors are its own). */
function withVisible(report: GradeReport, visible: SuiteEnd | undefined): GradeReport {
  if (!visible) return report;
  return {
    ...report,
    tests: [...visibleTests(visible), ...report.tests],
    modules: [...(visible.report?.modules ?? []), ...report.modules],
  };
}

export async function grade(options: GradeOptions): Promise<Graded> {
  return prepareGrade(options).run(options.signal);
}
