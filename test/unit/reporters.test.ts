import { describe, expect, test } from 'vitest';
import { formatNumber, sparkline } from '../../runner/reporters/chart.js';
import { printGrade } from '../../runner/reporters/grade.js';
import type { Output } from '../../runner/reporters/output.js';
import type { GradeResult } from '../../runner/core/results.js';

function capture(): Output & { text: () => string } {
  const lines: string[] = [];
  return { line: (t = '') => lines.push(t), error: (t) => lines.push(t), json: () => {}, interactive: false, text: () => lines.join('\n') };
}

const base: GradeResult = {
  version: 3, status: 'pass', kata: 'penguins', durationMs: 2100, tests: [{ name: 'hidden › holdout', status: 'pass' }],
  visible: { passed: 0, failed: 0, total: 0 }, hidden: { passed: 1, failed: 0, total: 1 },
};

describe('ML output', () => {
  test('a metric is shown against its threshold, and a loss curve as a chart', () => {
    const out = capture();
    printGrade(out, {
      ...base,
      metrics: [{ name: 'macro-F1', value: 0.8123, threshold: 0.75, higherIsBetter: true, passed: true, detail: 'rain days  predicted as rain 9, sun 1\nsun days   predicted as rain 2, sun 8' }],
      curves: [{ test: 'holdout', name: 'loss', values: [1.2, 0.8, 0.5, 0.3] }],
    });
    expect(out.text()).toContain('macro-F1 0.8123 ≥ 0.75 ✓\n    rain days  predicted as rain 9, sun 1\n    sun days   predicted as rain 2, sun 8');
    expect(out.text()).toMatch(/loss\s+█[▁-█]*\s+1\.2 → 0\.3 over 4 epochs/);
  });

  test('a metric below its threshold is marked as failing; lower-is-better metrics use ≤', () => {
    const out = capture();
    printGrade(out, {
      ...base,
      status: 'fail',
      metrics: [
        { name: 'accuracy', value: 0.43, threshold: 0.9, higherIsBetter: true, passed: false },
        { name: 'RMSE', value: 3.64, threshold: 4, higherIsBetter: false, passed: true },
      ],
    });
    expect(out.text()).toContain('accuracy 0.43 < 0.9 ✗');
    expect(out.text()).toContain('RMSE 3.64 ≤ 4 ✓');
  });

  test('an empty or broken curve from a starter is skipped, not a crash', () => {
    const out = capture();
    printGrade(out, { ...base, curves: [{ test: 't', name: 'loss', values: [] }, { test: 't', name: 'loss', values: [NaN] }] });
    expect(out.text()).not.toContain('epochs');
  });

  test('sparkline and number formatting', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline(Array.from({ length: 100 }, (_, i) => i), 10)).toHaveLength(10);
    expect([0.9, 0.43478, 1.0549, 4207.05].map(formatNumber)).toEqual(['0.9', '0.4348', '1.055', '4207']);
  });
});

describe('failures', () => {
  test('the first five failures are explained, the rest listed by name', () => {
    const out = capture();
    const tests = Array.from({ length: 8 }, (_, i) => ({ name: `hidden › case ${i + 1}`, status: 'fail' as const, message: `why ${i + 1}` }));
    printGrade(out, { ...base, status: 'fail', tests, hidden: { passed: 0, failed: 8, total: 8 } });
    const text = out.text();
    for (let i = 1; i <= 8; i++) expect(text).toContain(`✗ case ${i}`);
    expect(text).toContain('why 5');
    expect(text).not.toContain('why 6');
    expect(text).toContain('kata test --verbose explains them all');
  });

  test('--verbose explains every failure, with all of its output', () => {
    const out = capture();
    const tests = Array.from({ length: 8 }, (_, i) => ({ name: `hidden › case ${i + 1}`, status: 'fail' as const, message: `why ${i + 1}`, output: Array.from({ length: 8 }, (_, j) => `log ${j + 1}`).join('\n') }));
    printGrade(out, { ...base, status: 'fail', tests, hidden: { passed: 0, failed: 8, total: 8 } }, { verbose: true });
    const text = out.text();
    expect(text).toContain('why 8');
    expect(text).toContain('log 8');
    expect(text).not.toContain('--verbose explains');
  });

  test('tests that did not run because their file failed are one line', () => {
    const out = capture();
    const message = 'did not run: its test file failed first (see above)';
    const tests = [1, 2, 3].map((i) => ({ name: `hidden › case ${i}`, status: 'fail' as const, message }));
    printGrade(out, { ...base, status: 'fail', tests, hidden: { passed: 0, failed: 3, total: 3 }, message: 'the hidden suite could not run your code: boom' });
    const text = out.text();
    expect(text).toContain('✗ 3 tests did not run: their test file failed first (see below)');
    expect(text).not.toContain('case 2');
  });

  test('a run of some tests only says it is not recorded and how the kata is graded', () => {
    const out = capture();
    printGrade(out, { ...base, selection: { pattern: 'holdout' } });
    expect(out.text()).toContain('Hidden suite, -t "holdout": 1/1 passed');
    expect(out.text()).toContain('✓ the selected tests pass');
    expect(out.text()).toContain('Not recorded: only some tests ran. The kata is graded by kata test penguins.');
    expect(out.text()).not.toContain('penguins passes');
  });
});

describe('type check section', () => {
  test('type errors are listed with file, line and code, labelled as not graded', async () => {
    const { printTypeCheck } = await import('../../runner/reporters/grade.js');
    const out = capture();
    printTypeCheck(out, { graded: false, status: 'errors', errors: [{ file: 'src/app.ts', line: 12, column: 7, code: 'TS2322', message: "Type 'string' is not assignable to type 'number'." }] });
    expect(out.text()).toContain('Type check (not graded): 1 type error');
    expect(out.text()).toContain("src/app.ts:12:7 TS2322 Type 'string' is not assignable to type 'number'.");
  });
});

describe('colour', () => {
  test('only on a terminal, never in pipes (even in CI); NO_COLOR wins, FORCE_COLOR forces', async () => {
    const { colorEnabled } = await import('../../runner/reporters/output.js');
    expect(colorEnabled({}, true)).toBe(true);
    expect(colorEnabled({}, false)).toBe(false);
    expect(colorEnabled({ CI: 'true' }, false)).toBe(false);
    expect(colorEnabled({ NO_COLOR: '1' }, true)).toBe(false);
    expect(colorEnabled({ FORCE_COLOR: '1' }, false)).toBe(true);
  });
});
