// How a grading result reads in a terminal. The JSON form is the GradeResult itself.
import type { GradeResult, TestResult, TypeCheck } from '../core/results.js';
import { formatNumber, sparkline } from './chart.js';
import { colors as c, type Output } from './output.js';

const mark = { pass: c.green('✓'), fail: c.red('✗'), error: c.red('!') };
/** Failures explained in full per suite; the rest are listed by name, so the first fix stays in view. */
export const detailedFailures = 5;
/** Type errors listed; the rest are counted (--verbose lists them all). */
const shownTypeErrors = 10;

export interface PrintOptions {
  showPassing?: boolean;
  /** Before each test's line (a staged kata's tests sit under their stage). */
  indent?: string;
  /** kata test --verbose: every failure explained, with all of its output. */
  verbose?: boolean;
}

export function printGrade(out: Output, result: GradeResult, options: PrintOptions = {}): void {
  const visible = result.tests.filter((t) => t.name.startsWith('visible › '));
  const hidden = result.tests.filter((t) => !t.name.startsWith('visible › '));
  const pattern = result.selection?.pattern;
  const filtered = pattern !== undefined ? `, -t ${JSON.stringify(pattern)}` : '';

  if (visible.length || result.selection?.visibleOnly) {
    out.line(c.bold(`Your tests (tests/)${filtered}: ${result.visible.passed}/${result.visible.total} passed`));
    // A file of theirs that failed is listed first in the section.
    printTests(out, visible, options, 'see above');
  }
  // A run that never reached the tests (a syntax error) has nothing to list: its message says why.
  const reachedTests = hidden.length > 0 || result.hidden.total === 0;
  if (!result.selection?.visibleOnly && reachedTests) {
    out.line(c.bold(`Hidden suite${filtered}: ${result.hidden.passed}/${result.hidden.total} passed`));
    // A hidden file's failure is told in the summary. A staged kata's tests are listed under their stage.
    if (result.stages) {
      for (const stage of result.stages) {
        const state = stage.passed === stage.total ? mark.pass : mark.fail;
        out.line(`  ${state} stage ${stage.stage} · ${stage.title}: ${stage.passed}/${stage.total}`);
        printTests(out, hidden.filter((t) => t.task_id === stage.stage), { ...options, indent: '    ' }, 'see below');
      }
      printTests(out, hidden.filter((t) => t.task_id === undefined), options, 'see below');
    } else printTests(out, hidden, options, 'see below');
  }

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
  if (result.selection) {
    const what = result.selection.visibleOnly ? 'your tests' : 'the selected tests';
    if (result.status === 'pass') out.line(c.green(c.bold(`✓ ${what} pass (${seconds} s)`)));
    else out.line(c.red(c.bold(`${result.status === 'error' ? '!' : '✗'} ${what} do not pass yet (${seconds} s)`)));
  } else if (result.status === 'pass') {
    out.line(c.green(c.bold(`✓ ${graded(result)} passes (${seconds} s)`)));
  } else {
    out.line(c.red(c.bold(`${result.status === 'error' ? '!' : '✗'} ${graded(result)} does not pass yet (${seconds} s)`)));
  }
  if (result.status !== 'pass' && result.message) for (const line of result.message.split('\n')) out.line(`  ${line}`);
  if (result.selection) {
    out.line(c.dim(`  Not recorded: ${result.selection.visibleOnly ? 'the hidden suite did not run' : 'only some tests ran'}. The kata is graded by ${c.cyan(`kata test ${result.kata}`)}.`));
  }
}

/** What the verdict is about: the kata, or a staged kata's current stage (graded with every earlier one). */
function graded(result: GradeResult): string {
  if (!result.stage) return result.kata;
  const { current, of, title } = result.stage;
  return `${result.kata} stage ${current} of ${of} (${title})${current > 1 ? `, with stage${current > 2 ? 's' : ''} 1${current > 2 ? `–${current - 1}` : ''}` : ''},`;
}

/** Tests that did not run because their file failed are one line, not one line each. */
const blockedByFile = /^did not run: its test file failed first/;

function printTests(out: Output, tests: TestResult[], options: PrintOptions, fileError: string): void {
  const limit = options.verbose ? Infinity : detailedFailures;
  let explained = 0;
  for (let i = 0; i < tests.length; i++) {
    const test = tests[i];
    if (test.status === 'pass' && !options.showPassing) continue;
    if (test.message && blockedByFile.test(test.message)) {
      let j = i;
      while (j + 1 < tests.length && tests[j + 1].message === test.message) j++;
      if (j > i) {
        out.line(`${options.indent ?? ''}  ${mark[test.status]} ${j - i + 1} tests did not run: their test file failed first (${fileError})`);
        i = j;
        continue;
      }
    }
    const detailed = test.status === 'pass' || explained++ < limit;
    printTest(out, test, detailed, options);
  }
  if (explained > limit) out.line(c.dim(`${options.indent ?? ''}      (the first ${limit} failures are explained; kata test --verbose explains them all)`));
}

function printTest(out: Output, test: TestResult, detailed: boolean, options: PrintOptions): void {
  const name = test.name.replace(/^(visible|hidden) › /, '');
  out.line(`${options.indent ?? ''}  ${mark[test.status]} ${name}`);
  if (!detailed) return;
  if (test.message) for (const line of test.message.split('\n')) out.line(c.dim(`${options.indent ?? ''}      ${line}`));
  if (test.output && test.status !== 'pass') {
    const lines = test.output.trim().split('\n');
    out.line(c.dim(`${options.indent ?? ''}      output: ${(options.verbose ? lines : lines.slice(0, 5)).join('\n              ')}`));
  }
}

/** tsc's errors in the learner's files, in a section of their own: they are not part of the verdict. */
export function printTypeCheck(out: Output, check: TypeCheck, options: PrintOptions = {}): void {
  out.line();
  const label = c.bold('Type check (not graded):');
  if (check.status === 'unavailable') {
    out.line(`${label} ${c.dim(`could not run: ${check.message ?? 'unknown reason'}`)}`);
    return;
  }
  if (!check.errors.length) {
    out.line(`${label} no type errors`);
    return;
  }
  out.line(`${label} ${check.errors.length} type error${check.errors.length === 1 ? '' : 's'}`);
  const shown = options.verbose ? check.errors : check.errors.slice(0, shownTypeErrors);
  for (const error of shown) {
    const [first, ...rest] = error.message.split('\n');
    out.line(`  ${c.yellow('!')} ${error.file}:${error.line}:${error.column} ${c.dim(error.code)} ${first}`);
    for (const line of rest) out.line(c.dim(`      ${line}`));
  }
  if (shown.length < check.errors.length) out.line(c.dim(`      (${check.errors.length - shown.length} more; kata test --verbose lists them all)`));
}
