// Loaded before every hidden test file, in the worker that runs the learner's code. A hidden test can
// only be trusted if the code that judges it is the code we shipped, so this file
//  - makes the built-in functions that assertions and expected values rest on read-only (`Object.is` is
//    all that `toBe` checks; `Object.prototype.asymmetricMatch` would make every `toEqual` pass);
//  - fails each test (afterEach) and the file (afterAll) when the solution changed the assertion
//    functions, vitest's chai, the global test functions or a built-in prototype;
//  - seals each test's outcome after its hooks, so a failure cannot be rewritten into a pass afterwards;
//  - fails the file when the solution left a server listening after the suite closed its own.
// Its hooks run after the test file's own (after-hooks run in stack order).
import { Server } from 'node:net';
import { afterAll, afterEach, chai, expect } from 'vitest';

// Every server that starts listening in this worker, the suite's and the solution's alike.
const servers = new Set<Server>();
const listen = Server.prototype.listen;
Server.prototype.listen = function (this: Server, ...args: unknown[]) {
  servers.add(this);
  return listen.apply(this, args as Parameters<typeof listen>);
} as typeof listen;

/**
 * Built-in namespaces whose functions become read-only. Nothing inherits from these objects, so unlike
 * a frozen prototype this breaks no library that assigns its own `toString`. `Math.random` stays
 * writable: seeding it is a learner's right and judges nothing.
 */
const readOnly: Record<string, object> = { Object, Array, Number, String, Math, JSON, Reflect };
for (const [name, target] of Object.entries(readOnly)) {
  for (const key of Reflect.ownKeys(target)) {
    const descriptor = Object.getOwnPropertyDescriptor(target, key)!;
    if (!descriptor.configurable || !('value' in descriptor) || `${name}.${String(key)}` === 'Math.random') continue;
    Object.defineProperty(target, key, { writable: false, configurable: false });
  }
}
// Nothing may be added to the root prototype, even for a moment (vitest looks for `asymmetricMatch` with `in`).
Object.preventExtensions(Object.prototype);
// `a instanceof URL && b instanceof URL` ends in `a.href === b.href`: a planted `URL[Symbol.hasInstance]`
// would make any two values equal. Each built-in class gets the ordinary check as its own, locked.
const ordinaryHasInstance = Function.prototype[Symbol.hasInstance];
for (const key of Reflect.ownKeys(globalThis)) {
  const value = Object.getOwnPropertyDescriptor(globalThis, key)?.value as unknown;
  if (typeof value !== 'function' || !/^[A-Z]/.test(String(key)) || Object.hasOwn(value, Symbol.hasInstance)) continue;
  Object.defineProperty(value, Symbol.hasInstance, { value: ordinaryHasInstance, writable: false, configurable: false });
}

/** An object whose own properties must keep their values; `sealed` ones may not gain any either. */
interface Watched {
  name: string;
  target: object;
  sealed?: boolean;
}

const watched: Watched[] = [
  { name: 'expect(…)', target: Object.getPrototypeOf(expect(0)) as object },
  { name: 'expect', target: expect },
  { name: 'chai.util', target: chai.util },
  // Test functions a solution might plant on the global object for a suite that uses globals.
  { name: 'globalThis', target: globalThis },
  ...[Object, Array, Function, String, Number, Boolean, Map, Set, RegExp, Date, Promise, Error].map((type) => ({
    name: `${type.name}.prototype`,
    target: type.prototype as object,
    sealed: type === Array || type === Function,
  })),
];

/** What a property is: its value or its accessors, compared by identity. */
const identity = (d: PropertyDescriptor | undefined) => (d ? [d.value, d.get, d.set] : []);

const snapshots = watched.map(({ target }) => {
  const keys = target === globalThis ? ['expect', 'describe', 'it', 'test'] : Reflect.ownKeys(target);
  return new Map(keys.map((key) => [key, identity(Object.getOwnPropertyDescriptor(target, key))]));
});

/** What the solution changed in the test framework or the built-ins, by name. */
function tampering(): string[] {
  const changed: string[] = [];
  watched.forEach(({ name, target, sealed }, i) => {
    const before = snapshots[i];
    const label = (key: PropertyKey) => `${name}.${String(key)}`;
    for (const [key, was] of before) {
      const now = identity(Object.getOwnPropertyDescriptor(target, key));
      if (now.length !== was.length || now.some((part, j) => part !== was[j])) changed.push(label(key));
    }
    if (sealed) for (const key of Reflect.ownKeys(target)) if (!before.has(key)) changed.push(`${label(key)} (added)`);
  });
  return changed;
}

function checkFramework(): void {
  const changed = tampering();
  if (changed.length) throw new Error(`your code patched the test framework or the built-ins it relies on (${changed.join(', ')}); grading does not allow that`);
}

/**
 * Fixes a test's outcome once its body and hooks have run, before `onTestFinished` / `onTestFailed`
 * callbacks (which learner code can register) get the task: a failed test stays failed, its result
 * cannot be swapped for another object, and it cannot be turned into an expected failure (`fails`), which
 * vitest would flip to a pass. Hidden suites never use `.fails`, so one set here is the solution's doing.
 */
function sealOutcome(task: { result?: { state?: string }; fails?: boolean }): void {
  const markedToFail = task.fails;
  Object.defineProperty(task, 'fails', { value: false, writable: false, configurable: false });
  if (markedToFail) throw new Error('your code marked this test as expected to fail (`fails`), which would turn its failure into a pass; grading does not allow that');
  const result = task.result;
  if (!result) return;
  let state = result.state;
  Object.defineProperty(result, 'state', {
    enumerable: true,
    configurable: false,
    get: () => state,
    set: (next: string) => {
      if (state !== 'fail') state = next;
    },
  });
  Object.defineProperty(task, 'result', { value: result, enumerable: true, writable: false, configurable: false });
}

// The channel to the grading process: vitest keeps its own reference; nobody may wrap it to drop results.
Object.defineProperty(process, '_send', { value: (process as unknown as { _send: unknown })._send, writable: false, configurable: false });

afterEach(({ task }) => {
  checkFramework();
  sealOutcome(task as Parameters<typeof sealOutcome>[0]);
});

afterAll(() => {
  checkFramework();
  const open = [...servers].filter((server) => server.listening).length;
  if (open) {
    throw new Error(
      `your code left ${open} server(s) listening after the tests closed theirs: close every server you open, or let the tests start the app with the exported createApp`,
    );
  }
});
