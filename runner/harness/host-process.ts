// The solution host as a process, seen from the judge: its IPC messages, its output and its exit, as
// one stream of events. Two ways to get one:
//  - spawnHostProcess: started here and now (the sandbox wraps it where the OS has one);
//  - leaseHostProcess: taken from the judge's pool (runner/judge/host-pool.ts), which starts hosts ahead
//    of time in its main thread, before their run wants them, and relays their events to the worker
//    thread that runs the test file. A pooled host has loaded nothing of the learner's yet: it is as
//    fresh as one started on demand, only its start (node, tsx, the kata's packages) is off the clock.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { hiddenFromLearner, sandboxed, type Isolation } from '../core/isolation.js';
import { distDir } from '../core/paths.js';

/** The compiled host entry, beside the compiled harness in dist/runner. */
const hostEntry = join(distDir, 'runner', 'host', 'main.js');
/** The heap cap of the learner's process (a hidden suite may start a host with a smaller one: `heapMb`). */
export const hostHeapMb = 512;
/** Set in the judge's environment when its pool serves leases. */
export const POOL_ENV = 'KATA_HOST_POOL';
/** The pool's request channel; each lease then has a channel of its own. */
export const POOL_CHANNEL = 'kata-host-pool';

/** The events of a host process, in the order they happened. */
export type HostEvent =
  | { kind: 'message'; data: unknown }
  | { kind: 'stdout'; text: string }
  | { kind: 'stderr'; text: string }
  | { kind: 'exit'; code: number | null; signal: string | null }
  | { kind: 'failed'; message: string };

export interface HostProcess {
  readonly pid: number | undefined;
  /** The sandbox it runs in. */
  readonly isolation: Isolation;
  /** The host's writable temp folder (its TMPDIR; copies of fixture databases go here). */
  readonly tempDir: string;
  /** Its JavaScript heap cap (--max-old-space-size), in MB. */
  readonly heapMb: number;
  readonly exited: boolean;
  /** Settles when the process has ended. */
  readonly ended: Promise<void>;
  /** Every event, including those that happened before this listener was added. */
  onEvent(listener: (event: HostEvent) => void): void;
  send(data: unknown): void;
  kill(): void;
  /** Lets go of the channel to the host (the host itself is ended by `kill` or its own shutdown). */
  release(): void;
}

/** The folders the learner's code may not see: the catalogs (the grader names the one in use) and the grading data. */
export function forbiddenDirs(kataDir: string): string[] {
  return hiddenFromLearner(kataDir, (process.env.KATA_HIDE_DIRS ?? '').split(':').filter(Boolean));
}

/** Packages the host imports before it is ready, so that the learner's import of them is warm. */
function preloads(): string[] {
  try {
    const list = JSON.parse(process.env.KATA_HOST_PRELOAD ?? '[]') as unknown;
    return Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    return [];
  }
}

/** Buffers events until a listener is added, then hands them on as they come. */
class EventLog {
  private readonly emitter = new EventEmitter();
  private readonly backlog: HostEvent[] = [];
  private listening = false;

  push(event: HostEvent): void {
    if (this.listening) this.emitter.emit('event', event);
    else this.backlog.push(event);
  }

  listen(listener: (event: HostEvent) => void): void {
    this.emitter.on('event', listener);
    this.listening = true;
    for (const event of this.backlog.splice(0)) listener(event);
  }
}

/** What a hidden suite may change in a host it starts itself (loadSolution's options). */
export interface HostOptions {
  /**
   * Added to the host's environment (`{ TZ: 'America/New_York' }`); it cannot replace the variables the
   * harness sets itself (TMPDIR, NO_COLOR, KATA_*).
   */
  env?: Record<string, string>;
  /**
   * The JavaScript heap cap in MB (default hostHeapMb): how a suite grades "memory stays bounded". Such a
   * host preloads nothing, so the heap is what the learner's code takes.
   */
  heapMb?: number;
}

/** Starts a solution host for `kataDir` in this process, sandboxed as `isolation` allows. */
export function spawnHostProcess(kataDir: string, isolation: Isolation, options: HostOptions = {}): HostProcess {
  const tempDir = realpathSync(mkdtempSync(join(tmpdir(), 'kata-host-')));
  const forbidden = forbiddenDirs(kataDir);
  const heapMb = options.heapMb ?? hostHeapMb;
  const extraEnv = options.env ?? {};
  const command = sandboxed([process.execPath, `--max-old-space-size=${heapMb}`, hostEntry], { writable: [kataDir, tempDir], hidden: forbidden }, isolation);
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => (!key.startsWith('KATA_') || key === 'KATA_GRADE_RUN') && !key.startsWith('VITEST') && key !== 'NODE_OPTIONS')),
    ...command.env,
    ...Object.fromEntries(Object.entries(extraEnv).filter(([key]) => !key.startsWith('KATA_'))),
    TMPDIR: tempDir,
    NO_COLOR: '1',
    // A capped heap is the learner's code's alone: nothing is preloaded into it (tfjs alone takes tens of MB).
    KATA_HOST_CONFIG: JSON.stringify({ kataDir, tempDir, forbidden, preload: options.heapMb === undefined ? preloads() : [] }),
  };
  const child = spawn(command.file, command.args, {
    cwd: kataDir,
    env,
    // stdin is the host's lifeline: it ends when this process does, however it ends.
    stdio: ['pipe', 'pipe', 'pipe', 'ipc'],
    serialization: 'advanced',
  });
  const log = new EventLog();
  child.stdout!.on('data', (chunk: Buffer) => log.push({ kind: 'stdout', text: chunk.toString('utf8') }));
  child.stderr!.on('data', (chunk: Buffer) => log.push({ kind: 'stderr', text: chunk.toString('utf8') }));
  child.on('message', (data) => log.push({ kind: 'message', data }));
  child.once('error', (error) => log.push({ kind: 'failed', message: `the solution host did not start: ${error.message}` }));
  child.once('exit', (code, signal) => log.push({ kind: 'exit', code, signal }));
  const ended = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  return {
    ended,
    get pid() {
      return child.pid;
    },
    isolation,
    tempDir,
    heapMb,
    get exited() {
      return child.exitCode !== null || child.signalCode !== null;
    },
    onEvent: (listener) => log.listen(listener),
    send: (data) => {
      if (child.connected) child.send(data as object);
    },
    kill: () => child.kill('SIGKILL'),
    release: () => undefined,
  };
}

let leases = 0;

/** What the pool answers a lease with, then the host's events one by one. */
export type LeaseReply = { leased: { pid: number | undefined; tempDir: string; isolation: Isolation } } | { event: HostEvent };
/** What the lessee sends the pool on its lease's channel. */
export type LeaseRequest = { send: unknown } | { kill: true } | { release: true };

/** A host from the judge's pool, when this thread runs inside a judge that has one. */
export async function leaseHostProcess(kataDir: string): Promise<HostProcess | undefined> {
  if (!process.env[POOL_ENV]) return undefined;
  const id = `${process.pid}:${threadId}:${++leases}`;
  const channel = new BroadcastChannel(`${POOL_CHANNEL}:${id}`);
  // A host the suite never closes must not keep its test file's worker alive (the pool ends it).
  (channel as unknown as { unref(): void }).unref();
  const log = new EventLog();
  let exited = false;
  let onExit!: () => void;
  const ended = new Promise<void>((resolve) => (onExit = resolve));
  const leased = new Promise<{ pid: number | undefined; tempDir: string; isolation: Isolation }>((resolve) => {
    channel.onmessage = (message) => {
      const reply = (message as MessageEvent<LeaseReply>).data;
      if ('leased' in reply) return resolve(reply.leased);
      if (reply.event.kind === 'exit' || reply.event.kind === 'failed') {
        exited = reply.event.kind === 'exit';
        onExit();
      }
      log.push(reply.event);
    };
  });
  const pool = new BroadcastChannel(POOL_CHANNEL);
  pool.postMessage({ lease: id, kataDir });
  pool.close();
  const { pid, tempDir, isolation } = await leased;
  const post = (request: LeaseRequest) => channel.postMessage(request);
  return {
    ended,
    pid,
    isolation,
    tempDir,
    // The pool starts its hosts with the default cap.
    heapMb: hostHeapMb,
    get exited() {
      return exited;
    },
    onEvent: (listener) => log.listen(listener),
    send: (data) => post({ send: data }),
    kill: () => post({ kill: true }),
    release: () => {
      post({ release: true });
      channel.close();
    },
  };
}

/** The bare packages a kata's own sources import (its starter and reference): what a pooled host preloads. */
export function packagesImportedBy(files: string[]): string[] {
  const found = new Set<string>();
  for (const file of files) {
    if (!existsSync(file)) continue;
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/\bfrom\s+['"]([^'"./][^'"]*)['"]/g)) {
      if (!specifier.startsWith('node:')) found.add(specifier);
    }
  }
  return [...found].sort();
}
