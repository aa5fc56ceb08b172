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
}
