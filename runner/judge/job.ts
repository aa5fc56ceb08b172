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

/**
 * Sent as each test starts and ends, so that a run stopped at the time limit can still say which tests
 * had passed and which one was running.
 */
export type GradeProgress = { started: { suite: 'visible' | 'hidden'; file: string; fullName: string } } | { finished: ReportedTest };
