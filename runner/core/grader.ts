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
import { detectIsolation, hiddenFromLearner } from './isolation.js';
import { harnessEntry, runnerRoot } from './paths.js';
import { KataError } from './errors.js';
import { stillRunning, type Progress } from './progress.js';
import type { GradeResult, Selection } from './results.js';
import { currentStageRef, stageOfFile, stagesOf } from './stages.js';
import { copyHiddenSuite, judgeEnv, judgeJob, startSuiteProcess, type SuiteEnd, type SuiteProcess, type SuiteRun, type WarmJudge } from './suite-process.js';
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
  /** -t: only the tests whose name matches (a regular expression, as vitest's -t). */
  testNamePattern?: string;
  /** --visible: the learner's own tests only; the hidden suite is not started. */
  visibleOnly?: boolean;
  /** --verbose: whole messages, nothing cut. */
  fullMessages?: boolean;
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

/** What a grading run has done so far, section by section, for the live line. */
export interface LiveGrade {
  /** performance.now() when the run started; undefined before. */
  startedAt?: number;
  visible?: { progress: Progress; ended: boolean };
  hidden?: { progress: Progress; ended: boolean; total: number };
}

/** A grading run whose children are already up and set up, waiting to be started (or cancelled). */
export interface PreparedGrade {
  /** Runs the tests now; the time limit counts from here. */
  run(signal?: AbortSignal): Promise<Graded>;
  /** Drops the run without running any learner code. */
  cancel(): void;
  /** Where the run is (read as often as wanted while it goes). */
  live(): LiveGrade;
}

/** vitest's -t matches "<file> <describe> <test>": the lock's key with its separators as spaces. */
function selectTests(keys: string[], pattern: string): string[] {
  let regexp: RegExp;
  try {
    regexp = new RegExp(pattern);
  } catch (error) {
    throw new KataError(`-t ${JSON.stringify(pattern)} is not a valid regular expression (${(error as Error).message})`, {
      code: 'BAD_OPTION',
      hint: 'kata test -t "part of a test name"',
    });
  }
  return keys.filter((key) => regexp.test(key.split(' > ').join(' ')));
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

  const pattern = options.testNamePattern;
  const expectedHidden = lock && pattern !== undefined ? selectTests(lock.tests, pattern) : lock?.tests;
  // A pattern that selects no hidden test runs the learner's tests only.
  const visibleOnly = Boolean(options.visibleOnly) || (pattern !== undefined && expectedHidden?.length === 0);
  const selection: Selection | undefined =
    pattern === undefined && !visibleOnly ? undefined : { ...(pattern !== undefined && { pattern }), ...(visibleOnly && { visibleOnly }) };
  if (visibleOnly && !existsSync(join(solutionDir, 'tests'))) {
    throw new KataError(`${kata.id} has no tests of yours: there is no tests/ folder in ${solutionDir}`, { code: 'BAD_OPTION', hint: `kata test ${kata.id}` });
  }

  const isolation = detectIsolation();
  const temp = mkdtempSync(join(tmpdir(), `kata-grade-${kata.id}-`));
  const cleanups = [() => rmSync(temp, { recursive: true, force: true })];
  // No judge at all for the learner's tests alone.
  let judgeProcess: SuiteProcess | undefined;
  let hiddenCopy = '';
  if (visibleOnly) {
    /* no hidden suite */
  } else if (options.judge) {
    ({ process: judgeProcess, hiddenCopy } = options.judge.acquire(lock));
    judgeProcess.warm();
  }
  else {
    const suite = copyHiddenSuite(kata);
    cleanups.push(suite.cleanup);
    hiddenCopy = suite.hiddenCopy;
    const job = { ...judgeJob(kata, hiddenCopy, lock), ...(pattern !== undefined && { testNamePattern: pattern }) };
    judgeProcess = startSuiteProcess(job, suite.temp, { cwd: suite.temp, env: judgeEnv(kata, solutionDir), isolation });
  }
  const cleanup = () => cleanups.forEach((fn) => fn());
  const judge = judgeProcess?.nextRun();

  const visibleSuite: SuiteJob | undefined = (options.includeVisible || visibleOnly) && existsSync(join(solutionDir, 'tests'))
    ? { name: 'visible', root: solutionDir, include: ['tests/**/*.test.ts'] }
    : undefined;
  const visibleTemp = visibleSuite ? mkdtempSync(join(temp, 'visible-')) : '';
  const visible = visibleSuite
    ? startSuiteProcess({ harnessEntry, testTimeoutMs: kata.timeLimitMs, suite: visibleSuite, heapMb, ...(pattern !== undefined && { testNamePattern: pattern }) }, temp, {
        cwd: solutionDir,
        env: { ...judgeEnv(kata, solutionDir), TMPDIR: visibleTemp },
        sandbox: { writable: [solutionDir, visibleTemp], hidden: hiddenFromLearner(solutionDir, [dirname(kata.dir)]) },
        isolation,
      }).nextRun()
    : undefined;
  const children = [judge, visible].filter((child): child is SuiteRun => child !== undefined);
  const ended = new Set<SuiteRun>();
  let startedAt: number | undefined;
  const live = (): LiveGrade => ({
    startedAt,
    ...(visible ? { visible: { progress: visible.progress, ended: ended.has(visible) } } : {}),
    ...(judge ? { hidden: { progress: judge.progress, ended: ended.has(judge), total: expectedHidden?.length ?? 0 } } : {}),
  });

  const cancel = () => {
    for (const child of children) child.reap();
    void Promise.allSettled(children.map((child) => child.ended)).then(cleanup);
  };

  const run = async (signal?: AbortSignal): Promise<Graded> => {
    const started = performance.now();
    startedAt = started;
    try {
      let interrupted = false;
      // At the time limit, only what is still running is stopped: a section that finished keeps its result.
      const stoppedAtLimit = new Set<SuiteRun>();
      const timer = setTimeout(() => {
        for (const child of children.filter((c) => !ended.has(c))) {
          stoppedAtLimit.add(child);
          child.stop();
        }
      }, kata.timeLimitMs);
      const onAbort = () => {
        interrupted = true;
        children.forEach((child) => child.stop());
      };
      if (signal?.aborted) onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      for (const child of children) {
        void child.ended.then(() => ended.add(child));
        child.go();
      }

      const [hidden, visibleEnd] = await Promise.all([judge?.ended, visible?.ended]);
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      // A child that had sent its whole report was done, even if it was still exiting at the limit.
      const hiddenStopped = judge !== undefined && stoppedAtLimit.has(judge) && !hidden?.report;
      const visibleStopped = visible !== undefined && stoppedAtLimit.has(visible) && !visibleEnd?.report;
      const timedOut = hiddenStopped || visibleStopped;
      // Whatever was left behind (outside a sandbox) dies with the run, and is named in the verdict.
      const leftovers = timedOut || interrupted ? [] : children.flatMap((child) => child.leftovers());
      for (const child of children) child.reap();

      const replacements: [string, string][] = [
        [solutionDir, '<workspace>'],
        ...(hiddenCopy ? [[hiddenCopy, '<hidden>'] as [string, string]] : []),
        [runnerRoot, '<kata>'],
      ];
      const cap = options.fullMessages ? 20_000 : undefined;
      const clean = (text: string) => sanitize(text, replacements, cap);
      // The verdict's own section: the judge's, or with --visible the learner's tests.
      const graded = judge ? hidden! : visibleEnd!;
      const report = interrupted || !graded.report ? undefined : judge ? withVisible(graded.report, visibleEnd) : graded.report;
      const result = buildVerdict(report, {
        kataId: kata.id,
        durationMs: Math.round(performance.now() - started),
        timedOut: judge ? hiddenStopped : visibleStopped,
        limitMs: kata.timeLimitMs,
        exitCode: graded.exitCode,
        stderrTail: clean(graded.stderr.trim().split('\n').slice(-8).join('\n')),
        leftoverProcesses: leftovers.length,
        outOfMemory: outOfMemory.test(graded.stderr),
        heapMb,
        expectedHidden: visibleOnly ? [] : expectedHidden,
        progress: { ...graded.progress, finished: judge ? [...visibleTests(visibleEnd), ...graded.progress.finished] : graded.progress.finished },
        ...(visibleStopped ? { visibleStopped: { running: stillRunning(visibleEnd!.progress) } } : {}),
        ...(selection ? { selection } : {}),
        fullMessages: options.fullMessages,
      });
      result.isolation = isolation.kind;
      result.isolationNote = isolation.detail;
      summarizeStages(kata, result, expectedHidden);
      if (result.message) result.message = sanitize(result.message, replacements, cap ?? 4000);
      for (const test of result.tests) {
        test.name = clean(test.name);
        if (test.message) test.message = clean(test.message);
        if (test.output) test.output = clean(test.output);
      }
      const reportedHidden = (hidden?.report?.tests ?? []).filter((t) => t.suite === 'hidden').map((t) => `${t.file} > ${t.fullName}`);
      return { result, interrupted, reportedHidden };
    } finally {
      cleanup();
    }
  };
  return { run, cancel, live };
}

/**
 * A staged kata's result says which stage was graded and how each stage's tests went: the counts of the
 * locked tests of each stage (a stage whose tests never ran counts them as not passed).
 */
function summarizeStages(kata: Kata, result: GradeResult, expectedHidden: string[] | undefined): void {
  const current = currentStageRef(kata);
  if (!current) return;
  result.stage = { current: current.number, of: stagesOf(kata).length, id: current.stage.id, title: current.stage.title };
  result.stages = stagesOf(kata)
    .slice(0, current.number)
    .map((ref) => {
      const tests = result.tests.filter((t) => t.task_id === ref.number);
      const total = expectedHidden ? expectedHidden.filter((key) => stageOfFile(key) === ref.number).length : tests.length;
      const passed = tests.filter((t) => t.status === 'pass').length;
      return { stage: ref.number, id: ref.stage.id, title: ref.stage.title, passed, failed: total - passed, total };
    });
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
