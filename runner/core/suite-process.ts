// The processes that run a vitest suite for the grader (runner/judge/child.ts): a one-shot child per run,
// or, for the judge in watch mode, one that stays up across runs (it never runs learner code, so its
// vite server and transforms may stay warm; the solution hosts it starts are new every run).
// Reports and progress arrive over IPC; stdin carries "go" and, by closing, "stop".
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import type { GradeJob, GradeProgress, GradeReport } from '../judge/job.js';
import type { Kata } from './catalog.js';
import { hiddenParts, type HiddenLock } from './hidden-suite.js';
import { sandboxed, type Isolation, type SandboxPaths } from './isolation.js';
import { packagesImportedBy } from '../harness/host-process.js';
import { fixturesBuildDir, harnessEntry, runnerNodeModules, runnerRoot, suiteChildEntry } from './paths.js';
import { killTree, markedProcesses, reapTree, runMarker } from './process-tree.js';
import { applyProgress, newProgress, type Progress } from './progress.js';
import { referenceFiles, starterDirs } from './stages.js';

/** Total output kept of each child (stdout + stderr); the rest is dropped, the verdict still arrives. */
export const outputCapBytes = 1_000_000;

export interface SuiteEnd {
  report?: GradeReport;
  exitCode?: number;
  stderr: string;
  progress: Progress;
}

/** One run of a suite process: started with go(), ended by its report or by the process ending. */
export interface SuiteRun {
  go(): void;
  /** SIGTERM now, SIGKILL after a grace period: the process (and what it started) is gone after. */
  stop(): void;
  /** After the run: ends whatever is left (all of a one-shot child; a persistent one stays). */
  reap(): void;
  /** Processes that still carry this process's marker (outside a sandbox: what learner code left). */
  leftovers(): number[];
  /** What is known so far (read by the live line). */
  readonly progress: Progress;
  ended: Promise<SuiteEnd>;
}

export interface SuiteProcess {
  readonly alive: boolean;
  nextRun(): SuiteRun;
  /** A judge: start the next run's solution hosts now (watch mode, while the learner edits). */
  warm(): void;
  close(): void;
}

export interface SuiteSpawn {
  cwd: string;
  env: Record<string, string>;
  sandbox?: SandboxPaths;
  isolation: Isolation;
  /** Stays up across runs (the judge in watch mode). */
  persistent?: boolean;
}

export function startSuiteProcess(job: GradeJob, temp: string, options: SuiteSpawn): SuiteProcess {
  const jobFile = join(temp, `${job.suite.name}-job.json`);
  writeFileSync(jobFile, JSON.stringify({ ...job, persistent: options.persistent }));
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
  let alive = true;
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

  let current: { progress: Progress; report?: GradeReport; done(end: SuiteEnd): void } | undefined;
  child.on('message', (message: { report: GradeReport } | GradeProgress) => {
    if (!current) return;
    if ('report' in message) {
      current.report = message.report;
      // A persistent judge goes on after reporting: its report ends the run.
      if (options.persistent) current.done({ report: message.report, exitCode: 0, stderr, progress: current.progress });
    } else applyProgress(current.progress, message);
  });
  const exited = child.then((end) => {
    alive = false;
    // A report counts only from a one-shot child that also exited cleanly after sending it.
    current?.done({ report: end.exitCode === 0 && !options.persistent ? current.report : undefined, exitCode: end.exitCode, stderr, progress: current.progress });
  });
  const kill = () => {
    child.stdin?.destroy();
    if (child.pid !== undefined) reapTree(child.pid, runId);
  };

  return {
    get alive() {
      return alive;
    },
    nextRun(): SuiteRun {
      let done!: (end: SuiteEnd) => void;
      const ended = new Promise<SuiteEnd>((resolve) => (done = resolve));
      const run = { progress: newProgress(), report: undefined as GradeReport | undefined, done: (end: SuiteEnd) => done(end) };
      current = run;
      if (!alive) done({ exitCode: undefined, stderr, progress: run.progress });
      return {
        // stdin stays open while the process is wanted: the child takes its end as the parent being gone.
        go: () => child.stdin?.write('go\n'),
        stop: () => {
          if (child.pid !== undefined) void killTree(child.pid, runId);
        },
        reap: () => {
          if (!options.persistent || !alive) kill();
        },
        leftovers: () => markedProcesses(runId).filter((pid) => pid !== child.pid),
        progress: run.progress,
        ended: ended.then(async (end) => {
          if (!options.persistent) await exited;
          return end;
        }),
      };
    },
    warm: () => {
      child.stdin?.write('warm\n');
    },
    close: kill,
  };
}

/** A private copy of the hidden suite, with the runner's packages linked beside it (hidden tests import them). */
export function copyHiddenSuite(kata: Kata): { temp: string; hiddenCopy: string; cleanup(): void } {
  const temp = mkdtempSync(join(tmpdir(), `kata-grade-${kata.id}-`));
  const hiddenCopy = join(temp, 'hidden');
  for (const part of hiddenParts(kata)) cpSync(part.dir, join(hiddenCopy, part.mount), { recursive: true });
  symlinkSync(runnerNodeModules, join(temp, 'node_modules'), 'junction');
  return { temp, hiddenCopy, cleanup: () => rmSync(temp, { recursive: true, force: true }) };
}

/** What the judge needs to know of a run: where the learner's files and the data are. */
export function judgeEnv(kata: Kata, solutionDir: string): Record<string, string> {
  // The catalog in use (katas/, or a test catalog) is hidden from the learner's code in the sandbox.
  return {
    KATA_SOLUTION_DIR: solutionDir,
    KATA_FIXTURES_DIR: fixturesBuildDir,
    KATA_HIDE_DIRS: join(kata.dir, '..'),
    KATA_HOST_PRELOAD: JSON.stringify(kataPackages(kata)),
  };
}

/** The runner's packages that the kata's starter and reference import: what its solution hosts preload. */
function kataPackages(kata: Kata): string[] {
  const ours = Object.keys((JSON.parse(readFileSync(join(runnerRoot, 'package.json'), 'utf8')) as { dependencies?: object }).dependencies ?? {});
  const sources = [...kata.files.flatMap((file) => starterDirs(kata).map((dir) => join(dir, file))), ...referenceFiles(kata).values()];
  return packagesImportedBy(sources).filter((name) => ours.includes(name));
}

/** The judge process's job: the hidden suite, pinned to the lock's hashes. */
export function judgeJob(kata: Kata, hiddenCopy: string, lock: HiddenLock | undefined): GradeJob {
  return {
    harnessEntry,
    testTimeoutMs: kata.timeLimitMs,
    suite: { name: 'hidden', root: hiddenCopy, include: ['**/*.test.ts'] },
    hiddenHashes: lock?.files,
  };
}

/**
 * The judge kept up across watch mode's runs, for one kata and one learner folder. Started again when a
 * run had to stop it (a time limit, Ctrl-C) or when the hidden suite's lock changed.
 */
export class WarmJudge {
  private process?: SuiteProcess;
  private suite?: ReturnType<typeof copyHiddenSuite>;
  private lockKey?: string;

  constructor(
    private readonly kata: Kata,
    private readonly solutionDir: string,
    private readonly isolation: Isolation,
  ) {}

  /** The judge for the next run (hiddenCopy: where its suite is, for messages). */
  acquire(lock: HiddenLock | undefined): { process: SuiteProcess; hiddenCopy: string } {
    const key = JSON.stringify(lock?.files ?? null);
    if (!this.process?.alive || key !== this.lockKey) {
      this.close();
      this.suite = copyHiddenSuite(this.kata);
      this.lockKey = key;
      this.process = startSuiteProcess(judgeJob(this.kata, this.suite.hiddenCopy, lock), this.suite.temp, {
        cwd: this.suite.temp,
        env: judgeEnv(this.kata, this.solutionDir),
        isolation: this.isolation,
        persistent: true,
      });
    }
    return { process: this.process, hiddenCopy: this.suite!.hiddenCopy };
  }

  close(): void {
    this.process?.close();
    this.process = undefined;
    this.suite?.cleanup();
    this.suite = undefined;
  }
}
