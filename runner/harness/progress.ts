// What the harness tells the judge while a hidden test waits on the learner's code: each call into it
// as it starts and ends (a function, the import of a file, a request to their app) and each epoch of
// training the solution host saw. The judge names a call still running when a time limit stops it, and
// kata draws it on the live line. Hidden test files run in worker threads of the judge process: a
// BroadcastChannel reaches its main thread (runner/judge/child.ts), which forwards to kata.
import { BroadcastChannel, threadId } from 'node:worker_threads';
import { expect, TestRunner } from 'vitest';
import { progressChannel, type GradeProgress } from '../judge/job.js';

let channel: BroadcastChannel | undefined;
let nextCall = 1;

function post(message: GradeProgress): void {
  try {
    if (!channel) {
      channel = new BroadcastChannel(progressChannel);
      // Posting must never keep a worker alive.
      channel.unref();
    }
    channel.postMessage(message);
  } catch {
    /* progress is for show: never fail a test over it */
  }
}

/** The running test file (absolute; the judge makes it relative) and test, where vitest says. */
function where(): { file: string; test?: string } {
  try {
    return { file: expect.getState().testPath ?? '', test: TestRunner.getCurrentTest()?.fullTestName };
  } catch {
    return { file: '' };
  }
}

/** Marks the start of a call into the learner's code; call the returned function when it settles. */
export function callStarted(name: string): (options?: { abandoned?: boolean }) => void {
  const id = `${threadId}:${nextCall++}`;
  post({ call: { id, ...where(), name, startedAt: Date.now() } });
  let ended = false;
  return ({ abandoned = false } = {}) => {
    if (ended) return;
    ended = true;
    post({ callEnded: { id, abandoned } });
  };
}

/** An epoch the solution host reported; the values come from the learner's process, so they are checked. */
export function epochEnded(event: { epoch?: unknown; epochs?: unknown; loss?: unknown }): void {
  const count = (value: unknown) => (typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined);
  const epoch = count(event?.epoch);
  if (epoch === undefined) return;
  const loss = typeof event.loss === 'number' && Number.isFinite(event.loss) ? event.loss : undefined;
  post({ epoch: { file: where().file, epoch, epochs: count(event.epochs), loss } });
}

/** How a call reads to a person: `train()`, `app.predict()`. */
export function callName(path: string[]): string {
  return `${path.length ? path.join('.') : 'your function'}()`;
}

/** "GET /routes?limit=5" from the first bytes of an HTTP request, or undefined if they are not its start. */
export function requestName(chunk: Buffer): string | undefined {
  const line = /^([A-Z]{3,7}) (\S{1,2000}) HTTP\/1\.[01]\r?\n/.exec(chunk.subarray(0, 2100).toString('latin1'));
  if (!line) return undefined;
  const target = line[2].length > 80 ? `${line[2].slice(0, 80)}…` : line[2];
  return `your app's ${line[1]} ${target}`;
}
