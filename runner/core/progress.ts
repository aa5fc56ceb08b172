// What is known of a suite run while it goes, from the progress its child sends (judge/job.ts):
// tests collected, finished and running, the hook running, the calls into the learner's code still
// in flight (or abandoned when their test gave up on them), and the training under way. The verdict
// reads it when a run ends without a report; the live line reads it as the run goes.
import type { GradeProgress, LearnerCall, ReportedTest, RunningTest } from '../judge/job.js';

export interface Progress {
  finished: ReportedTest[];
  running?: RunningTest;
  /** Tests collected per file. */
  collected?: Map<string, number>;
  /** The hook running, if any (the last one started). */
  hook?: { file: string; name: string };
  /** Calls into the learner's code the judge is waiting on, in the order they started. */
  calls?: Map<string, LearnerCall>;
  /** Calls still running when their host was closed: the test or hook that made them gave up waiting. */
  abandoned?: (LearnerCall & { ms: number })[];
  /** The fit() under way (or last seen): its epochs so far. */
  training?: { file: string; epoch: number; epochs?: number; losses: number[]; firstAt: number; lastAt: number };
}

export function newProgress(): Progress {
  return { finished: [], collected: new Map(), calls: new Map(), abandoned: [] };
}

/** Folds one progress message into what is known. */
export function applyProgress(progress: Progress, message: GradeProgress, now = Date.now()): void {
  const calls = (progress.calls ??= new Map());
  if ('started' in message) progress.running = message.started;
  else if ('finished' in message) progress.finished.push(message.finished);
  else if ('collected' in message) (progress.collected ??= new Map()).set(message.collected.file, message.collected.tests);
  else if ('hook' in message) {
    const { file, name, ended } = message.hook;
    if (!ended) progress.hook = { file, name };
    else if (progress.hook?.file === file && progress.hook.name === name) progress.hook = undefined;
  } else if ('call' in message) calls.set(message.call.id, message.call);
  else if ('callEnded' in message) {
    const call = calls.get(message.callEnded.id);
    calls.delete(message.callEnded.id);
    if (call && message.callEnded.abandoned) (progress.abandoned ??= []).push({ ...call, ms: now - call.startedAt });
  } else if ('epoch' in message) {
    const { file, epoch, epochs, loss } = message.epoch;
    // A new fit() starts again at epoch 1.
    if (!progress.training || epoch <= progress.training.epoch || progress.training.file !== file) progress.training = { file, epoch, epochs, losses: [], firstAt: now, lastAt: now };
    progress.training.epoch = epoch;
    progress.training.lastAt = now;
    progress.training.epochs = epochs;
    if (loss !== undefined) progress.training.losses.push(loss);
  }
}

/** The calls still in flight, oldest first: the one a test is stuck on. */
export function callsInFlight(progress: Progress | undefined): LearnerCall[] {
  return [...(progress?.calls?.values() ?? [])].sort((a, b) => a.startedAt - b.startedAt);
}

/** The training under way and the call that is doing it: the last one to start before its first epoch. */
export function trainingNow(progress: Progress | undefined): { call: LearnerCall; training: NonNullable<Progress['training']> } | undefined {
  const training = progress?.training;
  if (!training) return undefined;
  const call = callsInFlight(progress)
    .filter((c) => c.file === training.file && c.startedAt <= training.firstAt)
    .pop();
  return call ? { call, training } : undefined;
}

/** The test last started, unless it has ended since. */
export function stillRunning(progress: Progress | undefined): RunningTest | undefined {
  const running = progress?.running;
  if (!running) return undefined;
  const ended = progress.finished.some((t) => t.suite === running.suite && t.file === running.file && t.fullName === running.fullName);
  return ended ? undefined : running;
}
