// The solution host's side of the RPC: it holds every object that cannot cross (models, apps, database
// handles) under a numeric id and answers the judge's calls on them. The same class serves both
// transports: in its own sandboxed process for grading, and inside the suite for authors and mutation
// testing, so a hidden suite behaves alike on either.
import { createServer, type RequestListener, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { instruments } from './instruments.js';
import { MARK, isMarked, type DbDescriptor, type Encoded, type HostFunctions, type JudgeFunctions } from './protocol.js';
import { trainingReporter } from './training.js';

type Tensorish = { dtype: string; shape: number[]; dataSync(): ArrayLike<unknown>; isDisposed: boolean; dispose(): void };

const isTensor = (value: unknown): value is Tensorish =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Tensorish).dataSync === 'function' &&
  Array.isArray((value as Tensorish).shape) &&
  typeof (value as Tensorish).dtype === 'string' &&
  'isDisposed' in value;

const isPlainObject = (value: object) => {
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && (value as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] !== 'Module';
};

/** Values structured clone copies faithfully (as opposed to class instances, whose prototype it drops). */
const cloneable = (value: object) =>
  value instanceof Date ||
  value instanceof RegExp ||
  value instanceof Error ||
  value instanceof ArrayBuffer ||
  ArrayBuffer.isView(value);

/**
 * Processes the learner's code started that still run, where the host is PID 1 of its own namespace (the
 * sandbox): every other process there is theirs, except tsx's esbuild service. They die with the host.
 */
function leftoverProcesses(): number {
  if (process.platform !== 'linux' || process.pid !== 1) return 0;
  let count = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || entry === '1') continue;
    try {
      if (readlinkSync(`/proc/${entry}/exe`).includes(`${sep}@esbuild${sep}`)) continue;
      if (readFileSync(`/proc/${entry}/stat`, 'utf8').includes(') Z ')) continue;
      count++;
    } catch {
      /* ended meanwhile */
    }
  }
  return count;
}

export class HostRuntime implements HostFunctions {
  private readonly objects = new Map<number, unknown>();
  private readonly servers = new Map<string, { server: Server; sockets: Set<Socket> }>();
  private nextId = 1;
  private serveCount = 0;
  private readonly training: ReturnType<typeof trainingReporter>;

  constructor(
    private readonly judge: Pick<JudgeFunctions, 'callback' | 'training'>,
    /** Where the host may write: its temp folder (sockets for served apps). */
    private readonly tempDir: string,
    /** Resolves package imports as the learner's code does (from the kata folder). */
    private readonly resolveFrom: string,
  ) {
    this.training = trainingReporter(resolveFrom, (event) => void this.judge.training(event));
  }

  private keep(value: unknown): number {
    const id = this.nextId++;
    this.objects.set(id, value);
    return id;
  }

  private lookup(id: number, path: string[]): { holder: unknown; value: unknown } {
    if (!this.objects.has(id)) throw new Error(`kata harness: no remote object #${id} (it belongs to another run)`);
    let holder: unknown;
    let value = this.objects.get(id);
    for (const key of path) {
      if (value === null || value === undefined) throw new TypeError(`cannot read "${key}" of ${value} (at ${path.join('.')})`);
      holder = value;
      value = (value as Record<string, unknown>)[key];
    }
    return { holder, value };
  }

  /** Turns a host value into what crosses: data as it is, tensors as values plus an id, the rest as handles. */
  encode(value: unknown, seen = new Map<object, unknown>()): unknown {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return value;
    if (seen.has(value as object)) return seen.get(value as object);
    if (isTensor(value)) {
      const encoded: Encoded = {
        [MARK]: 'tensor',
        id: this.keep(value),
        dtype: value.dtype,
        shape: [...value.shape],
        values: value.isDisposed ? null : Array.from(value.dataSync()),
      };
      seen.set(value, encoded);
      return encoded;
    }
    if (typeof value === 'object' && cloneable(value)) return value;
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      seen.set(value, out);
      for (const item of value) out.push(this.encode(item, seen));
      return out;
    }
    if (value instanceof Map || value instanceof Set) {
      try {
        return structuredClone(value);
      } catch {
        /* holds something that cannot be cloned: a handle */
      }
    } else if (typeof value === 'object' && isPlainObject(value)) {
      const out: Record<string, unknown> = {};
      seen.set(value, out);
      for (const [key, item] of Object.entries(value)) out[key] = this.encode(item, seen);
      return out;
    }
    const type = typeof value === 'function' ? 'function' : ((value as object).constructor?.name ?? 'object');
    const encoded: Encoded = { [MARK]: 'handle', id: this.keep(value), type };
    seen.set(value as object, encoded);
    return encoded;
  }

  /** Turns what the judge sent back into host values: refs to the objects they name, callbacks to functions. */
  decode(value: unknown): unknown {
    if (value === null || typeof value !== 'object') return value;
    if (isMarked(value)) {
      if (value[MARK] === 'ref') {
        const { holder, value: found } = this.lookup(value.id, value.path);
        return typeof found === 'function' && value.path.length ? (found as (...a: unknown[]) => unknown).bind(holder) : found;
      }
      if (value[MARK] === 'callback') {
        const id = value.id;
        return async (...args: unknown[]) => this.decode(await this.judge.callback(id, args.map((arg) => this.encode(arg))));
      }
      throw new Error(`kata harness: a ${value[MARK]} cannot be sent to the host`);
    }
    if (Array.isArray(value)) return value.map((item) => this.decode(item));
    if (!isPlainObject(value)) return value;
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.decode(item)]));
  }

  async import(specifier: string): Promise<Encoded> {
    const url = specifier.startsWith('/') || /^[A-Za-z]:[\\/]/.test(specifier)
      ? pathToFileURL(specifier).href
      : pathToFileURL(createRequire(join(this.resolveFrom, 'package.json')).resolve(specifier)).href;
    const module = await import(url);
    this.training.arm();
    return { [MARK]: 'handle', id: this.keep(module), type: 'module' };
  }

  async invoke(id: number, path: string[], args: unknown[]): Promise<unknown> {
    const { holder, value } = this.lookup(id, path);
    if (typeof value !== 'function') {
      const what = path.length ? path.join('.') : 'it';
      throw new TypeError(`${what} is not a function (it is ${value === undefined ? 'undefined' : typeof value})`);
    }
    this.training.arm();
    const result = await (value as (...a: unknown[]) => unknown).apply(holder, args.map((arg) => this.decode(arg)));
    return this.encode(result);
  }

  async read(id: number, path: string[]): Promise<unknown> {
    return this.encode(this.lookup(id, path).value);
  }

  async serve(id: number): Promise<string> {
    const app = this.lookup(id, []).value;
    if (typeof app !== 'function') throw new TypeError(`expected an Express app (a request handler function), got ${app === null ? 'null' : typeof app}`);
    const socketPath =
      process.platform === 'win32'
        ? `\\\\?\\pipe\\kata-${process.pid}-${++this.serveCount}`
        : join(this.tempDir, `app-${++this.serveCount}.sock`);
    const server = createServer(app as RequestListener);
    const sockets = new Set<Socket>();
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(socketPath, () => ok());
    });
    this.servers.set(socketPath, { server, sockets });
    return socketPath;
  }

  async unserve(socketPath: string): Promise<void> {
    const served = this.servers.get(socketPath);
    if (!served) return;
    this.servers.delete(socketPath);
    for (const socket of served.sockets) socket.destroy();
    await new Promise<void>((ok) => served.server.close(() => ok()));
  }

  async openDb(descriptor: DbDescriptor): Promise<Encoded> {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(descriptor.file, { readonly: descriptor.readonly ?? false, fileMustExist: true });
    return { [MARK]: 'handle', id: this.keep(db), type: 'Database' };
  }

  async instrument(kind: string, args: unknown[]): Promise<unknown> {
    const make = instruments[kind];
    if (!make) throw new Error(`kata harness: no instrument "${kind}" (there are: ${Object.keys(instruments).join(', ')})`);
    return this.encode(make(...args.map((arg) => this.decode(arg))));
  }

  async memory(): Promise<{ numTensors: number; numBytes: number } | null> {
    // The learner's tfjs is the runner's one package; ask it only if the learner's code loaded it.
    const require = createRequire(join(this.resolveFrom, 'package.json'));
    let entry: string;
    try {
      entry = require.resolve('@tensorflow/tfjs');
    } catch {
      return null;
    }
    if (!require.cache[entry] && !(globalThis as { _tfengine?: unknown })._tfengine) return null;
    const tf = (await import(pathToFileURL(entry).href)) as { memory(): { numTensors: number; numBytes: number } };
    const { numTensors, numBytes } = tf.memory();
    return { numTensors, numBytes };
  }

  async selfUsage(): Promise<{ cpuMs: number; rssBytes: number }> {
    const cpu = process.cpuUsage();
    return { cpuMs: (cpu.user + cpu.system) / 1000, rssBytes: process.memoryUsage.rss() };
  }

  /** Closes the servers the judge asked for, and says what the learner's code left running. */
  async shutdown(): Promise<{ servers: number; processes: number }> {
    await Promise.all([...this.servers.keys()].map((path) => this.unserve(path)));
    const servers = process.getActiveResourcesInfo().filter((kind) => kind === 'TCPServerWrap' || kind === 'PipeServerWrap').length;
    return { servers, processes: leftoverProcesses() };
  }
}
