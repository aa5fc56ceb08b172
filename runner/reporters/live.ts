// What a grading run is doing while it runs. On a terminal: one line on stderr, redrawn ten times a
// second and cleared at the end: each section's tests done / total, then what the run waits on (the
// call into the learner's code, the running test or hook) and, while a model trains, its epoch, loss
// and loss curve so far. Off a terminal (pipes, CI, NO_COLOR): one line per phase as it starts (your
// tests, the hidden suite, each training), so that a long run is never silent and a log stays short.
import type { LiveGrade } from '../core/grader.js';
import { callsInFlight, stillRunning, trainingNow, type Progress } from '../core/progress.js';
import { formatNumber, sparkline } from './chart.js';
import { colors as c, type Output } from './output.js';

const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export type LiveMode = 'line' | 'phases' | 'off';

/** The line on a terminal, the phases in a pipe, nothing for --json. */
export function liveMode(out: Output, options: { json?: boolean }): LiveMode {
  if (options.json) return 'off';
  return out.interactive && process.stderr.isTTY ? 'line' : 'phases';
}

const done = (progress: Progress, suite: 'visible' | 'hidden') => progress.finished.filter((t) => t.suite === suite).length;
const collected = (progress: Progress) => [...(progress.collected?.values() ?? [])].reduce((a, b) => a + b, 0);
const cut = (text: string, width: number) => (text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text);
const secondsSince = (ms: number, now: number) => `${Math.max(0, Math.round((now - ms) / 1000))} s`;

/** What the run waits on now: the learner's call, else the running test, else the hook; with training. */
export function activity(progress: Progress, now = Date.now()): string {
  const parts: string[] = [];
  const current = trainingNow(progress);
  const call = current?.call ?? callsInFlight(progress)[0];
  const running = stillRunning(progress);
  if (running) parts.push(cut(running.fullName, 48));
  else if (progress.hook) parts.push(`${progress.hook.name} of ${progress.hook.file}`);
  if (call) parts.push(`${call.name} ${secondsSince(call.startedAt, now)}`);
  const training = current?.training;
  if (training) {
    const of = training.epochs ? `/${training.epochs}` : '';
    const loss = training.losses.length ? ` loss ${formatNumber(training.losses[training.losses.length - 1])} ${sparkline(training.losses, 16)}` : '';
    parts.push(`epoch ${training.epoch}${of}${loss}`);
  }
  return parts.join(' · ');
}

/** The live line for a terminal (without the spinner frame). */
export function liveLine(live: LiveGrade, now = performance.now()): string {
  const sections: string[] = [];
  if (live.visible) {
    const { progress, ended } = live.visible;
    const total = collected(progress);
    sections.push(`your tests ${done(progress, 'visible')}/${total || '?'}${ended ? ' ✓' : ''}`);
  }
  if (live.hidden) {
    const { progress, ended, total } = live.hidden;
    sections.push(`hidden suite ${done(progress, 'hidden')}/${total}${ended ? ' ✓' : ''}`);
  }
  // The hidden suite is what grades: what it waits on comes first.
  const busy = [live.hidden, live.visible].find((section) => section && !section.ended);
  const doing = busy ? activity(busy.progress) : '';
  const elapsed = live.startedAt === undefined ? '' : `${Math.round((now - live.startedAt) / 1000)} s  `;
  return `${elapsed}${sections.join('  ')}${doing ? `  ${c.dim(doing)}` : ''}`;
}

/** Runs `work` while showing `source()`'s progress in the given mode. */
export async function withLiveProgress<T>(out: Output, mode: LiveMode, label: string, source: () => LiveGrade, work: () => Promise<T>): Promise<T> {
  if (mode === 'off') return work();
  const timer = mode === 'line' ? drawLine(label, source) : printPhases(out, source);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    if (mode === 'line') process.stderr.write('\r\u001b[K');
  }
}

function drawLine(label: string, source: () => LiveGrade): NodeJS.Timeout {
  let frame = 0;
  return setInterval(() => {
    const width = (process.stderr.columns || 80) - 1;
    const text = `${frames[frame++ % frames.length]} ${label}  ${liveLine(source())}`;
    // Colour codes take no room on screen; the line is cut on its visible width.
    process.stderr.write(`\r\u001b[K${visibleCut(text, width)}`);
  }, 100);
}

/** Cuts text with colour codes to `width` visible characters. */
function visibleCut(text: string, width: number): string {
  let shown = 0;
  let out = '';
  for (const part of text.split(/(\u001b\[[0-9;]*m)/)) {
    if (part.startsWith('\u001b[')) out += part;
    else {
      const room = width - shown;
      if (room <= 0) continue;
      const piece = part.length > room ? `${part.slice(0, room - 1)}…` : part;
      out += piece;
      shown += piece.length;
    }
  }
  return `${out}\u001b[0m`;
}

function printPhases(out: Output, source: () => LiveGrade): NodeJS.Timeout {
  const said = new Set<string>();
  const say = (key: string, text: string) => {
    if (said.has(key)) return;
    said.add(key);
    out.line(c.dim(`▸ ${text}`));
  };
  const check = () => {
    const live = source();
    if (live.startedAt === undefined) return;
    if (live.visible) say('visible', 'your tests (tests/) are running');
    if (live.hidden) say('hidden', `the hidden suite is running (${live.hidden.total} test${live.hidden.total === 1 ? '' : 's'})`);
    const training = trainingNow(live.hidden?.progress);
    // Each call that trains is a phase of its own.
    if (training) say(`training ${training.call.id}`, `training: ${training.call.name}, ${training.training.epochs ?? '?'} epochs`);
  };
  const timer = setInterval(check, 200);
  check();
  return timer;
}

/** Waits for `work`, saying on the live line (or in one phase line) what it waits for, if it is not done yet. */
export async function withLiveWait<T>(out: Output, mode: LiveMode, what: string, work: Promise<T>): Promise<T> {
  let settled = false;
  void work.finally(() => (settled = true));
  await Promise.race([work.catch(() => undefined), new Promise((r) => setImmediate(r))]);
  if (settled || mode === 'off') return work;
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  if (mode === 'phases') out.line(c.dim(`▸ ${what}: still checking`));
  else {
    let frame = 0;
    timer = setInterval(() => process.stderr.write(`\r\u001b[K${frames[frame++ % frames.length]} ${what}  ${Math.round((performance.now() - started) / 1000)} s`), 100);
  }
  try {
    return await work;
  } finally {
    clearInterval(timer);
    if (mode === 'line') process.stderr.write('\r\u001b[K');
  }
}
