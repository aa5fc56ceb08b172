// Grades a learner's kata folder: the visible tests from the workspace, then the hidden suite from a
// fresh copy of the runner's own katas/<id>/hidden/ (checked against its lock), in one child process
// with the kata's time limit. The verdict comes from the child's report (see verdict.ts).
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { GradeJob, GradeProgress, GradeReport } from '../grader/job.js';
import type { Kata } from './catalog.js';
import { checkLock, hiddenDir, readLock } from './hidden-suite.js';
import { distDir, fixturesBuildDir, graderChildEntry, harnessEntry, runnerNodeModules, runnerRoot } from './paths.js';
import { killTree, markedProcesses, reapTree, runMarker } from './process-tree.js';
import type { GradeResult } from './results.js';
import { buildVerdict, sanitize, type Progress } from './verdict.js';

export interface GradeOptions {
  kata: Kata;
  /** The learner's kata folder. */
  solutionDir: string;
  /** Run the visible tests in the workspace too (kata test does; verify does not). */
  includeVisible?: boolean;
  /** Skip the lock check and report every hidden test (authors writing the lock). */
  unlocked?: boolean;
  /** Aborting (Ctrl-C) kills the child tree and removes temporary files. */
  signal?: AbortSignal;
}

export interface Graded {
  result: GradeResult;
  interrupted: boolean;
  /** Hidden test keys as reported, for writing the lock. */
  reportedHidden: string[];
}

/** Total child output kept (stdout + stderr); the rest is dropped, the verdict still arrives. */
export const outputCapBytes = 1_000_000;
const heapMb = 512;
const outOfMemory = /JavaScript heap out of memory|Reached heap limit/;


/** A grading run whose child is already up and set up, waiting to be started (or cancelled). */
export interface PreparedGrade {
  /** Runs the tests now; the time limit counts from here. */
  run(signal?: AbortSignal): Promise<Graded>;
  /** Drops the run without running any learner code. */
  cancel(): void;
}

/**
 * Checks the hidden suite against its lock, copies it fresh, and starts the grading child in standby.
 * `grade` runs it at once; watch mode prepares the next run while the learner edits.
 */
export function prepareGrade(options: Omit<GradeOptions, 'signal'>): PreparedGrade {
  const { kata, solutionDir } = options;
  const lock = options.unlocked ? undefined : readLock(kata);
  if (lock) checkLock(kata, lock);

  const temp = mkdtempSync(join(tmpdir(), `kata-grade-${kata.id}-`));
  const cleanup = () => rmSync(temp, { recursive: true, force: true });
  const runId = randomBytes(12).toString('hex');
  const hiddenCopy = join(temp, 'hidden');
  cpSync(hiddenDir(kata), hiddenCopy, { recursive: true });
  // The copy lives outside the runner: a node_modules link lets hidden tests import its packages.
  symlinkSync(runnerNodeModules, join(temp, 'node_modules'), 'junction');
  const job: GradeJob = {
    suites: [
      ...(options.includeVisible && existsSync(join(solutionDir, 'tests'))
        ? [{ name: 'visible' as const, root: solutionDir, include: ['tests/**/*.test.ts'] }]
        : []),
      { name: 'hidden', root: hiddenCopy, include: ['**/*.test.ts'] },
    ],
    harnessEntry,
    guardEntry: join(distDir, 'runner', 'grader', 'guard.js'),
    testTimeoutMs: kata.timeLimitMs,
    heapMb,
    standby: true,
    hiddenHashes: lock?.files,
  };
  writeFileSync(join(temp, 'job.json'), JSON.stringify(job));

  const child = execa(process.execPath, [graderChildEntry, join(temp, 'job.json')], {
    cwd: solutionDir,
    detached: true,
    reject: false,
    buffer: false,
    stdin: 'pipe',
    // The report arrives over IPC, never through a file a solution could forge.
    ipc: true,
    serialization: 'json',
    cleanup: true,
    env: {
      KATA_SOLUTION_DIR: solutionDir,
      KATA_FIXTURES_DIR: fixturesBuildDir,
      NO_COLOR: '1',
      FORCE_COLOR: '0',
      NODE_OPTIONS: '',
      [runMarker]: runId,
    },
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
  let received: GradeReport | undefined;
  const progress: Progress = { finished: [] };
  child.on('message', (message: { report: GradeReport } | GradeProgress) => {
    if ('report' in message) received = message.report;
    else if ('started' in message) progress.running = message.started;
    else if ('finished' in message) progress.finished.push(message.finished);
  });

  const cancel = () => {
    child.stdin?.end();
    if (child.pid !== undefined) reapTree(child.pid, runId);
    void child.then(cleanup, cleanup);
  };

  const run = async (signal?: AbortSignal): Promise<Graded> => {
    const started = performance.now();
    try {
      let timedOut = false;
      let interrupted = false;
      const stop = () => child.pid !== undefined && void killTree(child.pid, runId);
      const timer = setTimeout(() => {
        timedOut = true;
        stop();
      }, kata.timeLimitMs);
      const onAbort = () => {
        interrupted = true;
        stop();
      };
      if (signal?.aborted) onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      child.stdin?.end('go\n');

      const ended = await child;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      // Whatever the solution spawned and left behind dies with the run, and is named in the verdict.
      const leftovers = timedOut || interrupted ? [] : markedProcesses(runId);
      if (child.pid !== undefined) reapTree(child.pid, runId);

      // A report counts only from a child that also exited cleanly after sending it.
      const report = timedOut || interrupted || ended.exitCode !== 0 ? undefined : received;
      const replacements: [string, string][] = [
        [solutionDir, '<workspace>'],
        [hiddenCopy, '<hidden>'],
        [runnerRoot, '<kata>'],
      ];
      const clean = (text: string) => sanitize(text, replacements);
      const result = buildVerdict(report, {
        kataId: kata.id,
        durationMs: Math.round(performance.now() - started),
        timedOut,
        limitMs: kata.timeLimitMs,
        exitCode: ended.exitCode,
        stderrTail: clean(stderr.trim().split('\n').slice(-8).join('\n')),
        leftoverProcesses: leftovers.length,
        outOfMemory: outOfMemory.test(stderr),
        heapMb,
        expectedHidden: lock?.tests,
        progress,
      });
      if (result.message) result.message = sanitize(result.message, replacements, 4000);
      for (const test of result.tests) {
        if (test.message) test.message = clean(test.message);
        if (test.output) test.output = clean(test.output);
      }
      const reportedHidden = (report?.tests ?? []).filter((t) => t.suite === 'hidden').map((t) => `${t.file} > ${t.fullName}`);
      return { result, interrupted, reportedHidden };
    } finally {
      cleanup();
    }
  };
  return { run, cancel };
}

export async function grade(options: GradeOptions): Promise<Graded> {
  return prepareGrade(options).run(options.signal);
}
