// The judge's side of the solution host: hidden suites load the learner's module through here and get
// remote objects back. Calls are async; arguments and results cross as structured clones; tensors come
// back as { dtype, shape, values } with an id; what cannot cross (a model, an Express app, a database)
// comes back as a remote object whose methods and properties can be called and read. Two transports, one
// suite: a sandboxed child process for grading (the default), or the same host runtime in this process
// (KATA_HARNESS_TRANSPORT=inprocess) for authors and mutation testing.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve, sep } from 'node:path';
import { createBirpc, type BirpcReturn } from 'birpc';
import { detectIsolation, type Isolation } from '../core/isolation.js';
import { MARK, deserializeMessage, isMarked, type Encoded, type HostFunctions, type JudgeFunctions } from '../host/protocol.js';
import { HostRuntime } from '../host/runtime.js';
import { hostHeapMb, leaseHostProcess, spawnHostProcess, type HostOptions, type HostProcess } from './host-process.js';
import { callName, callStarted, epochEnded, requestName } from './progress.js';

export { hostHeapMb };
/** What is kept of the host's own output (console.log of the learner's code), in all. */
const outputCap = 1_000_000;

const REF = Symbol('kata.remote');

function solutionDir(): string {
  const dir = process.env.KATA_SOLUTION_DIR;
  if (!dir) throw new Error('KATA_SOLUTION_DIR is not set: run the tests through `kata test`.');
  return dir;
}

/** A tensor of the learner's tfjs, as it was when it crossed: values in row-major order. */
export class RemoteTensor {
  readonly [REF]: { id: number; path: string[] };
  constructor(
    private readonly host: Host,
    readonly id: number,
    readonly dtype: string,
    readonly shape: number[],
    /** null when the tensor had already been disposed. */
    readonly values: unknown[] | null,
  ) {
    this[REF] = { id, path: [] };
  }

  /** The values as nested arrays, like tensor.arraySync(). */
  array(): any {
    if (!this.values) throw new Error('this tensor was disposed before it crossed');
    const values = this.values;
    const build = (dim: number, offset: number): unknown => {
      if (dim === this.shape.length) return values[offset];
      const stride = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, offset + i * stride));
    };
    return this.shape.length === 0 ? values[0] : build(0, 0);
  }

  /** Whether the learner's code has disposed it since (asked now). */
  async isDisposed(): Promise<boolean> {
    return (await this.host.rpc.read(this.id, ['isDisposed'])) as boolean;
  }

  /** Its values now (a new snapshot). */
  async refresh(): Promise<RemoteTensor> {
    return (await this.host.decode(await this.host.rpc.read(this.id, []))) as RemoteTensor;
  }

  async dispose(): Promise<void> {
    await this.host.rpc.invoke(this.id, ['dispose'], []);
  }
}

/** A served app: real HTTP on 127.0.0.1 (proxied to the host's socket), or the socket itself. */
export interface ServedApp {
  url: string;
  /** The host's own socket: for raw HTTP clients that need to see backpressure without a proxy between. */
  socketPath: string;
  close(): Promise<void>;
}

/** Any remote object: call its methods, read a property with `.$get()`. Typed loosely on purpose. */
export type Remote = any;

export interface HostUsage {
  /** CPU time of every process of the host so far, user + system. */
  cpuMs: number;
  rssBytes: number;
  /** 'outside': read by the judge from /proc; 'host': reported by the host itself (no /proc here). */
  source: 'outside' | 'host';
}

type Rpc = Pick<HostFunctions, keyof HostFunctions>;

/** The learner's process, seen from the judge. */
export class Host {
  /** Which transport and which sandbox this host runs in. */
  readonly isolation: Isolation | { kind: 'in-process'; detail: string };
  rpc!: Rpc;
  private process?: HostProcess;
  private readonly callbacks = new Map<number, (...args: unknown[]) => unknown>();
  private nextCallback = 1;
  private readonly proxies = new Set<{ server: Server; sockets: Set<Socket> }>();
  private ended?: string;
  private closing = false;
  private outputKept = 0;
  private exitInfo?: { code: number | string; where: string };
  private stderrTail = '';
  /** Calls into the learner's code still running (ended as abandoned when the host closes). */
  private readonly calls = new Set<ReturnType<typeof callStarted>>();

  private constructor(
    readonly kataDir: string,
    /** The host's writable temp folder: copies of fixture databases go here. */
    readonly tempDir: string,
    isolation: Host['isolation'],
  ) {
    this.isolation = isolation;
  }

  /**
   * Starts a fresh host for the learner's kata folder: leased from the judge's pool of hosts started
   * ahead of time (when the suite runs in a judge), or started now. With `env` or `heapMb`, the host is
   * always started now (a pooled host's are fixed); the in-process transport has no process of its own
   * and ignores both.
   */
  static async start(options: HostOptions & { kataDir?: string } = {}): Promise<Host> {
    const kataDir = realpathSync(options.kataDir ?? solutionDir());
    if (process.env.KATA_HARNESS_TRANSPORT === 'inprocess') {
      const host = new Host(kataDir, realpathSync(mkdtempSync(join(tmpdir(), 'kata-host-'))), { kind: 'in-process', detail: 'in-process transport (authors, mutation testing): not sandboxed' });
      host.startInProcess();
      return host;
    }
    const { env = {}, heapMb } = options;
    const own = Object.keys(env).length > 0 || heapMb !== undefined;
    const child = (!own && (await leaseHostProcess(kataDir))) || spawnHostProcess(kataDir, detectIsolation(), { env, heapMb });
    const host = new Host(kataDir, child.tempDir, child.isolation);
    await host.attach(child);
    return host;
  }

  private judgeFunctions(): JudgeFunctions {
    return {
      callback: async (id, args) => {
        const fn = this.callbacks.get(id);
        if (!fn) throw new Error(`kata harness: no callback #${id}`);
        return this.encode(await fn(...args.map((arg) => this.decode(arg))));
      },
      problem: (kind, message) => this.problem(kind, message),
      training: (event) => epochEnded(event),
    };
  }

  /** Runs `work` as a call into the learner's code that the judge can see (progress.ts). */
  private async tracked<T>(name: string, work: () => Promise<T>): Promise<T> {
    const end = callStarted(name);
    this.calls.add(end);
    try {
      return await work();
    } finally {
      this.calls.delete(end);
      end();
    }
  }

  /** Something the learner's code did outside any call: fails the run as an error outside the tests. */
  private problem(kind: 'uncaught' | 'rejection' | 'exit', message: string): void {
    const text = kind === 'rejection' ? `a rejection nobody handled in your code: ${message}` : kind === 'uncaught' ? `an exception thrown outside any call into your code (from a timer or a callback?): ${message}` : message;
    const error = new Error(text);
    error.stack = text;
    // Thrown on its own turn, so vitest records it as an unhandled error of the run.
    setTimeout(() => {
      throw error;
    });
  }

  private startInProcess(): void {
    const runtime = new HostRuntime(this.judgeFunctions(), this.tempDir, this.kataDir);
    const cross = <T>(value: T): T => structuredClone(value);
    this.rpc = new Proxy({} as Rpc, {
      get: (_, name: keyof Rpc) => async (...args: unknown[]) =>
        cross(await (runtime[name] as (...a: unknown[]) => Promise<unknown>).apply(runtime, cross(args))),
    });
  }

  private async attach(child: HostProcess): Promise<void> {
    this.process = child;
    const forward = (text: string, write: (text: string) => void) => {
      if (this.outputKept >= outputCap) return;
      const kept = text.slice(0, outputCap - this.outputKept);
      this.outputKept += kept.length;
      write(kept.replace(/\n$/, ''));
    };
    let onMessage: (data: unknown) => void = () => undefined;
    const rpc: BirpcReturn<HostFunctions, JudgeFunctions> = createBirpc<HostFunctions, JudgeFunctions>(this.judgeFunctions(), {
      post: (data) => child.send(data),
      on: (fn) => (onMessage = fn),
      eventNames: [],
      timeout: -1,
      deserialize: deserializeMessage,
    });
    this.rpc = rpc;
    let started = false;
    let ready!: () => void;
    let failed!: (error: Error) => void;
    const start = new Promise<void>((ok, fail) => ((ready = ok), (failed = fail)));
    child.onEvent((event) => {
      if (event.kind === 'stdout' || event.kind === 'stderr') {
        if (event.kind === 'stderr') this.stderrTail = (this.stderrTail + event.text).slice(-4000);
        forward(event.text, event.kind === 'stdout' ? (text) => console.log(text) : (text) => console.error(text));
      } else if (event.kind === 'message') {
        const message = event.data as { kataReady?: boolean; kataExit?: { code: number | string; where: string } };
        if (message?.kataReady) ready();
        else if (message?.kataExit) this.exitInfo = message.kataExit;
        else onMessage(event.data);
      } else if (event.kind === 'failed') failed(new Error(event.message));
      else {
        this.ended = this.describeExit(event.code, event.signal);
        rpc.$close(new Error(this.ended));
        // Before it was ready the start itself fails; after, an exit nobody asked for fails the run.
        if (started && !this.closing) this.problem('exit', this.ended);
        failed(new Error(this.ended));
        child.release();
      }
    });
    await start;
    started = true;
  }

  private describeExit(code: number | null, signal: string | null): string {
    if (this.exitInfo) return `your code called process.exit(${this.exitInfo.code}): the solution host ended\n${this.exitInfo.where}`;
    if (/JavaScript heap out of memory|Reached heap limit/.test(this.stderrTail)) {
      return `your code ran out of memory: the solution host's heap is capped at ${this.process?.heapMb ?? hostHeapMb} MB`;
    }
    return `the solution host ended unexpectedly (${signal ? `signal ${signal}` : `exit ${code}`})${this.stderrTail ? `:\n${this.stderrTail.trim().split('\n').slice(-6).join('\n')}` : ''}`;
  }

  /** Host values → judge values: tensors and remote objects. */
  decode(value: unknown): unknown {
    if (value === null || typeof value !== 'object') return value;
    if (isMarked(value)) {
      const encoded = value as Encoded;
      if (encoded[MARK] === 'tensor') return new RemoteTensor(this, encoded.id, encoded.dtype, encoded.shape, encoded.values);
      if (encoded[MARK] === 'handle') return this.remote(encoded.id, [], encoded.type);
      throw new Error(`kata harness: unexpected ${encoded[MARK]} from the host`);
    }
    if (Array.isArray(value)) return value.map((item) => this.decode(item));
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value;
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.decode(item)]));
  }

  /** Judge values → what the host decodes: remote objects as refs, functions as callbacks. */
  encode(value: unknown): unknown {
    if (value === null || value === undefined) return value;
    if ((typeof value === 'object' || typeof value === 'function') && REF in (value as object)) {
      const ref = (value as { [REF]: { id: number; path: string[] } })[REF];
      return { [MARK]: 'ref', id: ref.id, path: ref.path };
    }
    if (typeof value === 'function') {
      const id = this.nextCallback++;
      this.callbacks.set(id, value as (...args: unknown[]) => unknown);
      return { [MARK]: 'callback', id };
    }
    if (typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((item) => this.encode(item));
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value;
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.encode(item)]));
  }

  /** A remote object or member: call it, or `.$get()` its value; passed back to the host it is the host's own. */
  remote(id: number, path: string[], type = 'object'): Remote {
    const target = function remote() {};
    return new Proxy(target, {
      has: (_, prop) => prop === REF,
      get: (_, prop) => {
        if (prop === REF) return { id, path };
        if (prop === 'then' || typeof prop === 'symbol') return undefined;
        if (prop === '$get') return async () => this.decode(await this.rpc.read(id, path));
        if (prop === '$type') return type;
        if (prop === '$host') return this;
        return this.remote(id, [...path, prop]);
      },
      apply: async (_, __, args: unknown[]) => this.decode(await this.tracked(callName(path), () => this.rpc.invoke(id, path, args.map((arg) => this.encode(arg))))),
    });
  }

  /** Imports a file of the learner's kata folder (`src/app.ts`) and returns its exports, remote. */
  async load(file: string): Promise<Remote> {
    const path = resolve(this.kataDir, file);
    if (!existsSync(path)) throw new Error(`expected your solution to have ${file}, but it is missing`);
    const real = realpathSync(path);
    if (real !== path && !real.startsWith(this.kataDir + sep)) {
      throw new Error(`${file} points outside your kata folder (to ${real}): your solution must be files of your own in it`);
    }
    return this.decode(await this.tracked(`importing ${file}`, () => this.rpc.import(path)));
  }

  /** Imports a package as the learner's code sees it (e.g. the learner's own '@tensorflow/tfjs'). */
  async import(specifier: string): Promise<Remote> {
    return this.decode(await this.rpc.import(specifier));
  }

  /** A tensor created by the learner's tfjs (e.g. inputs for their functions); dispose it when done. */
  async tensor(values: unknown, shape?: number[], dtype?: string): Promise<RemoteTensor> {
    const tf = await this.import('@tensorflow/tfjs');
    return (await tf.tensor(values, shape, dtype)) as RemoteTensor;
  }

  /** tf.memory() of the learner's tfjs (null when their code never loaded it). */
  async memory(): Promise<{ numTensors: number; numBytes: number } | null> {
    return this.rpc.memory();
  }

  /** Serves a remote Express app: the judge talks real HTTP to it. */
  async serve(app: Remote | Promise<Remote>): Promise<ServedApp> {
    const resolved = await app;
    const ref = resolved?.[REF] as { id: number; path: string[] } | undefined;
    if (!ref) throw new Error(`expected an Express app, got ${typeof resolved === 'object' ? JSON.stringify(resolved)?.slice(0, 100) : String(resolved)}`);
    if (ref.path.length) throw new Error('serve() takes an app returned by your code, not a member of it');
    const socketPath = await this.rpc.serve(ref.id);
    const sockets = new Set<Socket>();
    // The judge's end: each connection on 127.0.0.1 is piped to the host's socket, both ways, and a hang-up
    // on either side ends the other (a client that goes away mid-stream is seen by the app).
    // Once the host has ended (or cannot be reached), each request gets a 502 that says why: a bare reset
    // before any answer would make an HTTP client retry, or wait, instead of failing with a reason.
    const unreachable = (client: Socket, cause: string) => {
      const text = `kata: your app could not be reached (${cause})${this.ended ? `: ${this.ended}` : ''}`;
      client.end(`HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
    };
    const server = createServer((client) => {
      sockets.add(client);
      client.on('close', () => sockets.delete(client));
      client.on('error', () => client.destroy());
      if (this.ended) return unreachable(client, 'the solution host has ended');
      const upstream = connect(socketPath);
      sockets.add(upstream);
      client.on('close', () => upstream.destroy());
      upstream.on('error', () => undefined);
      const finish = (graceful: boolean) => {
        sockets.delete(upstream);
        if (client.destroyed || client.writableEnded) return;
        if (!upstream.bytesRead) unreachable(client, 'the connection closed before any answer');
        else if (graceful) client.end();
        else client.destroy();
      };
      upstream.on('end', () => finish(true));
      upstream.on('close', () => finish(false));
      // Each request, from its first bytes to the first bytes of the answer, is a call the judge waits on.
      let request: ReturnType<typeof callStarted> | undefined;
      const answered = () => {
        if (request) this.calls.delete(request);
        request?.();
        request = undefined;
      };
      client.on('data', (chunk: Buffer) => {
        const name = request ? undefined : requestName(chunk);
        if (!name) return;
        request = callStarted(name);
        this.calls.add(request);
      });
      upstream.on('data', answered);
      upstream.on('close', answered);
      client.pipe(upstream);
      upstream.pipe(client, { end: false });
    });
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(0, '127.0.0.1', () => ok());
    });
    const proxy = { server, sockets };
    this.proxies.add(proxy);
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      socketPath,
      close: async () => {
        this.proxies.delete(proxy);
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((ok) => server.close(() => ok()));
        if (!this.ended) await this.rpc.unserve(socketPath);
      },
    };
  }

  /** A copy of a fixture file in the host's temp folder, which the learner's code may write. */
  copyFixture(name: string, fixturesDir = process.env.KATA_FIXTURES_DIR): string {
    if (!fixturesDir) throw new Error('KATA_FIXTURES_DIR is not set: run the tests through `kata test`.');
    const from = join(fixturesDir, name);
    if (!existsSync(from)) throw new Error(`fixture ${name} is missing from ${fixturesDir}: rebuild it with \`npm run fixtures\``);
    const to = join(mkdtempSync(join(this.tempDir, 'db-')), basename(name));
    copyFileSync(from, to);
    return to;
  }

  /** Opens a better-sqlite3 database in the host, for the learner's code: a fixture read-only, or a copy. */
  async openDb(file: string, options: { readonly?: boolean } = {}): Promise<Remote> {
    return this.decode(await this.rpc.openDb({ file, readonly: options.readonly }));
  }

  /** One of the host's instruments: 'clock' (start), 'recorder', 'db-probe' (db). See runner/host/instruments.ts. */
  async instrument(kind: 'clock' | 'recorder' | 'db-probe', ...args: unknown[]): Promise<Remote> {
    return this.decode(await this.rpc.instrument(kind, args.map((arg) => this.encode(arg))));
  }

  /** CPU time and memory of the host, measured from outside it where the OS allows (Linux /proc). */
  async usage(): Promise<HostUsage> {
    const pid = this.process?.pid;
    if (pid !== undefined && process.platform === 'linux') {
      const tree = processTree(pid);
      if (tree.length) {
        let ticks = 0;
        let rssPages = 0;
        for (const p of tree) {
          ticks += p.utime + p.stime;
          rssPages += p.rssPages;
        }
        return { cpuMs: (ticks * 1000) / 100, rssBytes: rssPages * 4096, source: 'outside' };
      }
    }
    return { ...(await this.rpc.selfUsage()), source: 'host' };
  }

  private closeProxies(): void {
    for (const proxy of this.proxies) {
      for (const socket of proxy.sockets) socket.destroy();
      proxy.server.close();
    }
    this.proxies.clear();
  }

  /** Whether the host is still running (false after a crash, process.exit or close). */
  get running(): boolean {
    return this.ended === undefined;
  }

  /** Ends the host (closing its servers) and waits for it; throws if it had already ended on its own. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const end of this.calls) end({ abandoned: true });
    this.closeProxies();
    const endedBefore = this.ended;
    const child = this.process;
    let left: { servers: number; processes: number } | undefined;
    try {
      if (child && !endedBefore) {
        const exited = new Promise<void>((ok) => (child.exited ? ok() : child.onEvent((event) => event.kind === 'exit' && ok())));
        left = await Promise.race([this.rpc.shutdown().catch(() => undefined), new Promise<undefined>((ok) => setTimeout(ok, 2000))]);
        const timer = setTimeout(() => child.kill(), 2000);
        await exited;
        clearTimeout(timer);
      } else if (!child) {
        left = await this.rpc.shutdown();
      }
    } finally {
      rmSync(this.tempDir, { recursive: true, force: true });
    }
    if (endedBefore) throw new Error(endedBefore);
    // What was left running is ended with the host; a correct solution cleans up after itself.
    if (left?.processes) {
      throw new Error(`your code started ${left.processes} process(es) that were still running after the tests; they were killed. Wait for (or kill) every process you start.`);
    }
    if (left?.servers && this.isolation.kind !== 'in-process') {
      throw new Error(`your code left ${left.servers} server(s) listening after the tests: close every server you start (the tests serve your app themselves)`);
    }
  }
}

interface ProcStat {
  pid: number;
  ppid: number;
  utime: number;
  stime: number;
  rssPages: number;
}

/** `root` and its live descendants, from /proc (CPU times in clock ticks of 1/100 s). */
function processTree(root: number): ProcStat[] {
  const all: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      all.push({ pid: Number(entry), ppid: Number(fields[1]), utime: Number(fields[11]), stime: Number(fields[12]), rssPages: Number(fields[21]) });
    } catch {
      /* exited meanwhile */
    }
  }
  const tree: ProcStat[] = [];
  const wanted = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of all) {
      if (!tree.includes(p) && (wanted.has(p.pid) || wanted.has(p.ppid))) {
        tree.push(p);
        wanted.add(p.pid);
        grew = true;
      }
    }
  }
  return tree;
}

/** What a hidden suite gets from loadSolution: the learner's module (remote) and its host. */
export interface Solution {
  module: Remote;
  host: Host;
}

/**
 * Starts a fresh solution host and loads a file of the learner's kata folder in it:
 * `const { module, host } = await loadSolution('src/app.ts')` in beforeAll, `await host.close()` in afterAll.
 */
export async function loadSolution(file: string, options: HostOptions & { host?: Host } = {}): Promise<Solution> {
  const { host: given, ...hostOptions } = options;
  const host = given ?? (await Host.start(hostOptions));
  try {
    return { module: await host.load(file), host };
  } catch (error) {
    if (!given) await host.close().catch(() => undefined);
    throw error;
  }
}
