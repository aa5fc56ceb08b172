// kata watch [id]: re-grade on every save, debounced. fs.watch catches editors that save by rename;
// --poll stats the files instead, for WSL, containers and network drives where events go missing.
// Keys: h next hint, r re-run, q quit (lines on stdin work too when it is not a terminal).
// The judge stays up across runs (it runs no learner code: its vite server and transforms stay warm);
// the next visible run is started ahead of time in standby; the learner's code runs in solution hosts
// that are new every run.
import { watch as watchFs, watchFile, unwatchFile, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { prepareGrade, type PreparedGrade } from '../core/grader.js';
import { detectIsolation } from '../core/isolation.js';
import { WarmJudge } from '../core/suite-process.js';
import { listFiles } from '../core/workspace.js';
import { colors as c } from '../reporters/output.js';
import { catalogFor, kataFromArgOrCwd, startedKataDir, workspaceRoot, type CommandContext } from './context.js';
import { hint } from './hint.js';
import { gradeAndRecord, printAttempt } from './test.js';

export const debounceMs = 150;
const pollIntervalMs = 300;
const ignored = /(^|[\\/])(node_modules|\.kata|\.git)([\\/]|$)|(^|[\\/])\.[^\\/]*$|~$|\.swp$/;

/** Calls `onChange` once per burst of file events under `dir`. Returns a function that stops watching. */
export function watchTree(dir: string, onChange: () => void, options: { poll?: boolean }): () => void {
  let timer: NodeJS.Timeout | undefined;
  const changed = (file?: string | null) => {
    if (file && ignored.test(file)) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  };
  if (!options.poll) {
    const watcher: FSWatcher = watchFs(dir, { recursive: true }, (_event, file) => changed(file));
    return () => {
      clearTimeout(timer);
      watcher.close();
    };
  }
  const watched = new Set<string>();
  const rescan = () => {
    for (const file of listFiles(dir).filter((f) => !ignored.test(f))) {
      if (watched.has(file)) continue;
      watched.add(file);
      watchFile(join(dir, file), { interval: pollIntervalMs }, (now, before) => {
        if (now.mtimeMs !== before.mtimeMs || now.size !== before.size) changed(file);
      });
    }
  };
  rescan();
  const rescanTimer = setInterval(rescan, 2000);
  return () => {
    clearTimeout(timer);
    clearInterval(rescanTimer);
    for (const file of watched) unwatchFile(join(dir, file));
  };
}

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
      const prepared = warm;
      warm = undefined;
      const attempt = await gradeAndRecord(ctx, catalog, kata, root, { signal: abort.signal, spinner: true, prepared });
      prepareNext();
      if (!attempt.interrupted) printAttempt(ctx, kata, attempt);
      ctx.out.line(c.dim(`\nWatching ${dir} — h hint · r re-run · q quit`));
    } while (again);
    running = false;
  };

  const stopWatching = watchTree(dir, () => void run(), options);
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
  stopWatching();
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
