// Loaded before every hidden test file, in the worker that runs the learner's code. It keeps the
// assertion and test functions the hidden suite relies on out of the learner's reach: a solution that
// patches expect, describe, test or the global object to report passes makes the suite fail instead.
import { afterAll, describe, expect, it, test } from 'vitest';

const originals = { expect, describe, it, test };
const globalKeys = new Set(Object.getOwnPropertyNames(globalThis));
const assertionMethods = ['toBe', 'toEqual', 'toStrictEqual', 'toBeGreaterThan', 'toBeLessThan', 'toBeGreaterThanOrEqual', 'toBeLessThanOrEqual', 'toMatchObject', 'toContain', 'toHaveLength', 'toBeCloseTo', 'toThrow', 'toBeTruthy', 'toBeDefined', 'toMatch'] as const;
const assertionPrototype = Object.getPrototypeOf(expect(0)) as Record<string, unknown>;
const assertionOriginals = Object.fromEntries(assertionMethods.map((m) => [m, assertionPrototype[m]]));

afterAll(() => {
  const tampered: string[] = [];
  for (const [name, fn] of Object.entries(originals)) {
    if ((globalThis as Record<string, unknown>)[name] !== undefined && (globalThis as Record<string, unknown>)[name] !== fn) tampered.push(`globalThis.${name}`);
  }
  for (const method of assertionMethods) if (assertionPrototype[method] !== assertionOriginals[method]) tampered.push(`expect(...).${method}`);
  for (const key of ['expect', 'describe', 'it', 'test']) {
    if (!globalKeys.has(key) && key in globalThis) tampered.push(`globalThis.${key}`);
  }
  if (tampered.length) throw new Error(`the solution patched the test framework (${tampered.join(', ')}); that is not allowed`);
});
