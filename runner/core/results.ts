// The shape of a grading result: Exercism's test-runner results.json v3, plus kata's own summaries.
import type { Metric } from '../harness/index.js';

export type Status = 'pass' | 'fail' | 'error';

export interface TestResult {
  name: string;
  status: Status;
  message?: string;
  output?: string;
  task_id?: number;
}

export interface SuiteSummary {
  passed: number;
  failed: number;
  total: number;
}

export interface Curve {
  test: string;
  name: string;
  values: number[];
}

/** A run of some tests only: its result is theirs, it is not recorded, and it never completes a kata. */
export interface Selection {
  /** -t: tests whose name matches this pattern. */
  pattern?: string;
  /** --visible: the learner's own tests only, no hidden suite. */
  visibleOnly?: boolean;
}

/** One error of the type check (tsc's diagnostics for the learner's files): shown, never graded. */
export interface TypeCheckError {
  file: string;
  line: number;
  column: number;
  /** e.g. "TS2322". */
  code: string;
  message: string;
}

export interface TypeCheck {
  graded: false;
  status: 'ok' | 'errors' | 'unavailable';
  errors: TypeCheckError[];
  /** Why the check could not run (status "unavailable"). */
  message?: string;
}

/** A staged kata: how each stage graded in this run (its tests carry its number as task_id). */
export interface StageSummary extends SuiteSummary {
  stage: number;
  id: string;
  title: string;
}

export interface GradeResult {
  version: 3;
  status: Status;
  message?: string;
  tests: TestResult[];
  kata: string;
  durationMs: number;
  visible: SuiteSummary;
  hidden: SuiteSummary;
  metrics?: (Metric & { passed: boolean })[];
  curves?: Curve[];
  /** Which sandbox the learner's code ran in: 'namespaces' (Linux) or 'none'. */
  isolation?: string;
  /** What that sandbox kept from the learner's code, in one line (with 'none': that it could read the grading data). */
  isolationNote?: string;
  /** Present when only some tests ran (-t, --visible). */
  selection?: Selection;
  /** tsc's type errors in the learner's files: information, not part of the verdict. */
  typecheck?: TypeCheck;
  /** A staged kata: the stage graded (with every earlier one), and each stage's tests. */
  stage?: { current: number; of: number; id: string; title: string };
  stages?: StageSummary[];
}
