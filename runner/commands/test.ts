// kata test [id]: run the visible tests and the hidden suite, record the attempt, print the verdict.
import type { Kata } from '../core/catalog.js';
import { ExitCode, KataError } from '../core/errors.js';
import { prepareGrade, type PreparedGrade } from '../core/grader.js';
import type { GradeResult, TypeCheck } from '../core/results.js';
import { checkLearnerCode, TypeChecker, type SyntaxProblem } from '../core/type-check.js';
import { syntaxVerdict } from '../core/verdict.js';
import { errorDetail, printError } from '../reporters/error.js';
import { printGrade, printTypeCheck } from '../reporters/grade.js';
import { liveMode, withLiveProgress, withLiveWait, type LiveMode } from '../reporters/live.js';
import { colors as c } from '../reporters/output.js';
import { atStage, briefPath, currentStageRef } from '../core/stages.js';
import { unlockStage } from '../core/workspace.js';
import { asGradedNow, catalogFor, kataFromArgOrCwd, openStore, startedKataDir, workspaceRoot, type CommandContext } from './context.js';
import { nextKata } from './next.js';

export interface TestOptions {
  json?: boolean;
  /** Every failure explained, whole messages. */
  verbose?: boolean;
  /** -t: only the tests whose name matches this regular expression (not recorded). */
  filter?: string;
  /** Only the learner's own tests, no hidden suite (not recorded). */
  visible?: boolean;
  /** false: no type check (--no-typecheck, or KATA_TYPECHECK=0); whether the code parses is checked still. */
  typecheck?: boolean;
}

/**
 * The type check runs unless --no-typecheck or KATA_TYPECHECK=0 turns it off, or --visible asks for the
 * learner's tests alone, fast (a cold check costs seconds of CPU).
 */
export function typeCheckWanted(ctx: CommandContext, options: { typecheck?: boolean; visible?: boolean }): boolean {
  return options.typecheck !== false && !options.visible && ctx.env.KATA_TYPECHECK !== '0';
}

export interface Attempt {
  result: GradeResult;
  interrupted: boolean;
  firstCompletion: boolean;
  next?: Kata;
  /** The type check, still running when the verdict is in (its section comes after the verdict). */
  typecheck?: Promise<TypeCheck>;
  /** Why the attempt could not be recorded (a read-only store): shown after the verdict. */
  notRecorded?: KataError;
  /** A staged kata whose current stage passed: the next stage, and what it added to the folder. */
  unlocked?: { kata: Kata; written: string[]; kept: string[] } | { kata: Kata; error: KataError };
}

const notRecordable = (error: unknown): error is KataError => error instanceof KataError && error.code === 'PROGRESS_READ_ONLY';

/**
 * Grades once, with the type check beside it, and records the attempt (an interrupted run, or one of
 * some tests only, is not recorded). Shared by test and watch (which passes its warm judge's prepared
 * run and its warm type checker).
 */
export async function gradeAndRecord(
  ctx: CommandContext,
  catalog: Kata[],
  kata: Kata,
  root: string,
  options: {
    signal?: AbortSignal;
    live: LiveMode;
    prepared?: PreparedGrade;
    checker?: TypeChecker;
    /**
     * The type check (shown, not graded): beside the grade (`true`: the command's whole time is shortest),
     * once the verdict is in (`'after'`: watch, where the verdict is what the learner waits for), or none.
     */
    types: boolean | 'after';
    select?: Pick<TestOptions, 'verbose' | 'filter' | 'visible'>;
  },
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
  const { verbose, filter, visible } = options.select ?? {};
  const prepared = options.prepared ?? prepareGrade({ kata, solutionDir, includeVisible: true, testNamePattern: filter, visibleOnly: visible, fullMessages: verbose });
  // With the type check beside, the checker stops the grade as soon as the code does not parse; otherwise
  // whether the code parses is asked only of a grade that failed.
  let checker = options.checker;
  const oneShot = () => {
    if (!options.checker) checker?.close();
  };
  const typeCheck = () => checkLearnerCode((checker ??= new TypeChecker()), kata, solutionDir, { types: true });
  const started = performance.now();
  try {
    const beside = options.types === true ? typeCheck() : undefined;
    const signal = beside && options.signal ? AbortSignal.any([options.signal, beside.unparsed]) : (beside?.unparsed ?? options.signal);
    const graded = await withLiveProgress(ctx.out, options.live, kata.id, () => prepared.live(), () => prepared.run(signal));
    let syntax: SyntaxProblem[] = [];
    if (beside) syntax = await beside.syntax();
    else if (!graded.interrupted && graded.result.status !== 'pass') syntax = await checkLearnerCode((checker ??= new TypeChecker()), kata, solutionDir, { types: false }).syntax();
    if (graded.interrupted && (!syntax.length || options.signal?.aborted)) {
      oneShot();
      return { result: graded.result, interrupted: true, firstCompletion: false };
    }
    if (syntax.length) {
      oneShot();
      const result = syntaxVerdict(kata.id, syntax, graded.result.hidden.total, Math.round(performance.now() - started));
      result.isolation = graded.result.isolation;
      result.isolationNote = graded.result.isolationNote;
      if (graded.result.selection) result.selection = graded.result.selection;
      return record(catalog, root, kata, result, notRecorded);
    }
    const attempt = record(catalog, root, kata, graded.result, notRecorded);
    const typecheck = beside ?? (options.types === 'after' ? typeCheck() : undefined);
    if (typecheck) attempt.typecheck = typecheck.types().finally(oneShot);
    else oneShot();
    return attempt;
  } catch (error) {
    oneShot();
    throw error;
  }
}

/**
 * The type check's section, once it is done (the live line says it is under way meanwhile); with --json
 * it goes into the result instead. Never changes the verdict.
 */
export async function finishTypeCheck(ctx: CommandContext, attempt: Attempt, options: { json?: boolean; verbose?: boolean; live: LiveMode }): Promise<void> {
  if (!attempt.typecheck) return;
  const check = await withLiveWait(ctx.out, options.live, 'type check (not graded)', attempt.typecheck);
  attempt.result.typecheck = check;
  if (!options.json) printTypeCheck(ctx.out, check, options);
}

function record(catalog: Kata[], root: string, kata: Kata, result: GradeResult, notRecorded: KataError | undefined): Attempt {
  // A run of some tests only (-t, --visible) is feedback, not an attempt.
  if (result.selection) return { result, interrupted: false, firstCompletion: false };
  if (notRecorded) return { result, interrupted: false, firstCompletion: false, notRecorded };
  let attempt: Attempt;
  try {
    const store = openStore(root);
    try {
      const { firstCompletion } = store.recordAttempt(attemptOf(result));
      // A stage passed before the last: what comes next is the kata's next stage.
      const stagePassed = result.status === 'pass' && result.stage && result.stage.current < result.stage.of;
      const next = result.status === 'pass' && !stagePassed ? nextKata(catalog, store) : undefined;
      attempt = { result, interrupted: false, firstCompletion, next };
    } finally {
      store.close();
    }
  } catch (error) {
    if (!notRecordable(error)) throw error;
    return { result, interrupted: false, firstCompletion: false, notRecorded: error };
  }
  if (result.status === 'pass' && result.stage && result.stage.current < result.stage.of) attempt.unlocked = unlockNext(root, kata, result.stage.current + 1);
  return attempt;
}

/** Adds stage n's brief, starter files and tests to the learner's folder; a failure is told, the pass stays recorded. */
function unlockNext(root: string, kata: Kata, n: number): NonNullable<Attempt['unlocked']> {
  const next = atStage(kata, n);
  try {
    return { kata: next, ...unlockStage(root, next) };
  } catch (error) {
    if (!(error instanceof KataError)) throw error;
    return { kata: next, error };
  }
}

/**
 * The verdict and what to do next, for a person: commands to type, or in watch mode (`keys`) the keys
 * that do the same.
 */
export function printAttempt(ctx: CommandContext, kata: Kata, attempt: Attempt, options: { verbose?: boolean; keys?: boolean } = {}): void {
  printGrade(ctx.out, attempt.result, { verbose: options.verbose });
  if (attempt.result.selection) return;
  const { visible } = attempt.result;
  if (attempt.result.status === 'pass') {
    // The hidden suite decides; a failing test of the learner's own may still expect something the brief does not ask.
    if (visible.total > visible.passed) {
      ctx.out.line(c.yellow(`Note: ${visible.total - visible.passed} of your own tests (tests/) fail${visible.total - visible.passed === 1 ? 's' : ''}, but the kata passes: the hidden suite decides. Worth a look: they may test something the brief does not ask for.`));
    }
    if (attempt.unlocked) printUnlocked(ctx, attempt.unlocked);
    if (attempt.firstCompletion) ctx.out.line(c.green(`Recorded as done${kata.stages ? `: all ${kata.stages.length} stages` : ''}. Compare with the reference solution: ${c.cyan(`kata solution ${kata.id}`)}`));
    if (attempt.next) {
      const how = options.keys ? `press ${c.cyan('n')} to start ${c.bold(attempt.next.id)}` : c.cyan(`kata start ${attempt.next.id}`);
      ctx.out.line(`Next: ${how} — ${attempt.next.summary}`);
    }
  } else if (options.keys) {
    ctx.out.line(`Fix it and save to run again, or press ${c.cyan('h')} for a hint.`);
  } else {
    ctx.out.line(`Fix it and run ${c.cyan(`kata test ${kata.id}`)} again, or ask for a hint: ${c.cyan(`kata hint ${kata.id}`)}`);
  }
  if (attempt.notRecorded) printNotRecorded(ctx, attempt.notRecorded);
}

/** The next stage: what it is, where its brief is, and what was added to the folder. */
function printUnlocked(ctx: CommandContext, unlocked: NonNullable<Attempt['unlocked']>): void {
  const ref = currentStageRef(unlocked.kata)!;
  ctx.out.line(c.green(`Stage ${ref.number} of ${unlocked.kata.stages!.length} unlocked: ${c.bold(ref.stage.title)} — ${ref.stage.summary}`));
  if ('error' in unlocked) {
    printError(ctx.out, new KataError(`its files could not be added: ${unlocked.error.message}`, { code: unlocked.error.code, hint: unlocked.error.hint }));
    return;
  }
  ctx.out.line(`  Read ${c.cyan(briefPath(ref))}; then ${c.cyan(`kata test ${unlocked.kata.id}`)} grades stage ${ref.number} with every earlier one.`);
  const added = unlocked.written.filter((file) => file !== briefPath(ref));
  if (added.length) ctx.out.line(`  New in your folder: ${added.map((f) => c.cyan(f)).join(', ')}`);
  if (unlocked.kept.length) ctx.out.line(c.yellow(`  Kept your own ${unlocked.kept.join(', ')}: the stage's file${unlocked.kept.length === 1 ? '' : 's'} of that name ${unlocked.kept.length === 1 ? 'was' : 'were'} not copied (see kata reset ${unlocked.kata.id} --stage ${ref.number}).`));
}

/** After the verdict: it was not recorded, why, and the fix. */
export function printNotRecorded(ctx: CommandContext, error: KataError): void {
  printError(ctx.out, new KataError(`this verdict was not recorded: ${error.message}`, { code: error.code, hint: error.hint }));
}

export async function test(ctx: CommandContext, id: string | undefined, options: TestOptions): Promise<number> {
  const catalog = await catalogFor(ctx);
  const root = workspaceRoot(ctx, { creates: true });
  const kata = asGradedNow(root, kataFromArgOrCwd(ctx, catalog, root, id, 'test'));

  const abort = new AbortController();
  const onSignal = () => abort.abort();
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.once(signal, onSignal);
  let attempt: Attempt;
  try {
    attempt = await gradeAndRecord(ctx, catalog, kata, root, { signal: abort.signal, live: liveMode(ctx.out, options), types: typeCheckWanted(ctx, options), select: options });
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
  }
  if (attempt.interrupted) {
    ctx.out.error('Interrupted: the test run was stopped and nothing was recorded.');
    return 130;
  }
  if (!options.json) printAttempt(ctx, kata, attempt, options);
  await finishTypeCheck(ctx, attempt, { ...options, live: liveMode(ctx.out, options) });
  if (options.json) {
    ctx.out.json(attempt.notRecorded ? { ...attempt.result, recorded: false, error: errorDetail(attempt.notRecorded) } : attempt.result);
    if (attempt.notRecorded) printNotRecorded(ctx, attempt.notRecorded);
  }
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
    ...(result.stage && { stage: result.stage.current, lastStage: result.stage.of }),
  };
}
