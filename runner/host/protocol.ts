// The judge ↔ solution host contract: the RPC functions each side offers, and how values that cannot be
// structured-cloned cross the boundary. Everything else crosses as a structured clone.
//
// Host → judge:  a tfjs tensor       → { __kata$: 'tensor', id, dtype, shape, values }
//                any other non-data  → { __kata$: 'handle', id, type }   (functions, class instances, modules)
// Judge → host:  a remote value      → { __kata$: 'ref', id, path }      (the host's own object, or a member of it)
//                a judge function    → { __kata$: 'callback', id }       (the host gets an async function)

export const MARK = '__kata$';

export type Encoded =
  | { [MARK]: 'tensor'; id: number; dtype: string; shape: number[]; values: unknown[] | null }
  | { [MARK]: 'handle'; id: number; type: string }
  | { [MARK]: 'ref'; id: number; path: string[] }
  | { [MARK]: 'callback'; id: number };

export function isMarked(value: unknown): value is Encoded {
  return typeof value === 'object' && value !== null && MARK in value;
}

/** A database the host opens for the learner's code (better-sqlite3), described by the judge. */
export interface DbDescriptor {
  /** An absolute path: a fixture (opened read-only) or a copy in the host's temp folder. */
  file: string;
  readonly?: boolean;
}

/** Functions the host offers the judge. Ids are handles the host keeps until the run ends. */
export interface HostFunctions {
  /** Imports a module (a learner file by absolute path, or a package) and returns a handle to it. */
  import(specifier: string): Promise<Encoded>;
  /** Calls `path` (a method or function) on handle `id` with encoded arguments; awaits and encodes the result. */
  invoke(id: number, path: string[], args: unknown[]): Promise<unknown>;
  /** Reads the value at `path` on handle `id`. */
  read(id: number, path: string[]): Promise<unknown>;
  /** Serves a request listener (an Express app) held as handle `id` on a local socket; returns its path. */
  serve(id: number): Promise<string>;
  /** Closes a server started by `serve`, ending every open connection. */
  unserve(socketPath: string): Promise<void>;
  /** Opens a better-sqlite3 database from a descriptor; returns its handle. */
  openDb(descriptor: DbDescriptor): Promise<Encoded>;
  /** Creates one of the host's built-in instruments (see instruments.ts); returns its handle. */
  instrument(kind: string, args: unknown[]): Promise<unknown>;
  /** tf.memory() of the learner's tfjs, or null when the learner's code has not loaded tfjs. */
  memory(): Promise<{ numTensors: number; numBytes: number } | null>;
  /** The host's own account of its CPU time and memory, where no outside measure exists (not Linux). */
  selfUsage(): Promise<{ cpuMs: number; rssBytes: number }>;
  /** Ends the host: closes servers, says what the learner's code left running, then exits 0. */
  shutdown(): Promise<{ servers: number; processes: number }>;
}

/** Functions the judge offers the host. */
export interface JudgeFunctions {
  /** A judge function passed as an argument was called by the learner's code. */
  callback(id: number, args: unknown[]): Promise<unknown>;
  /** Something the learner's code did outside any call: an uncaught exception, an unhandled rejection, process.exit. */
  problem(kind: 'uncaught' | 'rejection' | 'exit', message: string): void;
  /** An epoch of a tfjs fit() in the learner's code ended (shown while it trains; never graded). */
  training(event: { epoch: number; epochs?: number; loss?: number }): void;
}

/** Errors cross as plain data (v8's serializer drops their fields): host side. */
export function serializeMessage(message: { e?: unknown }): unknown {
  if (message && message.e !== undefined) {
    const error = message.e as Error;
    // A thrown non-Error (a string, a number) crosses as what it was, so a suite can tell the two apart.
    message.e = error instanceof Error
      ? { [MARK]: 'error', name: error.name, message: error.message, stack: error.stack }
      : { [MARK]: 'thrown', value: typeof error === 'object' ? String(error) : error };
  }
  return message;
}

/** Judge side: the learner's error, rebuilt. */
export function deserializeMessage(message: { e?: unknown }): unknown {
  const e = message?.e as { [MARK]?: string; name: string; message: string; stack?: string; value?: unknown } | undefined;
  if (e && e[MARK] === 'thrown') message.e = e.value;
  else if (e && e[MARK] === 'error') {
    const error = new Error(e.message);
    error.name = e.name;
    if (e.stack) error.stack = e.stack;
    message.e = error;
  }
  return message;
}
