// How a grading result reads in a terminal. The JSON form is the GradeResult itself.
import type { GradeResult } from '../core/results.js';
import { formatNumber, sparkline } from './chart.js';
import { colors as c, type Output } from './output.js';

const mark = { pass: c.green('✓'), fail: c.red('✗'), error: c.red('!') };
/** Failures explained in full per suite; the rest are listed by name, so the first fix stays in view. */
export const detailedFailures = 5;

export function printGrade(out: Output, result: GradeResult, options: { showPassing?: boolean } = {}): void {
  const visible = result.tests.filter((t) => t.name.startsWith('visible › '));
  const hidden = result.tests.filter((t) => !t.name.startsWith('visible › '));

  if (visible.length) {
    out.line(c.bold(`Your tests (tests/): ${result.visible.passed}/${result.visible.total} passed`));
    printTests(out, visible, options);
  }
  out.line(c.bold(`Hidden suite: ${result.hidden.passed}/${result.hidden.total} passed`));
  printTests(out, hidden, options);

  for (const curve of (result.curves ?? []).filter((c) => c.values.length && c.values.every(Number.isFinite))) {
    const first = curve.values[0];
    const last = curve.values[curve.values.length - 1];
    out.line(`  ${curve.name.padEnd(8)} ${c.cyan(sparkline(curve.values))}  ${formatNumber(first)} → ${formatNumber(last)} over ${curve.values.length} epochs`);
  }
  for (const metric of result.metrics ?? []) {
    const op = metric.higherIsBetter ? (metric.passed ? '≥' : '<') : metric.passed ? '≤' : '>';
    out.line(`  ${metric.name} ${formatNumber(metric.value)} ${op} ${formatNumber(metric.threshold)} ${metric.passed ? mark.pass : mark.fail}`);
    if (metric.detail) for (const line of metric.detail.split('\n')) out.line(c.dim(`    ${line}`));
  }
  out.line();
  const seconds = (result.durationMs / 1000).toFixed(1);
  if (result.status === 'pass') {
    out.line(c.green(c.bold(`✓ ${result.kata} passes (${seconds} s)`)));
  } else {
    out.line(c.red(c.bold(`${result.status === 'error' ? '!' : '✗'} ${result.kata} does not pass yet (${seconds} s)`)));
    if (result.message) for (const line of result.message.split('\n')) out.line(`  ${line}`);
  }
}

function printTests(out: Output, tests: GradeResult['tests'], options: { showPassing?: boolean }): void {
  let explained = 0;
  for (const test of tests) {
    if (test.status === 'pass' && !options.showPassing) continue;
    const detailed = test.status === 'pass' || explained++ < detailedFailures;
    printTest(out, test, detailed);
  }
  if (explained > detailedFailures) out.line(c.dim(`      (the first ${detailedFailures} failures are explained; kata test --json has every message)`));
}

function printTest(out: Output, test: GradeResult['tests'][number], detailed: boolean): void {
  const name = test.name.replace(/^(visible|hidden) › /, '');
  out.line(`  ${mark[test.status]} ${name}`);
  if (!detailed) return;
  if (test.message) for (const line of test.message.split('\n')) out.line(c.dim(`      ${line}`));
  if (test.output && test.status !== 'pass') out.line(c.dim(`      output: ${test.output.trim().split('\n').slice(0, 5).join('\n              ')}`));
}
