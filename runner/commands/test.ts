// kata test [id]: run the visible tests and the hidden suite, record the attempt, print the verdict.
import type { Kata } from '../core/catalog.js';
import { ExitCode } from '../core/errors.js';
import { prepareGrade, type PreparedGrade } from '../core/grader.js';
import type { GradeResult } from '../core/results.js';
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
}

/** Grades once and records the attempt (an interrupted run is not recorded). Shared by test and watch. */
export async function gradeAndRecord(
  ctx: CommandContext,
  catalog: Kata[],
  kata: Kata,
  root: string,
  options: { signal?: AbortSignal; spinner?: boolean; prepared?: PreparedGrade },
): Promise<Attempt> {
  const solutionDir = startedKataDir(root, kata);
  // Open the store before grading, so a damaged one is reported before time is spent.
  openStore(root).close();
  const prepared = options.prepared ?? prepareGrade({ kata, solutionDir, includeVisible: true });
  const graded = await withSpinner(ctx.out, options.spinner ? `Grading ${kata.id}` : undefined, () => prepared.run(options.signal));
  if (graded.interrupted) return { result: graded.result, interrupted: true, firstCompletion: false };
  const store = openStore(root);
  try {
    const { firstCompletion } = store.recordAttempt(attemptOf(graded.result));
    const next = graded.result.status === 'pass' ? nextKata(catalog, store) : undefined;
    return { result: graded.result, interrupted: false, firstCompletion, next };
  } finally {
    store.close();
  }
}

/** The verdict and what to do next, for a person. */
export function printAttempt(ctx: CommandContext, kata: Kata, attempt: Attempt): void {
  printGrade(ctx.out, attempt.result);
  if (attempt.result.status === 'pass') {
    if (attempt.firstCompletion) ctx.out.line(c.green(`Recorded as done. Compare with the reference solution: ${c.cyan(`kata solution ${kata.id}`)}`));
    if (attempt.next) ctx.out.line(`Next: ${c.cyan(`kata start ${attempt.next.id}`)} — ${attempt.next.summary}`);
  } else {
    ctx.out.line(`Fix it and run ${c.cyan(`kata test ${kata.id}`)} again, or ask for a hint: ${c.cyan(`kata hint ${kata.id}`)}`);
  }
}

export async function test(ctx: CommandContext, id: string | undefined, options: TestOptions): Promise<number> {
  const catalog = await catalogFor(ctx);
  const root = workspaceRoot(ctx);
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
  if (options.json) ctx.out.json(attempt.result);
  else printAttempt(ctx, kata, attempt);
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
