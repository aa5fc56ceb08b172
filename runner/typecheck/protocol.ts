// kata ↔ type checker (runner/typecheck/checker.ts): one request per grading run, two answers.
import type { TypeCheck } from '../core/results.js';

export interface CheckRequest {
  id: number;
  /** The learner's kata folder. */
  dir: string;
  /** Their TypeScript files, relative to it. */
  files: string[];
  /** Type-check them too (else only whether they parse). */
  types: boolean;
}

/** A file that does not parse: where, what the parser said, and the lines around it. */
export interface SyntaxProblem {
  /** Relative to the kata folder. */
  file: string;
  line: number;
  column: number;
  message: string;
  frame: string;
}

/** A type check that could not run, and why. */
export const unavailable = (message: string): TypeCheck => ({ graded: false, status: 'unavailable', errors: [], message });

export type CheckerMessage = { id: number; syntax: SyntaxProblem[] } | { id: number; types: TypeCheck } | { id: number; failed: string };
