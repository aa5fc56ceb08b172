// kata watch [id]: re-grade on every save of the learner's sources or tests, debounced (what is watched,
// and why a save by rename keeps working: core/learner-watcher.ts); --poll stats the files instead, for
// WSL, containers and network drives where events go missing.
// Keys: h next hint, r re-run, n next kata (offered after a pass, as rustlings moves on), q quit
// (lines on stdin work too when it is not a terminal).
// The judge stays up across runs (it runs no learner code: its vite server and transforms stay warm);
// the next visible run is started ahead of time in standby; the learner's code runs in solution hosts
// that are new every run. The type checker stays warm too (it only reads the learner's files).
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Kata } from '../core/catalog.js';
import { prepareGrade, type PreparedGrade } from '../core/grader.js';
import { detectIsolation } from '../core/isolation.js';
import { watchLearnerFiles } from '../core/learner-watcher.js';
import { WarmJudge } from '../core/suite-process.js';
import { TypeChecker } from '../core/type-check.js';
import { kataDirIn } from '../core/workspace.js';
import { liveMode } from '../reporters/live.js';
import { colors as c } from '../reporters/output.js';
import { asGradedNow, catalogFor, kataFromArgOrCwd, startedKataDir, workspaceRoot, type CommandContext } from './context.js';
import { hint } from './hint.js';
import { start } from './start.js';
import { finishTypeCheck, gradeAndRecord, printAttempt, typeCheckWanted } from './test.js';

/** Keys as they come: one character from a terminal in raw mode, or one line from a pipe. */
interface Keys {
  on(handler: (key: string) => void): void;
  close(): void;
}

function listenForKeys(): Keys {
  const stdin = process.stdin;
  let handler: (key: string) => void = () => {};
  const onData = (key: string) => handler(key);
  let lines: ReturnType<typeof createInterface> | undefined;
  if (stdin.isTTY) {
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
  } else {
    lines = createInterface({ input: stdin });
    lines.on('line', (line) => onData(line.trim()));
  }
  return {
    on: (fn) => (handler = fn),
    close: () => {
      if (stdin.isTTY) {
        stdin.setRawMode(false);
        stdin.off('data', onData);
      }
      lines?.close();
      stdin.pause();
    },
  };
}

export async function watch(ctx: CommandContext, id: string | undefined, options: { poll?: boolean; typecheck?: boolean }): Promise<number> {
  const catalog = await catalogFor(ctx);
  const root = workspaceRoot(ctx);
  let kata = asGradedNow(root, kataFromArgOrCwd(ctx, catalog, root, id, 'watch'));
  startedKataDir(root, kata);
  const keys = listenForKeys();
  const checker = new TypeChecker();
  let gradeFirst = true;
  try {
    for (;;) {
      const next = await watchKata(ctx, catalog, root, kata, keys, checker, { ...options, gradeFirst });
      if (!next) return 0;
      // A staged kata's next stage goes on in the same folder, from the learner's next save (its brief
      // was just added: the verdict and what was unlocked stay on screen until then).
      gradeFirst = next.id !== kata.id;
      // Moving on: the next kata is scaffolded if it is new (never over the learner's files).
      if (!existsSync(kataDirIn(root, next.id))) await start(ctx, next.id, {});
      kata = asGradedNow(root, next);
    }
  } finally {
    keys.close();
    checker.close();
  }
}

/** Watches one kata until the learner quits (undefined) or moves on to the next kata offered (it). */
async function watchKata(
  ctx: CommandContext,
  catalog: Kata[],
  root: string,
  kata: Kata,
  keys: Keys,
  checker: TypeChecker,
  options: { poll?: boolean; typecheck?: boolean; gradeFirst: boolean },
): Promise<Kata | undefined> {
  const dir = startedKataDir(root, kata);
  let running = false;
  let again = false;
  let abort = new AbortController();
  let warm: PreparedGrade | undefined;
  let closing = false;
  /** The kata offered after the last pass (n moves on to it). */
  let offered: Kata | undefined;
  const judge = new WarmJudge(kata, dir, detectIsolation());
  const prepareNext = () => {
    if (!closing) warm = prepareGrade({ kata, solutionDir: dir, includeVisible: true, judge });
  };
  let finish: (next: Kata | undefined) => void = () => {};
  const finished = new Promise<Kata | undefined>((resolve) => (finish = resolve));
  const live = liveMode(ctx.out, {});

  const run = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    do {
      again = false;
      if (ctx.out.interactive) process.stdout.write('\u001b[2J\u001b[H');
      abort = new AbortController();
      watcher.graded();
      const prepared = warm;
      warm = undefined;
      // The verdict first, then the type check's section: the learner is waiting for the verdict, and the
      // checker beside the grade would take a share of the CPU it needs (0.62× → 0.5× the bare run, bench/).
      const attempt = await gradeAndRecord(ctx, catalog, kata, root, { signal: abort.signal, live, prepared, checker, types: typeCheckWanted(ctx, options) && 'after' });
      watcher.settled();
      if (closing) break;
      prepareNext();
      if (!attempt.interrupted) {
        offered = attempt.result.status === 'pass' ? attempt.next : undefined;
        printAttempt(ctx, kata, attempt, { keys: true });
        await finishTypeCheck(ctx, attempt, { live });
        if (attempt.unlocked && !('error' in attempt.unlocked)) {
          finish(attempt.unlocked.kata);
          break;
        }
      }
      watching();
    } while (again);
    running = false;
  };

  const stage = kata.stage ? ` (stage ${kata.stage} of ${kata.stages!.length})` : '';
  const watching = () => ctx.out.line(c.dim(`\nWatching ${dir}${stage} — h hint · r re-run${offered ? ` · n next kata (${offered.id})` : ''} · q quit`));
  const watcher = watchLearnerFiles(dir, kata.files, () => void run(), options);
  keys.on((key) => {
    if (key === 'q' || key === '\u0003') finish(undefined);
    else if (key === 'r') void run();
    else if (key === 'h') void hint(ctx, kata.id, { another: 'press h for another' });
    else if (key === 'n') {
      if (offered) finish(offered);
      else ctx.out.line(c.dim('n moves on to the next kata once this one passes'));
    }
  });
  const onSignal = () => finish(undefined);
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.once(signal, onSignal);

  prepareNext();
  if (options.gradeFirst) void run();
  else watching();
  const next = await finished;
  closing = true;
  await watcher.close();
  abort.abort();
  for (const signal of signals) process.off(signal, onSignal);
  while (running) await new Promise((r) => setTimeout(r, 50));
  warm?.cancel();
  judge.close();
  return next;
}
