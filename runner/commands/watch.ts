// kata watch [id]: re-grade on every save of the learner's sources or tests, debounced (what is watched,
// and why a save by rename keeps working: core/learner-watcher.ts); --poll stats the files instead, for
// WSL, containers and network drives where events go missing.
// Keys: h next hint, r re-run, q quit (lines on stdin work too when it is not a terminal).
// The judge stays up across runs (it runs no learner code: its vite server and transforms stay warm);
// the next visible run is started ahead of time in standby; the learner's code runs in solution hosts
// that are new every run.
import { createInterface } from 'node:readline';
import { prepareGrade, type PreparedGrade } from '../core/grader.js';
import { detectIsolation } from '../core/isolation.js';
import { WarmJudge } from '../core/suite-process.js';
import { watchLearnerFiles } from '../core/learner-watcher.js';
import { colors as c } from '../reporters/output.js';
import { catalogFor, kataFromArgOrCwd, startedKataDir, workspaceRoot, type CommandContext } from './context.js';
import { hint } from './hint.js';
import { gradeAndRecord, printAttempt } from './test.js';

export async function watch(ctx: CommandContext, id: string | undefined, options: { poll?: boolean }): Promise<number> {
  const catalog = await catalogFor(ctx);
  const root = workspaceRoot(ctx);
  const kata = kataFromArgOrCwd(ctx, catalog, root, id, 'watch');
  const dir = startedKataDir(root, kata);

  let running = false;
  let again = false;
  let abort = new AbortController();
  let warm: PreparedGrade | undefined;
  let closing = false;
  const judge = new WarmJudge(kata, dir, detectIsolation());
  const prepareNext = () => {
    if (!closing) warm = prepareGrade({ kata, solutionDir: dir, includeVisible: true, judge });
  };
  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => (finish = resolve));

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
      const attempt = await gradeAndRecord(ctx, catalog, kata, root, { signal: abort.signal, spinner: true, prepared });
      prepareNext();
      if (!attempt.interrupted) printAttempt(ctx, kata, attempt);
      ctx.out.line(c.dim(`\nWatching ${dir} — h hint · r re-run · q quit`));
    } while (again);
    running = false;
  };

  const watcher = watchLearnerFiles(dir, kata.files, () => void run(), options);
  const onKey = (key: string) => {
    if (key === 'q' || key === '\u0003') finish(0);
    else if (key === 'r') void run();
    else if (key === 'h') void hint(ctx, kata.id);
  };
  const stdin = process.stdin;
  let lines: ReturnType<typeof createInterface> | undefined;
  if (stdin.isTTY) {
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.on('data', onKey);
  } else {
    lines = createInterface({ input: stdin });
    lines.on('line', (line) => onKey(line.trim()));
  }
  const onSignal = () => finish(0);
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.once(signal, onSignal);

  prepareNext();
  void run();
  const code = await finished;
  closing = true;
  await watcher.close();
  abort.abort();
  for (const signal of signals) process.off(signal, onSignal);
  if (stdin.isTTY) {
    stdin.setRawMode(false);
    stdin.off('data', onKey);
  }
  lines?.close();
  stdin.pause();
  while (running) await new Promise((r) => setTimeout(r, 50));
  warm?.cancel();
  judge.close();
  return code;
}
