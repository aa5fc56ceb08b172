// The learner's TypeScript, checked beside grading by the type checker process (runner/typecheck/
// checker.ts). It runs below the grade's CPU priority (nice 10), so on a busy machine the type check
// takes most of its time from idle cores rather than from the grade, yet is not starved once it is done. Its answers
// are information: a syntax error replaces the verdict, type errors are shown as not graded. One
// checker per `kata test`; watch mode keeps one warm.
import { spawn, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { unavailable, type CheckerMessage, type SyntaxProblem } from '../typecheck/protocol.js';
import type { Kata } from './catalog.js';
import { learnerFiles } from './learner-watcher.js';
import { typeCheckerEntry } from './paths.js';
import type { TypeCheck } from './results.js';

export type { SyntaxProblem } from '../typecheck/protocol.js';

/** TypeScript sources among the learner's files. */
export const typeScriptFile = /\.(ts|tsx|mts|cts)$/;

export interface Checking {
  /** Files that do not parse (first error of each). */
  syntax: Promise<SyntaxProblem[]>;
  /** The type check; never rejects (a checker that could not run says so). */
  types: Promise<TypeCheck>;
}


/**
 * How long the checker may still take once the grade is in; past it its answer is left out. Generous: a
 * cold check is seconds of CPU, and on a loaded machine a process below the others' priority waits.
 */
export const checkGraceMs = 120_000;

/** The checker's answer, or `late` if it has not come within the grace period from now. */
function within<T>(answer: Promise<T>, late: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(late), checkGraceMs);
  });
  return Promise.race([answer, grace]).finally(() => clearTimeout(timer));
}

/** The files grading loads from the learner: a syntax error in their own tests/ fails only those. */
const isGraded = (kata: Kata, file: string) => kata.files.includes(file) || /^src[\\/]/.test(file);

/** A check of a kata folder as grading sees it: `unparsed` aborts as soon as a graded file does not parse. */
export interface LearnerCodeCheck {
  unparsed: AbortSignal;
  /** The graded files that do not parse (to be awaited once the grade is in). */
  syntax(): Promise<SyntaxProblem[]>;
  types(): Promise<TypeCheck>;
}

export function checkLearnerCode(checker: TypeChecker, kata: Kata, dir: string, options: { types: boolean }): LearnerCodeCheck {
  const checking = checker.check(dir, learnerFiles(dir, kata.files), options);
  const graded = checking.syntax.then((problems) => problems.filter((p) => isGraded(kata, p.file)));
  const unparsed = new AbortController();
  void graded.then((problems) => problems.length && unparsed.abort());
  return {
    unparsed: unparsed.signal,
    syntax: () => within(graded, []),
    types: () => within(checking.types, unavailable(`it took longer than ${checkGraceMs / 1000} s`)),
  };
}

export class TypeChecker {
  private child?: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { syntax(problems: SyntaxProblem[]): void; types(check: TypeCheck): void }>();

  /** Checks the learner's files (relative to `dir`) as they are now: whether they parse, and (`types`) their types. */
  check(dir: string, files: string[], options: { types: boolean }): Checking {
    let syntax!: (problems: SyntaxProblem[]) => void;
    let types!: (check: TypeCheck) => void;
    const checking: Checking = {
      syntax: new Promise((resolve) => (syntax = resolve)),
      types: new Promise((resolve) => (types = resolve)),
    };
    const id = this.nextId++;
    this.pending.set(id, { syntax, types });
    const child = this.start();
    if (!child.connected) this.fail('the type checker did not start');
    else child.send({ check: { id, dir, files: files.filter((file) => typeScriptFile.test(file)), types: options.types } });
    return checking;
  }

  close(): void {
    this.fail('stopped');
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }

  private start(): ChildProcess {
    if (this.child?.connected) return this.child;
    const child = spawn(process.execPath, [typeCheckerEntry], {
      stdio: ['pipe', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    this.child = child;
    try {
      if (child.pid !== undefined) setPriority(child.pid, 10);
    } catch {
      /* not allowed here */
    }
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-2000)));
    child.on('message', (message: CheckerMessage) => {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      if ('syntax' in message) waiting.syntax(message.syntax);
      else {
        this.pending.delete(message.id);
        waiting.syntax([]);
        waiting.types('types' in message ? message.types : unavailable(message.failed));
      }
    });
    child.on('error', (error) => this.fail(`the type checker did not start: ${error.message}`));
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      const last = stderr.trim().split('\n').slice(-1)[0];
      this.fail(`the type checker ended (${signal ?? `exit ${code}`})${last ? `: ${last}` : ''}`);
    });
    return child;
  }

  private fail(message: string): void {
    for (const waiting of this.pending.values()) {
      waiting.syntax([]);
      waiting.types(unavailable(message));
    }
    this.pending.clear();
  }
}
