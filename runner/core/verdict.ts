// Turns what the grading child reported (or failed to report) into a verdict. Pure: no I/O, so each
// rule is one unit test. A pass needs every locked hidden test reported as run and passed, no module
// error and no unhandled error; a missing report, a time-out or a crash is an error, never a pass.
import type { GradeReport, ReportedError, ReportedTest } from '../judge/job.js';
import { testKey } from './hidden-suite.js';
import type { GradeResult, Status, SuiteSummary, TestResult } from './results.js';

export interface RunFacts {
  kataId: string;
  durationMs: number;
  timedOut: boolean;
  limitMs: number;
  /** The child's exit code, or undefined when a signal ended it. */
  exitCode?: number;
  /** The end of the child's stderr, already sanitised. */
  stderrTail: string;
  /** The worker running the solution hit its heap cap (V8 said so on stderr). */
  outOfMemory?: boolean;
  /** That heap cap, named in the message. */
  heapMb?: number;
  /** Processes the solution started that were still running after the run (they are killed). */
  leftoverProcesses?: number;
  /** Locked hidden test keys; undefined only while an author writes the lock. */
  expectedHidden?: string[];
  /** What the child said as tests started and ended: all that is known of a run with no report. */
  progress?: Progress;
}

export interface Progress {
  finished: ReportedTest[];
  running?: { suite: 'visible' | 'hidden'; file: string; fullName: string };
}

const messageCap = 500;
/**
 * Terminal control sequences (CSI colours and cursor moves, OSC titles and links, other escapes) and
 * every other control character but newline and tab: learner text must not drive the reader's terminal.
 */
const ansi = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-Z\\-_]|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Makes text safe to show: no colour codes, no absolute paths of the machine, bounded length. */
export function sanitize(text: string, replacements: [string, string][], cap = messageCap): string {
  let out = text.replace(ansi, '');
  for (const [from, to] of replacements) if (from) out = out.split(from).join(to);
  return out.length > cap ? `${out.slice(0, cap)}… (cut)` : out;
}

/** Each part of an assertion message gets its share of the per-test cap, so "received" is never cut off. */
const partCap = { first: 180, value: 140 };
const cut = (text: string, cap: number) => (text.length > cap ? `${text.slice(0, cap)}… (cut)` : text);

const oneLine = (value: string) => value.replace(/\s*\n\s*/g, ' ').replace(/,\s*}/g, ' }').replace(/,\s*]/g, ' ]');

/** A value on one line: a long one is cut, since the test message as a whole is capped. */
function showValue(value: string | undefined): string {
  if (value === undefined) return '(nothing)';
  return cut(oneLine(value), partCap.value);
}

/** Lines of vitest's diff shown at most, and their width: enough for the differing fields, within the cap. */
const diffCap = { lines: 8, width: 110 };

/**
 * The differing part of an object or array comparison, from vitest's own diff: each changed line with
 * both values ("-" expected, "+" received) and the line above it for context, so a one-field difference
 * in a long object shows that field instead of two identical-looking prefixes.
 */
export function differingLines(diff: string): string | undefined {
  const lines = diff.replace(ansi, '').split('\n').filter((line) => !/^[-+] (Expected|Received)\s*$/.test(line) && line.trim() !== '');
  const changed = lines.map((line, i) => (/^[-+]/.test(line) ? i : -1)).filter((i) => i >= 0);
  if (!changed.length) return undefined;
  const shown = new Set<number>();
  for (const i of changed) {
    if (i > 0 && !/^[-+]/.test(lines[i - 1])) shown.add(i - 1);
    shown.add(i);
  }
  const picked = [...shown].sort((a, b) => a - b);
  const kept = picked.slice(0, diffCap.lines).map((i) => `  ${cut(lines[i].trimEnd(), diffCap.width)}`);
  const more = picked.length - kept.length;
  return [...kept, ...(more > 0 ? [`  … ${changed.filter((i) => i > picked[diffCap.lines - 1]).length} more changed line(s)`] : [])].join('\n');
}

/** "expected 400, received 200" style text from an assertion error; objects and arrays show what differs. */
export function describeError(error: ReportedError): string {
  // vitest's "// Object.is equality" note explains toBe to people who know its internals; learners need not.
  const first = error.message.split('\n')[0].replace(/ \/\/ Object\.is equality$/, '');
  if (error.expected === undefined && error.actual === undefined) return first;
  // Short values read best on one line each; values too long for that show the lines that differ.
  const tooLong = [error.expected, error.actual].some((value) => value !== undefined && oneLine(value).length > partCap.value);
  const differing = tooLong && error.diff ? differingLines(error.diff) : undefined;
  if (differing) return `${cut(first, partCap.first)}\n  - expected  + received\n${differing}`;
  return `${cut(first, partCap.first)}\n  expected: ${showValue(error.expected)}\n  received: ${showValue(error.actual)}`;
}

function summarize(tests: ReportedTest[]): SuiteSummary {
  const passed = tests.filter((t) => t.state === 'passed').length;
  return { passed, failed: tests.length - passed, total: tests.length };
}

/** A test file's own error (it did not load, or a hook failed): the first lines, which hold the gist. */
export function describeModuleError(error: ReportedError): string {
  const lines = error.message.replace(ansi, '').split('\n').map((line) => line.trimEnd()).filter(Boolean);
  return lines.slice(0, 8).join('\n');
}

/** vitest's word for a worker that died (out of memory, killed): said plainly. */
const workerCrash = /\[vitest-pool\]: Worker .* emitted error/;

function toResult(test: ReportedTest, fileFailed: boolean): TestResult {
  const result: TestResult = { name: `${test.suite} › ${test.fullName}`, status: test.state === 'passed' ? 'pass' : 'fail' };
  if (test.state === 'skipped') result.message = fileFailed ? 'did not run: its test file failed first (see above)' : 'this test was skipped; every test must run';
  else if (test.state === 'pending') result.message = 'this test never finished';
  else if (test.errors.length) result.message = describeError(test.errors[0]);
  else if (test.state === 'failed') result.message = 'failed, but its error is gone: did your code change the test\'s result after it ran?';
  if (test.output) result.output = test.output;
  return result;
}

/** The display name of a locked hidden test key (`<file> > <full name>`). */
const hiddenName = (key: string) => `hidden › ${key.split(' > ').slice(1).join(' > ')}`;

/**
 * A run that ended with no report (stopped at the time limit, or crashed): an error, never a pass. Tests that
 * ended before the stop keep their results; the rest are listed as never finished, the running one named.
 */
function verdictWithoutReport(base: Pick<GradeResult, 'version' | 'kata' | 'durationMs'>, facts: RunFacts): GradeResult {
  const { finished = [], running } = facts.progress ?? {};
  const expected = facts.expectedHidden ?? [];
  const where = running ? ` while "${running.fullName}" (${running.suite === 'hidden' ? 'hidden suite' : `your ${running.file}`}) was running` : '';
  const message = facts.timedOut
    ? `timed out after ${Math.round(facts.limitMs / 1000)} s${where}: the tests did not finish within the kata's time limit (an infinite loop, a slow query, or a server or timer that never stops?)`
    : `the test run crashed before it could report (exit ${facts.exitCode ?? 'by signal'})${facts.stderrTail ? `:\n${facts.stderrTail}` : ''}`;
  const runningKey = running && testKey(running.file, running.fullName);
  const stopped = facts.timedOut ? 'still running at the time limit' : 'running when the run crashed';
  const ended = new Set(finished.filter((t) => t.suite === 'hidden').map((t) => testKey(t.file, t.fullName)));
  const tests: TestResult[] = [
    ...finished.map((t) => toResult(t, false)),
    ...expected.filter((key) => !ended.has(key)).map((key) => ({ name: hiddenName(key), status: 'error' as const, message: key === runningKey ? stopped : 'never finished' })),
  ];
  const passed = finished.filter((t) => t.suite === 'hidden' && t.state === 'passed' && expected.includes(testKey(t.file, t.fullName))).length;
  return {
    ...base,
    status: 'error',
    message,
    tests,
    visible: summarize(finished.filter((t) => t.suite === 'visible')),
    hidden: { passed, failed: expected.length - passed, total: expected.length },
  };
}

export function buildVerdict(report: GradeReport | undefined, facts: RunFacts): GradeResult {
  const base = { version: 3 as const, kata: facts.kataId, durationMs: facts.durationMs };
  const seconds = Math.round(facts.limitMs / 1000);

  if (!report) return verdictWithoutReport(base, facts);

  // vitest finishes files in no fixed order: list the learner's tests first, then files by name.
  const ordered = [...report.tests].sort((a, b) => (a.suite === b.suite ? a.file.localeCompare(b.file) : a.suite === 'visible' ? -1 : 1));
  const visibleTests = ordered.filter((t) => t.suite === 'visible');
  const hiddenTests = ordered.filter((t) => t.suite === 'hidden');
  const failedFiles = new Set(report.modules.filter((m) => m.errors.length).map((m) => `${m.suite}:${m.file}`));
  const tests = ordered.map((t) => toResult(t, failedFiles.has(`${t.suite}:${t.file}`)));
  // A visible test file that could not run is shown too: the learner's own tests are feedback.
  for (const module of report.modules.filter((m) => m.suite === 'visible' && m.errors.length)) {
    tests.unshift({ name: `visible › ${module.file}`, status: 'error', message: describeModuleError(module.errors[0]) });
  }
  const problems: { status: Status; message: string }[] = [];

  if (facts.outOfMemory) {
    problems.push({ status: 'error', message: `your code ran out of memory: the tests run with a heap of ${facts.heapMb ?? '?'} MB (is something growing without bound?)` });
  }
  if (facts.timedOut) problems.push({ status: 'error', message: `timed out after ${seconds} s: the run was stopped at the kata's time limit` });
  if (facts.leftoverProcesses) {
    problems.push({ status: 'error', message: `your code started ${facts.leftoverProcesses} process(es) that were still running after the tests; they were killed. Wait for (or kill) every process you start.` });
  }
  for (const error of report.unhandledErrors) {
    if (workerCrash.test(error.message)) {
      if (!facts.outOfMemory) problems.push({ status: 'error', message: 'the process running your code crashed (killed, or it ran out of memory?)' });
    } else problems.push({ status: 'error', message: `your code raised an error outside any test: ${describeError(error)}` });
  }
  for (const module of report.modules.filter((m) => m.suite === 'hidden' && m.errors.length)) {
    const ran = hiddenTests.some((t) => t.file === module.file && t.state !== 'skipped');
    const what = ran ? 'a hidden test file failed after its tests' : 'the hidden suite could not run your code';
    problems.push({ status: 'fail', message: `${what}: ${describeModuleError(module.errors[0])}` });
  }

  const reported = new Map(hiddenTests.map((t) => [testKey(t.file, t.fullName), t]));
  const expected = facts.expectedHidden ?? [...reported.keys()];
  const missing = expected.filter((key) => !reported.has(key));
  if (missing.length) {
    problems.push({ status: 'fail', message: `${missing.length} hidden test(s) were never run (did your code exit early?)` });
    for (const key of missing) tests.push({ name: hiddenName(key), status: 'error', message: 'this test was never reported as run' });
  }
  const failedHidden = expected.filter((key) => reported.has(key) && reported.get(key)!.state !== 'passed');
  if (failedHidden.length) problems.push({ status: 'fail', message: `${failedHidden.length} of ${expected.length} hidden tests failed` });
  if (!expected.length) problems.push({ status: 'error', message: 'the hidden suite reported no tests' });

  const hidden = summarize(hiddenTests.filter((t) => expected.includes(testKey(t.file, t.fullName))));
  hidden.failed += missing.length;
  hidden.total = expected.length;

  const metrics = hiddenTests
    .filter((t) => t.metric)
    .map((t) => {
      const m = t.metric!;
      const passed = m.higherIsBetter ? m.value >= m.threshold : m.value <= m.threshold;
      return { ...m, ...(m.detail ? { detail: sanitize(m.detail, [], 1500) } : {}), passed };
    });
  const curves = hiddenTests.flatMap((t) => (t.curves ?? []).map((c) => ({ test: t.fullName, ...c })));

  const worst = problems.find((p) => p.status === 'error') ?? problems[0];
  const messages = [...new Set(problems.map((p) => p.message))];
  const result: GradeResult = {
    ...base,
    status: worst ? worst.status : 'pass',
    tests,
    visible: summarize(visibleTests),
    hidden,
  };
  if (worst) result.message = messages.join('\n');
  if (metrics.length) result.metrics = metrics;
  if (curves.length) result.curves = curves;
  return result;
}
