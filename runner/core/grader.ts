// Grades a learner's kata folder with two processes, started side by side under one time limit
// (how they are started and talked to: suite-process.ts):
//  - the judge: runner-owned vitest over a fresh copy of katas/<id>/hidden/ (checked against its lock,
//    pinned in memory). It never loads a learner file: hidden suites reach the learner's code through
//    the harness, which starts a sandboxed solution host per test file (runner/harness/remote.ts).
//  - the visible run: the learner's own tests/ in their own vitest, inside the sandbox. Info only.
// The verdict is built from the judge's report alone (see verdict.ts).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { GradeReport, SuiteJob } from '../judge/job.js';
import type { Kata } from './catalog.js';
import { checkLock, readLock } from './hidden-suite.js';
import { checkIntegrity } from './integrity.js';
import { detectIsolation } from './isolation.js';
import { harnessEntry, katasDir, runnerRoot } from './paths.js';
import type { GradeResult } from './results.js';
import { copyHiddenSuite, judgeEnv, judgeJob, startSuiteProcess, type SuiteEnd, type SuiteProcess, type WarmJudge } from './suite-process.js';
import { buildVerdict, sanitize } from './verdict.js';
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

/**
 * Checks the runner's grading files, the hidden suite's lock and the learner's files, and gets the judge
 * (a fresh one, or watch mode's warm one) and the visible run ready in standby. `grade` runs it at once;
 * watch mode prepares the next run while the learner edits.
 */
export function prepareGrade(options: Omit<GradeOptions, 'signal'> & { judge?: WarmJudge }): PreparedGrade {
  const { kata, solutionDir } = options;
  checkIntegrity();
  const lock = options.unlocked ? undefined : readLock(kata);
  if (lock) checkLock(kata, lock);
  checkLearnerFiles(solutionDir, kata.files);
  writeModulePackage(dirname(solutionDir));

  const isolation = detectIsolation();
  const temp = mkdtempSync(join(tmpdir(), `kata-grade-${kata.id}-`));
  const cleanups = [() => rmSync(temp, { recursive: true, force: true })];
  let judgeProcess: SuiteProcess;
  let hiddenCopy: string;
  if (options.judge) {
    ({ process: judgeProcess, hiddenCopy } = options.judge.acquire(lock));
    judgeProcess.warm();
  }
  else {
    const suite = copyHiddenSuite(kata);
    cleanups.push(suite.cleanup);
    hiddenCopy = suite.hiddenCopy;
    judgeProcess = startSuiteProcess(judgeJob(kata, hiddenCopy, lock), suite.temp, { cwd: suite.temp, env: judgeEnv(kata, solutionDir), isolation });
  }
  const cleanup = () => cleanups.forEach((fn) => fn());
  const judge = judgeProcess.nextRun();

  const visibleSuite: SuiteJob | undefined = options.includeVisible && existsSync(join(solutionDir, 'tests'))
    ? { name: 'visible', root: solutionDir, include: ['tests/**/*.test.ts'] }
    : undefined;
  const visibleTemp = visibleSuite ? mkdtempSync(join(temp, 'visible-')) : '';
  const visible = visibleSuite
    ? startSuiteProcess({ harnessEntry, testTimeoutMs: kata.timeLimitMs, suite: visibleSuite, heapMb }, temp, {
        cwd: solutionDir,
        env: { ...judgeEnv(kata, solutionDir), TMPDIR: visibleTemp },
        sandbox: { writable: [solutionDir, visibleTemp], hidden: [...new Set([katasDir, dirname(kata.dir)])] },
        isolation,
      }).nextRun()
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
