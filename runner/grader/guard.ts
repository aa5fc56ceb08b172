// Loaded before every hidden test file, in the worker that runs the learner's code. Its afterAll runs
// after the test file's own (hooks run in stack order), and fails the file when the solution
//  - patched the assertion or test functions the hidden suite relies on, or the global object's copies;
//  - left a server listening after the suite closed its own (a server that never closes).
import { Server } from 'node:net';
import { afterAll, describe, expect, it, test } from 'vitest';

// Every server that starts listening in this worker, the suite's and the solution's alike.
const servers = new Set<Server>();
const listen = Server.prototype.listen;
Server.prototype.listen = function (this: Server, ...args: unknown[]) {
  servers.add(this);
  return listen.apply(this, args as Parameters<typeof listen>);
} as typeof listen;

const originals: Record<string, unknown> = { expect, describe, it, test };
const globalsBefore = new Map(Object.keys(originals).map((key) => [key, (globalThis as Record<string, unknown>)[key]]));
const assertionPrototype = Object.getPrototypeOf(expect(0)) as Record<string, unknown>;
const assertionMethods = Object.getOwnPropertyNames(assertionPrototype).filter((name) => {
  const descriptor = Object.getOwnPropertyDescriptor(assertionPrototype, name);
  return typeof descriptor?.value === 'function';
});
const assertionOriginals = new Map(assertionMethods.map((name) => [name, assertionPrototype[name]]));
const expectStatics = new Map(Object.keys(expect).map((key) => [key, (expect as unknown as Record<string, unknown>)[key]]));

/** What the solution changed in the test framework, by name. */
function tampering(): string[] {
  const changed: string[] = [];
  for (const [name, original] of assertionOriginals) if (assertionPrototype[name] !== original) changed.push(`expect(…).${name}`);
  for (const [key, original] of expectStatics) if ((expect as unknown as Record<string, unknown>)[key] !== original) changed.push(`expect.${key}`);
  for (const [key, before] of globalsBefore) if ((globalThis as Record<string, unknown>)[key] !== before) changed.push(`globalThis.${key}`);
  return changed;
}

function serversLeftOpen(): number {
  return [...servers].filter((server) => server.listening).length;
}

afterAll(() => {
  const changed = tampering();
  if (changed.length) throw new Error(`your code patched the test framework (${changed.join(', ')}); grading does not allow that`);
  const open = serversLeftOpen();
  if (open) {
    throw new Error(
      `your code left ${open} server(s) listening after the tests closed theirs: close every server you open, or let the tests start the app with the exported createApp`,
    );
  }
});
