// kata test [id]: run the visible tests and the hidden suite, record the attempt, print the verdict.
import type { Kata } from '../core/catalog.js';
import { ExitCode, KataError } from '../core/errors.js';
import { prepareGrade, type PreparedGrade } from '../core/grader.js';
import type { GradeResult } from '../core/results.js';
import { errorDetail, printError } from '../reporters/error.js';
import { printGrade } from '../reporters/grade.js';
import { colors as c } from '../reporters/output.js';
import { withSpinner } from '../reporters/spinner.js';
import { catalogFor, kataFromArgOrCwd, openStore, startedKataDir, workspaceRoot, type CommandContext } from './context.js';
import { nextKata } from './next.js';

export interface TestOptions {
  json?: boolean;
}

export interface Attempt {
  result: GradeResult;
  interrupted: boolean;
  firstCompletion: boolean;
  next?: Kata;
  /** Why the attempt could not be recorded (a read-only store): shown after the verdict. */
  notRecorded?: KataError;
}

const notRecordable = (error: unknown): error is KataError => error instanceof KataError && error.code === 'PROGRESS_READ_ONLY';

/** Grades once and records the attempt (an interrupted run is not recorded). Shared by test and watch. */
export async function gradeAndRecord(
  ctx: CommandContext,
  catalog: Kata[],
  kata: Kata,
  root: string,
  options: { signal?: AbortSignal; spinner?: boolean; prepared?: PreparedGrade },
): Promise<Attempt> {
  const solutionDir = startedKataDir(root, kata);
  // Open the store before grading, so a damaged one is reported before time is spent. One that cannot be
  // written still gets its verdict: the learner sees it, then why it was not recorded.
  let notRecorded: KataError | undefined;
  try {
    openStore(root).close();
  } catch (error) {
    if (!notRecordable(error)) throw error;
    notRecorded = error;
  }
  const prepared = options.prepared ?? prepareGrade({ kata, solutionDir, includeVisible: true });
  const graded = await withSpinner(ctx.out, options.spinner ? `Grading ${kata.id}` : undefined, () => prepared.run(options.signal));
  if (graded.interrupted) return { result: graded.result, interrupted: true, firstCompletion: false };
  if (notRecorded) return { result: graded.result, interrupted: false, firstCompletion: false, notRecorded };
  try {
    const store = openStore(root);
    try {
      const { firstCompletion } = store.recordAttempt(attemptOf(graded.result));
      const next = graded.result.status === 'pass' ? nextKata(catalog, store) : undefined;
      return { result: graded.result, interrupted: false, firstCompletion, next };
    } finally {
      store.close();
    }
  } catch (error) {
    if (!notRecordable(error)) throw error;
    return { result: graded.result, interrupted: false, firstCompletion: false, notRecorded: error };
  }
}

/** The verdict and what to do next, for a person. */
export function printAttempt(ctx: CommandContext, kata: Kata, attempt: Attempt): void {
  printGrade(ctx.out, attempt.result);
  const { visible } = attempt.result;
  if (attempt.result.status === 'pass') {
    // The hidden suite decides; a failing test of the learner's own may still expect something the brief does not ask.
    if (visible.total > visible.passed) {
      ctx.out.line(c.yellow(`Note: ${visible.total - visible.passed} of your own tests (tests/) fail${visible.total - visible.passed === 1 ? 's' : ''}, but the kata passes: the hidden suite decides. Worth a look: they may test something the brief does not ask for.`));
    }
    if (attempt.firstCompletion) ctx.out.line(c.green(`Recorded as done. Compare with the reference solution: ${c.cyan(`kata solution ${kata.id}`)}`));
    if (attempt.next) ctx.out.line(`Next: ${c.cyan(`kata start ${attempt.next.id}`)} — ${attempt.next.summary}`);
  } else {
    ctx.out.line(`Fix it and run ${c.cyan(`kata test ${kata.id}`)} again, or ask for a hint: ${c.cyan(`kata hint ${kata.id}`)}`);
  }
  if (attempt.notRecorded) printNotRecorded(ctx, attempt.notRecorded);
}

/** After the verdict: it was not recorded, why, and the fix. */
export function printNotRecorded(ctx: CommandContext, error: KataError): void {
  printError(ctx.out, new KataError(`this verdict was not recorded: ${error.message}`, { code: error.code, hint: error.hint }));
}

export async function test(ctx: CommandContext, id: string | undefined, options: TestOptions): Promise<number> {
  const catalog = await catalogFor(ctx);
  const root = workspaceRoot(ctx, { creates: true });
  const kata = kataFromArgOrCwd(ctx, catalog, root, id, 'test');

  const abort = new AbortController();
  const onSignal = () => abort.abort();
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.once(signal, onSignal);
  let attempt: Attempt;
  try {
    attempt = await gradeAndRecord(ctx, catalog, kata, root, { signal: abort.signal, spinner: !options.json });
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
  }
  if (attempt.interrupted) {
    ctx.out.error('Interrupted: the test run was stopped and nothing was recorded.');
    return 130;
  }
  if (options.json) {
    ctx.out.json(attempt.notRecorded ? { ...attempt.result, recorded: false, error: errorDetail(attempt.notRecorded) } : attempt.result);
    if (attempt.notRecorded) printNotRecorded(ctx, attempt.notRecorded);
  } else printAttempt(ctx, kata, attempt);
  // A verdict that could not be recorded ends as the error it is: a script must not take it for a pass.
  if (attempt.notRecorded) return attempt.notRecorded.exitCode;
  return attempt.result.status === 'pass' ? ExitCode.ok : ExitCode.failed;
}

export function attemptOf(result: GradeResult) {
  return {
    kataId: result.kata,
    status: result.status,
    visiblePassed: result.visible.passed,
    visibleTotal: result.visible.total,
    hiddenPassed: result.hidden.passed,
    hiddenTotal: result.hidden.total,
    durationMs: result.durationMs,
  };
}
