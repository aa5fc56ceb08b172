// Runner-owned helpers that live in the solution host, beside the learner's code, for what a judge cannot
// do from another process: a clock the learner's code reads synchronously, a function that records its
// calls, a database handle that records what the app ran through it. The judge creates them with
// `host.instrument(kind, ...)` and passes their members to the learner's code.
import type BetterSqlite3 from 'better-sqlite3';

/** A clock the judge sets: pass `clock.now` where the learner's code expects `() => number`. */
export class Clock {
  constructor(public t = 0) {}
  now = (): number => this.t;
  set(t: number): number {
    this.t = t;
    return t;
  }
  advance(ms: number): number {
    this.t += ms;
    return this.t;
  }
}

/** Records every call's arguments (structured-cloned when read): pass `recorder.record` as a callback. */
export class Recorder {
  entries: unknown[][] = [];
  record = (...args: unknown[]): void => {
    this.entries.push(args);
  };
  /** The first argument of every call: what a `log(entry)` callback received. */
  firsts(): unknown[] {
    return this.entries.map((args) => args[0]);
  }
}

export interface Executed {
  sql: string;
  params: unknown[];
  method: string;
}

export interface IteratorState {
  sql: string;
  read: number;
  done: boolean;
  closed: boolean;
}

const READS = new Set(['all', 'get', 'iterate']);

/**
 * Wraps a better-sqlite3 Database so that every statement read through it (all / get / iterate) is
 * recorded with its parameters, every row handed to the app counted, and every iterator followed to its
 * end or its return(). Pass `probe.db` to the learner's code; read `executed`, `rows` and `iterators`.
 */
export class DbProbe {
  executed: Executed[] = [];
  rows = 0;
  iterators: IteratorState[] = [];
  readonly db: BetterSqlite3.Database;

  constructor(target: BetterSqlite3.Database) {
    this.db = new Proxy(target, {
      get: (db, prop) => {
        if (prop === 'prepare') return (sql: string) => this.wrapStatement(db.prepare(sql), sql);
        const value = Reflect.get(db, prop, db);
        return typeof value === 'function' ? value.bind(db) : value;
      },
    });
  }

  /** How many statements were recorded so far (to slice `executed` per request). */
  count(): number {
    return this.executed.length;
  }

  /** The statements recorded from `index` on (what one request ran, with `count()` taken before it). */
  since(index: number): Executed[] {
    return this.executed.slice(index);
  }

  openIterators(): IteratorState[] {
    return this.iterators.filter((it) => !it.done && !it.closed);
  }

  private wrapStatement(stmt: BetterSqlite3.Statement, sql: string): BetterSqlite3.Statement {
    let bound: unknown[] = [];
    const proxy: BetterSqlite3.Statement = new Proxy(stmt, {
      get: (target, prop) => {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (prop === 'bind') bound = args;
          if (typeof prop === 'string' && READS.has(prop)) this.executed.push({ sql, params: args.length ? args : bound, method: prop });
          const result = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (result === target) return proxy;
          if (prop === 'iterate') return this.wrapIterator(result as IterableIterator<unknown>, sql);
          if (prop === 'all') this.rows += (result as unknown[]).length;
          if (prop === 'get' && result !== undefined) this.rows += 1;
          return result;
        };
      },
    });
    return proxy;
  }

  private wrapIterator(it: IterableIterator<unknown>, sql: string): IterableIterator<unknown> {
    const state: IteratorState = { sql, read: 0, done: false, closed: false };
    this.iterators.push(state);
    const wrapped: IterableIterator<unknown> = {
      next: () => {
        const result = it.next();
        if (result.done) state.done = true;
        else {
          state.read++;
          this.rows++;
        }
        return result;
      },
      return: (value?: unknown) => {
        state.closed = true;
        return it.return ? it.return(value) : { done: true, value };
      },
      [Symbol.iterator]: () => wrapped,
    };
    return wrapped;
  }
}

export const instruments: Record<string, (...args: any[]) => unknown> = {
  clock: (start?: number) => new Clock(start ?? 0),
  recorder: () => new Recorder(),
  'db-probe': (db: BetterSqlite3.Database) => new DbProbe(db),
};
