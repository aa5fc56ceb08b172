import { describe, expect, test } from 'vitest';
import type { GradeReport, ReportedTest } from '../../runner/judge/job.js';
import { buildVerdict, describeError, sanitize, type RunFacts } from '../../runner/core/verdict.js';

const passed = (name: string, suite: 'visible' | 'hidden' = 'hidden'): ReportedTest => ({
  suite, file: 'api.test.ts', name, fullName: name, state: 'passed', errors: [], durationMs: 3,
});
const report = (tests: ReportedTest[], over: Partial<GradeReport> = {}): GradeReport => ({
  reason: 'passed', modules: [{ suite: 'hidden', file: 'api.test.ts', state: 'passed', errors: [] }], tests, unhandledErrors: [], ...over,
});
const facts = (over: Partial<RunFacts> = {}): RunFacts => ({
  kataId: 'k', durationMs: 100, timedOut: false, limitMs: 30_000, exitCode: 0, stderrTail: '',
  expectedHidden: ['api.test.ts > a', 'api.test.ts > b'], ...over,
});

describe('verdict', () => {
  test('passes only when every locked hidden test passed', () => {
    const result = buildVerdict(report([passed('a'), passed('b'), { ...passed('v', 'visible'), state: 'failed' }]), facts());
    expect(result.status).toBe('pass');
    expect(result.hidden).toEqual({ passed: 2, failed: 0, total: 2 });
    expect(result.visible).toEqual({ passed: 0, failed: 1, total: 1 });
    expect(result.version).toBe(3);
  });

  test('tests are listed in a fixed order whatever order vitest finished the files in', () => {
    const b2 = { ...passed('b'), file: 'z.test.ts', fullName: 'z' };
    const visible = passed('v', 'visible');
    const result = buildVerdict(report([b2, passed('a'), visible, passed('b')]), facts({ expectedHidden: ['api.test.ts > a', 'api.test.ts > b', 'z.test.ts > z'] }));
    expect(result.tests.map((t) => t.name)).toEqual(['visible › v', 'hidden › a', 'hidden › b', 'hidden › z']);
  });

  test('a failing hidden test fails, with expected and received in its message', () => {
    const b = { ...passed('b'), state: 'failed' as const, errors: [{ message: 'expected 200 to be 400 // Object.is equality', expected: '400', actual: '200' }] };
    const result = buildVerdict(report([passed('a'), b]), facts());
    expect(result.status).toBe('fail');
    const failing = result.tests.find((t) => t.name === 'hidden › b')!;
    expect(failing.status).toBe('fail');
    expect(failing.message).toBe('expected 200 to be 400\n  expected: 400\n  received: 200');
    expect(failing.message).toContain('received: 200');
  });

  test('a long diff keeps both sides: expected and received each get their share of the message cap', () => {
    const rows = (n: number) => JSON.stringify(Array.from({ length: 60 }, (_, i) => ({ id: i, delay: i === 59 ? n : i })), null, 2);
    const b = { ...passed('b'), state: 'failed' as const, errors: [{ message: `rows of page 3: expected [ …(60) ] to deeply equal [ …(60) ]\n${'- diff line\n'.repeat(50)}`, expected: rows(1), actual: rows(2) }] };
    const failing = buildVerdict(report([passed('a'), b]), facts()).tests.find((t) => t.name === 'hidden › b')!;
    const shown = sanitize(failing.message!, []);
    expect(shown).toMatch(/^rows of page 3: expected/);
    expect(shown).toMatch(/\n  expected: \[ \{ "id": 0, .*… \(cut\)\n  received: \[ \{ "id": 0, .*… \(cut\)$/);
  });

  test('an unhandled error makes it an error even when every test passed', () => {
    const result = buildVerdict(report([passed('a'), passed('b')], { unhandledErrors: [{ message: 'boom from a timer' }] }), facts());
    expect(result.status).toBe('error');
    expect(result.message).toContain('boom from a timer');
  });

  test('a hidden test that never ran is not a pass (early exit)', () => {
    const result = buildVerdict(report([passed('a')]), facts());
    expect(result.status).toBe('fail');
    expect(result.message).toContain('never run');
    expect(result.hidden).toEqual({ passed: 1, failed: 1, total: 2 });
  });

  test('a skipped hidden test is not a pass', () => {
    const result = buildVerdict(report([passed('a'), { ...passed('b'), state: 'skipped' }]), facts());
    expect(result.status).toBe('fail');
  });

  test('no report is an error; a time-out says how long', () => {
    expect(buildVerdict(undefined, facts({ exitCode: 1, stderrTail: 'SyntaxError' })).message).toContain('SyntaxError');
    const timedOut = buildVerdict(undefined, facts({ timedOut: true, exitCode: undefined }));
    expect(timedOut.status).toBe('error');
    expect(timedOut.message).toContain('stopped at 30 s, the kata\'s time limit');
    expect(timedOut.message).not.toMatch(/infinite loop/);
  });

  test('a time-out keeps the results of tests that ended and names the one that was running', () => {
    const failed = { ...passed('a'), state: 'failed' as const, errors: [{ message: 'expected 400', expected: '400', actual: '200' }] };
    const progress = { finished: [passed('v', 'visible'), failed], running: { suite: 'hidden' as const, file: 'api.test.ts', fullName: 'b' } };
    const result = buildVerdict(undefined, facts({ timedOut: true, exitCode: undefined, progress }));
    expect(result.status).toBe('error');
    expect(result.message).toContain('the hidden suite was stopped at 30 s, the kata\'s time limit: "b" (hidden suite) was still running');
    expect(result.tests).toEqual([
      { name: 'visible › v', status: 'pass' },
      expect.objectContaining({ name: 'hidden › a', status: 'fail', message: expect.stringContaining('received: 200') }),
      { name: 'hidden › b', status: 'error', message: 'still running at the time limit' },
    ]);
    expect(result.visible).toEqual({ passed: 1, failed: 0, total: 1 });
    expect(result.hidden).toEqual({ passed: 0, failed: 2, total: 2 });
    const partPassed = buildVerdict(undefined, facts({ timedOut: true, progress: { finished: [passed('a')] } }));
    expect(partPassed.hidden).toEqual({ passed: 1, failed: 1, total: 2 });
    expect(partPassed.tests.map((t) => `${t.name}: ${t.message ?? t.status}`)).toEqual(['hidden › a: pass', 'hidden › b: did not start before the time limit']);
  });

  test('an empty hidden suite never passes', () => {
    expect(buildVerdict(report([]), facts({ expectedHidden: [] })).status).toBe('error');
  });

  test('sanitize strips colour codes, hides paths and caps length', () => {
    expect(sanitize('\u001b[31m/home/me/ws/src/app.ts failed\u001b[39m', [['/home/me/ws', '<workspace>']])).toBe('<workspace>/src/app.ts failed');
    expect(sanitize('x'.repeat(600), []).length).toBeLessThan(520);
  });
});

describe('assertion messages show what differs', () => {
  // A real route summary with one field changed: the start of both values is identical, so cutting them
  // (as a fixed-width "expected … received …" did) hid the difference.
  const route = { route: 'LAX-PHX', origin: 'LAX', destination: 'PHX', distance_mi: 370, flights: 59, avg_delay_min: 9.2, from: null, to: null, delayed_flights: 14, delayed_pct: 23.7, max_delay_min: 134 };
  test('a one-field difference in a long object shows that field with both values', async () => {
    // The error as the judge's reporter receives it: vitest serialises a failed toEqual with its diff.
    const { processError } = await import('@vitest/utils/error');
    let thrown: unknown;
    try {
      expect({ ...route, max_delay_min: 135 }, 'GET /routes/LAX-PHX').toEqual(route);
    } catch (error) {
      thrown = error;
    }
    const serialized = processError(thrown) as { message: string; expected?: string; actual?: string; diff?: string };
    const text = describeError({ message: serialized.message, expected: serialized.expected, actual: serialized.actual, diff: serialized.diff });
    expect(text).toMatch(/-\s+"max_delay_min": 134/);
    expect(text).toMatch(/\+\s+"max_delay_min": 135/);
    expect(text).not.toContain('avg_delay_min');
    expect(text.length).toBeLessThan(500);
  });

  test('numbers and short strings keep the one-line form', () => {
    expect(describeError({ message: 'expected 200 to be 400 // Object.is equality', expected: '400', actual: '200', diff: '- 400\n+ 200' })).toBe(
      'expected 200 to be 400\n  expected: 400\n  received: 200',
    );
  });
});

describe('a slow solution names what was running', () => {
  const call = (over: Partial<{ id: string; file: string; test: string; name: string; startedAt: number }> = {}) => ({
    id: '1:1', file: 'api.test.ts', name: 'train()', startedAt: Date.now() - 52_000, ...over,
  });

  test('stopped at the time limit: the call into the learner\'s code, how long it ran and the epoch', async () => {
    const { applyProgress, newProgress } = await import('../../runner/core/progress.js');
    const progress = newProgress();
    applyProgress(progress, { hook: { suite: 'hidden', file: 'api.test.ts', name: 'beforeAll', ended: false } });
    applyProgress(progress, { call: call() });
    applyProgress(progress, { epoch: { file: 'api.test.ts', epoch: 1, epochs: 100, loss: 1.2 } });
    applyProgress(progress, { epoch: { file: 'api.test.ts', epoch: 2, epochs: 100, loss: 0.9 } });
    const result = buildVerdict(undefined, facts({ timedOut: true, limitMs: 60_000, progress }));
    expect(result.message).toMatch(/^the hidden suite was stopped at 60 s, the kata's time limit: train\(\) was still running \(for 5\d s, at epoch 2 of 100, called from the beforeAll hook of api\.test\.ts\)$/);
    expect(result.message).not.toMatch(/infinite loop/);
  });

  test('a test that ran past its own limit names the call it was waiting on', () => {
    const timeout = { message: 'Test timed out in 45000ms.\nIf this is a long-running test, pass a timeout value as the last argument or configure it globally with "testTimeout".' };
    const b = { ...passed('b'), state: 'failed' as const, errors: [timeout] };
    const progress = { finished: [], abandoned: [{ ...call({ test: 'b' }), ms: 45_200 }] };
    const result = buildVerdict(report([passed('a'), b]), facts({ progress }));
    expect(result.tests.find((t) => t.name === 'hidden › b')!.message).toBe('did not finish within its 45 s limit: train() was still running (for 45.2 s)');
  });

  test('a hook that ran past its limit fails its file, naming the call', () => {
    const timeout = { message: 'Hook timed out in 45000ms.\nIf this is a long-running hook, pass a timeout value as the last argument or configure it globally with "hookTimeout".' };
    const skipped = (name: string) => ({ ...passed(name), state: 'skipped' as const });
    const progress = { finished: [], abandoned: [{ ...call(), ms: 41_000 }] };
    const result = buildVerdict(report([skipped('a'), skipped('b')], { modules: [{ suite: 'hidden', file: 'api.test.ts', state: 'failed', errors: [timeout] }] }), facts({ progress }));
    expect(result.message).toContain('the hidden suite could not run your code: a hook of api.test.ts did not finish within its 45 s limit: train() was still running (for 41 s)');
    expect(result.message).not.toContain('hookTimeout');
  });

  test('a describe block whose hook failed: its tests say so instead of "skipped"', () => {
    const blocked = { ...passed('b'), state: 'skipped' as const, blockedBy: { where: 'describe("training")', error: { message: 'boom in beforeAll' } } };
    const result = buildVerdict(report([passed('a'), blocked]), facts());
    expect(result.tests.find((t) => t.name === 'hidden › b')!.message).toBe('did not run: a hook of describe("training") failed first: boom in beforeAll');
  });

  test('the visible run stopped at the time limit keeps the hidden verdict', () => {
    const result = buildVerdict(report([passed('a'), passed('b'), passed('v', 'visible')]), facts({ visibleStopped: { running: { suite: 'visible', file: 'tests/x.test.ts', fullName: 'slow one' } } }));
    expect(result.status).toBe('pass');
    expect(result.tests.map((t) => `${t.name}: ${t.message ?? t.status}`)).toContain("visible › slow one: stopped at 30 s, the kata's time limit: this test was still running");
  });
});

describe('selections and whole messages', () => {
  test('-t: only the selected hidden tests count, and the result says it is a selection', () => {
    const result = buildVerdict(report([passed('a'), { ...passed('b'), state: 'skipped' }]), facts({ expectedHidden: ['api.test.ts > a'], selection: { pattern: 'a' } }));
    expect(result.status).toBe('pass');
    expect(result.tests.map((t) => t.name)).toEqual(['hidden › a']);
    expect(result.selection).toEqual({ pattern: 'a' });
  });

  test('--visible: the learner\'s own tests decide, with no hidden suite', () => {
    const failing = { ...passed('v', 'visible'), state: 'failed' as const, errors: [{ message: 'expected 1 to be 2', expected: '2', actual: '1' }] };
    const result = buildVerdict(report([failing], { modules: [] }), facts({ expectedHidden: [], selection: { visibleOnly: true } }));
    expect(result.status).toBe('fail');
    expect(result.message).toBe('1 of 1 of your tests failed');
    expect(result.hidden.total).toBe(0);
  });

  test('full messages keep every line of the error and whole values', () => {
    const long = JSON.stringify({ rows: Array.from({ length: 40 }, (_, i) => i) });
    const error = { message: 'first line\nsecond line', expected: long, actual: `${long} ` };
    expect(describeError(error)).not.toContain('second line');
    const full = describeError(error, true);
    expect(full).toContain(long);
    expect(full).not.toContain('(cut)');
  });
});
