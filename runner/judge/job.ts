// The contract between the grader (parent) and a suite child (the judge or the visible run): what to
// run, and what comes back.
import type { Metric } from '../harness/index.js';

export interface SuiteJob {
  /** vitest project name: 'visible' or 'hidden'. */
  name: 'visible' | 'hidden';
  /** Root folder of the project; include globs are relative to it. */
  root: string;
  include: string[];
}

export interface GradeJob {
  suite: SuiteJob;
  /** The compiled harness aliased as `@kata/harness`. */
  harnessEntry: string;
  testTimeoutMs: number;
  /** Heap cap for the vitest worker (the visible run's, which runs the learner's code). */
  heapMb?: number;
  /** Stay up after a run and run again at each "go" (the judge in watch mode). */
  persistent?: boolean;
  /** sha256 of each hidden file (relative path → hex), from the lock; absent while an author writes it. */
  hiddenHashes?: Record<string, string>;
  /** Run only the tests whose name matches (vitest's -t: "<file> <describe> <test>"). */
  testNamePattern?: string;
}

export interface ReportedError {
  message: string;
  expected?: string;
  actual?: string;
  /** vitest's diff of expected and received (for objects and arrays). */
  diff?: string;
}

export interface ReportedTest {
  suite: 'visible' | 'hidden';
  /** Test file relative to its suite root. */
  file: string;
  name: string;
  fullName: string;
  state: 'passed' | 'failed' | 'skipped' | 'pending';
  errors: ReportedError[];
  durationMs: number;
  output?: string;
  /** Set by the harness's reportMetric / reportCurve. */
  metric?: Metric;
  curves?: { name: string; values: number[] }[];
  /** A skipped test's reason: the hook of its describe block (or file) that failed first. */
  blockedBy?: { where: string; error: ReportedError };
}

export interface ReportedModule {
  suite: 'visible' | 'hidden';
  file: string;
  state: string;
  errors: ReportedError[];
}

/**
 * What the child sends the parent over its IPC channel once the run ends (never through a file a
 * solution could forge). Its absence means the run did not end cleanly.
 */
export interface GradeReport {
  reason: 'passed' | 'failed' | 'interrupted';
  modules: ReportedModule[];
  tests: ReportedTest[];
  unhandledErrors: ReportedError[];
}

/** The BroadcastChannel on which the harness, in the judge's worker threads, posts GradeProgress. */
export const progressChannel = 'kata:progress';

export interface RunningTest {
  suite: 'visible' | 'hidden';
  file: string;
  fullName: string;
}

/**
 * A call into the learner's code that the judge is waiting on, as the harness saw it start: a function
 * (`train()`), the import of a file, or a request to their app (`GET /routes`).
 */
export interface LearnerCall {
  id: string;
  /** The hidden test file, relative to the suite's root. */
  file: string;
  /** The test that made the call; absent in a beforeAll/afterAll hook. */
  test?: string;
  name: string;
  /** Date.now() when it started. */
  startedAt: number;
}

/** One epoch of a tfjs fit() in the learner's code, as the solution host saw it end. */
export interface TrainingEpoch {
  file: string;
  /** 1-based. */
  epoch: number;
  epochs?: number;
  loss?: number;
}

/**
 * Sent as the run goes, so that a run stopped at the time limit can still say which tests had passed and
 * what was running, and so that a person can watch it: tests as they are collected, start and end, the
 * hook running, the calls into the learner's code and each epoch of training.
 */
export type GradeProgress =
  | { started: RunningTest }
  | { finished: ReportedTest }
  | { collected: { suite: 'visible' | 'hidden'; file: string; tests: number } }
  | { hook: { suite: 'visible' | 'hidden'; file: string; name: string; ended: boolean } }
  | { call: LearnerCall }
  | { callEnded: { id: string; abandoned: boolean } }
  | { epoch: TrainingEpoch };
