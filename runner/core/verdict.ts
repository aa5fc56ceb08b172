// Turns what the grading child reported (or failed to report) into a verdict. Pure: no I/O, so each
// rule is one unit test. A pass needs every locked hidden test reported as run and passed, no module
// error and no unhandled error; a missing report, a time-out or a crash is an error, never a pass.
import type { GradeReport, LearnerCall, ReportedError, ReportedTest, RunningTest } from '../judge/job.js';
import { testKey } from './hidden-suite.js';
import { callsInFlight, stillRunning, trainingNow, type Progress } from './progress.js';
import { stageOfFile } from './stages.js';
import type { GradeResult, Selection, Status, SuiteSummary, TestResult } from './results.js';

export type { Progress } from './progress.js';

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
  /** What the judge said as the run went: all that is known of a run with no report. */
  progress?: Progress;
  /** The visible run was stopped at the time limit, while this test was running (its section is kept). */
  visibleStopped?: { running?: RunningTest };
  /** Only some tests were run (-t, --visible): the result is theirs, and never a completion. */
  selection?: Selection;
  /** Whole messages (kata test --verbose): no part of a message is cut. */
  fullMessages?: boolean;
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
function showValue(value: string | undefined, full = false): string {
  if (value === undefined) return '(nothing)';
  return full ? oneLine(value) : cut(oneLine(value), partCap.value);
}

/** Lines of vitest's diff shown at most, and their width: enough for the differing fields, within the cap. */
const diffCap = { lines: 8, width: 110 };

/**
 * The differing part of an object or array comparison, from vitest's own diff: each changed line with
 * both values ("-" expected, "+" received) and the line above it for context, so a one-field difference
 * in a long object shows that field instead of two identical-looking prefixes.
 */
export function differingLines(diff: string, full = false): string | undefined {
  const lines = diff.replace(ansi, '').split('\n').filter((line) => !/^[-+] (Expected|Received)\s*$/.test(line) && line.trim() !== '');
  const changed = lines.map((line, i) => (/^[-+]/.test(line) ? i : -1)).filter((i) => i >= 0);
  if (!changed.length) return undefined;
  const shown = new Set<number>();
  for (const i of changed) {
    if (i > 0 && !/^[-+]/.test(lines[i - 1])) shown.add(i - 1);
    shown.add(i);
  }
  const picked = [...shown].sort((a, b) => a - b);
  if (full) return picked.map((i) => `  ${lines[i].trimEnd()}`).join('\n');
  const kept = picked.slice(0, diffCap.lines).map((i) => `  ${cut(lines[i].trimEnd(), diffCap.width)}`);
  const more = picked.length - kept.length;
  return [...kept, ...(more > 0 ? [`  … ${changed.filter((i) => i > picked[diffCap.lines - 1]).length} more changed line(s)`] : [])].join('\n');
}

/**
 * "expected 400, received 200" style text from an assertion error; objects and arrays show what differs.
 * `full` (kata test --verbose) keeps the whole message, every differing line and whole values.
 */
export function describeError(error: ReportedError, full = false): string {
  // vitest's "// Object.is equality" note explains toBe to people who know its internals; learners need not.
  const lines = error.message.split('\n');
  lines[0] = lines[0].replace(/ \/\/ Object\.is equality$/, '');
  const timeout = vitestTimeout.exec(error.message);
  if (timeout) return `did not finish within its ${seconds(Number(timeout[2]))} limit`;
  if (error.expected === undefined && error.actual === undefined) return full ? lines.join('\n').trimEnd() : lines[0];
  const first = full ? lines[0] : cut(lines[0], partCap.first);
  // Short values read best on one line each; values too long for that show the lines that differ.
  const tooLong = [error.expected, error.actual].some((value) => value !== undefined && oneLine(value).length > partCap.value);
  const differing = tooLong && error.diff ? differingLines(error.diff, full) : undefined;
  if (differing) return `${first}\n  - expected  + received\n${differing}`;
  return `${first}\n  expected: ${showValue(error.expected, full)}\n  received: ${showValue(error.actual, full)}`;
}

/** vitest's own time-out of one test or hook: its advice (configure "testTimeout") is not the learner's to take. */
const vitestTimeout = /^(Test|Hook) timed out in (\d+)ms\./;

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`.replace('.0 s', ' s');

function summarize(tests: ReportedTest[]): SuiteSummary {
  const passed = tests.filter((t) => t.state === 'passed').length;
  return { passed, failed: tests.length - passed, total: tests.length };
}

/** A test file's own error (it did not load, or a hook failed): the first lines, which hold the gist (all with `full`). */
export function describeModuleError(error: ReportedError, full = false): string {
  const lines = error.message.replace(ansi, '').split('\n').map((line) => line.trimEnd()).filter(Boolean);
  return (full ? lines : lines.slice(0, 8)).join('\n');
}

/** vitest's word for a worker that died (out of memory, killed): said plainly. */
const workerCrash = /\[vitest-pool\]: Worker .* emitted error/;

/** How the verdict reads the run: for the messages of its tests and problems. */
interface Context {
  full: boolean;
  /** Calls into the learner's code that a test or hook gave up waiting on. */
  abandoned: (LearnerCall & { ms: number })[];
}

/** "train() was still running (for 45 s)" for the calls a test (or, with no test, a hook of the file) gave up on. */
function stuckCalls(context: Context, file: string, test: string | undefined): string {
  const calls = context.abandoned.filter((call) => call.file === file && call.test === test);
  if (!calls.length) return '';
  const [first] = calls;
  const more = calls.length > 1 ? ` (and ${calls.length - 1} more call(s))` : '';
  return `: ${first.name} was still running (for ${seconds(first.ms)})${more}`;
}

function toResult(test: ReportedTest, fileFailed: boolean, context: Context): TestResult {
  const result: TestResult = { name: `${test.suite} › ${test.fullName}`, status: test.state === 'passed' ? 'pass' : 'fail', ...stageOf(test.suite, test.file) };
  if (test.state === 'skipped') {
    if (fileFailed) result.message = 'did not run: its test file failed first (see above)';
    else if (test.blockedBy) result.message = `did not run: a hook of ${test.blockedBy.where} failed first: ${describeError(test.blockedBy.error, context.full)}${vitestTimeout.test(test.blockedBy.error.message) ? stuckCalls(context, test.file, undefined) : ''}`;
    else result.message = 'this test was skipped; every test must run';
  } else if (test.state === 'pending') result.message = 'this test never finished';
  else if (test.errors.length) {
    result.message = describeError(test.errors[0], context.full);
    if (vitestTimeout.test(test.errors[0].message)) result.message += stuckCalls(context, test.file, test.fullName);
  } else if (test.state === 'failed') result.message = 'failed, but its error is gone: did your code change the test\'s result after it ran?';
  if (test.output) result.output = test.output;
  return result;
}

/** The display name of a locked hidden test key (`<file> > <full name>`). */
const hiddenName = (key: string) => `hidden › ${key.split(' > ').slice(1).join(' > ')}`;

/** A staged kata's hidden test belongs to the stage of its file: results.json's task_id. */
function stageOf(suite: string, file: string): Pick<TestResult, 'task_id'> {
  const stage = suite === 'hidden' ? stageOfFile(file) : undefined;
  return stage === undefined ? {} : { task_id: stage };
}

/** Where a call was made from, for a person: the test, or the hook of its file that was running. */
function calledFrom(call: LearnerCall, progress: Progress | undefined): string {
  if (call.test) return `"${call.test}"`;
  const hook = progress?.hook?.file === call.file ? progress.hook.name : 'beforeAll/afterAll';
  return `the ${hook} hook of ${call.file}`;
}

/**
 * What the hidden suite was doing when the time limit stopped it: the call into the learner's code it
 * was waiting on, with how long it had run; else the test or hook that was running. Facts only: a slow
 * solution and an endless loop look the same from outside.
 */
function stoppedWhile(facts: RunFacts, now: number): string {
  const [call, ...others] = callsInFlight(facts.progress);
  if (call) {
    const more = others.length ? ` (and ${others.length} more call(s))` : '';
    const training = trainingNow(facts.progress);
    const epoch = training?.call.id === call.id ? `, at epoch ${training.training.epoch}${training.training.epochs ? ` of ${training.training.epochs}` : ''}` : '';
    return `${call.name} was still running (for ${seconds(now - call.startedAt)}${epoch}, called from ${calledFrom(call, facts.progress)})${more}`;
  }
  const { hook } = facts.progress ?? {};
  const running = stillRunning(facts.progress);
  if (hook) return `the ${hook.name} hook of ${hook.file} was still running`;
  if (running) return `"${running.fullName}" (${running.suite === 'hidden' ? 'hidden suite' : `your ${running.file}`}) was still running`;
  return 'no test had started yet';
}

/**
 * A run that ended with no report (stopped at the time limit, or crashed): an error, never a pass. Tests that
 * ended before the stop keep their results; the rest are listed as not finished, the running one named.
 */
function verdictWithoutReport(base: Pick<GradeResult, 'version' | 'kata' | 'durationMs'>, facts: RunFacts, context: Context): GradeResult {
  const finished = facts.progress?.finished ?? [];
  const running = stillRunning(facts.progress);
  const expected = facts.expectedHidden ?? [];
  const limit = seconds(facts.limitMs);
  const section = facts.selection?.visibleOnly ? 'your tests were' : 'the hidden suite was';
  const message = facts.timedOut
    ? `${section} stopped at ${limit}, the kata's time limit: ${stoppedWhile(facts, Date.now())}`
    : `the test run crashed before it could report (exit ${facts.exitCode ?? 'by signal'})${facts.stderrTail ? `:\n${facts.stderrTail}` : ''}`;
  const runningKey = running?.suite === 'hidden' ? testKey(running.file, running.fullName) : undefined;
  const calls = callsInFlight(facts.progress);
  const stoppedTest = (key: string) => {
    if (!facts.timedOut) return 'running when the run crashed';
    const call = calls.find((c) => testKey(c.file, c.test ?? '') === key);
    return `still running at the time limit${call ? `: ${call.name} had been running for ${seconds(Date.now() - call.startedAt)}` : ''}`;
  };
  const ended = new Set(finished.filter((t) => t.suite === 'hidden').map((t) => testKey(t.file, t.fullName)));
  // Without a lock (an author writing it) every hidden test that ended is shown; with one, those selected.
  // A selection (-t) leaves out the learner's tests it skipped.
  const shown = (t: ReportedTest) =>
    t.suite === 'visible' ? !facts.selection || t.state !== 'skipped' : !facts.expectedHidden || expected.includes(testKey(t.file, t.fullName));
  const tests: TestResult[] = [
    ...finished.filter(shown).map((t) => toResult(t, false, context)),
    ...expected
      .filter((key) => !ended.has(key))
      .map((key) => ({ name: hiddenName(key), ...stageOf('hidden', key), status: 'error' as const, message: key === runningKey ? stoppedTest(key) : facts.timedOut ? 'did not start before the time limit' : 'never finished' })),
  ];
  // The learner's tests, stopped at the time limit too: the test they were in is named.
  if (facts.visibleStopped) tests.splice(finished.filter((t) => t.suite === 'visible').length, 0, visibleStuck(facts.visibleStopped.running, facts.limitMs));
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

/** The learner's own test that the time limit stopped (or the rest of their tests, if none had started). */
function visibleStuck(running: RunningTest | undefined, limitMs: number): TestResult {
  return running
    ? { name: `visible › ${running.fullName}`, status: 'error', message: `stopped at ${seconds(limitMs)}, the kata's time limit: this test was still running` }
    : { name: 'visible › your tests', status: 'error', message: `stopped at ${seconds(limitMs)}, the kata's time limit, before they had finished` };
}

/** A test file's own error, with the call a timed-out hook was waiting on. */
function moduleError(error: ReportedError, file: string, context: Context): string {
  return vitestTimeout.test(error.message) ? `a hook of ${file} ${describeError(error)}${stuckCalls(context, file, undefined)}` : describeModuleError(error, context.full);
}

export function buildVerdict(report: GradeReport | undefined, facts: RunFacts): GradeResult {
  const base = { version: 3 as const, kata: facts.kataId, durationMs: facts.durationMs, ...(facts.selection ? { selection: facts.selection } : {}) };
  const context: Context = { full: Boolean(facts.fullMessages), abandoned: facts.progress?.abandoned ?? [] };

  if (!report) return verdictWithoutReport(base, facts, context);
  const visibleOnly = Boolean(facts.selection?.visibleOnly);
  const expected = facts.expectedHidden ?? [...new Set(report.tests.filter((t) => t.suite === 'hidden').map((t) => testKey(t.file, t.fullName)))];
  const selected = (t: ReportedTest) =>
    !facts.selection || (t.suite === 'hidden' ? expected.includes(testKey(t.file, t.fullName)) : t.state !== 'skipped');

  // vitest finishes files in no fixed order: list the learner's tests first, then files by name.
  const ordered = report.tests.filter(selected).sort((a, b) => (a.suite === b.suite ? a.file.localeCompare(b.file) : a.suite === 'visible' ? -1 : 1));
  const visibleTests = ordered.filter((t) => t.suite === 'visible');
  const hiddenTests = ordered.filter((t) => t.suite === 'hidden');
  const failedFiles = new Set(report.modules.filter((m) => m.errors.length).map((m) => `${m.suite}:${m.file}`));
  const tests = ordered.map((t) => toResult(t, failedFiles.has(`${t.suite}:${t.file}`), context));
  // A visible test file that could not run is shown too: the learner's own tests are feedback.
  for (const module of report.modules.filter((m) => m.suite === 'visible' && m.errors.length)) {
    tests.unshift({ name: `visible › ${module.file}`, status: 'error', message: moduleError(module.errors[0], module.file, context) });
  }
  // The visible run went on to the time limit: what finished is kept, the test it was stuck in named.
  if (facts.visibleStopped) tests.splice(visibleTests.length, 0, visibleStuck(facts.visibleStopped.running, facts.limitMs));
  const problems: { status: Status; message: string }[] = [];

  if (facts.outOfMemory) {
    problems.push({ status: 'error', message: `your code ran out of memory: the tests run with a heap of ${facts.heapMb ?? '?'} MB (is something growing without bound?)` });
  }
  if (facts.timedOut) problems.push({ status: 'error', message: `the run was stopped at ${seconds(facts.limitMs)}, the kata's time limit` });
  if (facts.leftoverProcesses) {
    problems.push({ status: 'error', message: `your code started ${facts.leftoverProcesses} process(es) that were still running after the tests; they were killed. Wait for (or kill) every process you start.` });
  }
  for (const error of report.unhandledErrors) {
    if (workerCrash.test(error.message)) {
      if (!facts.outOfMemory) problems.push({ status: 'error', message: 'the process running your code crashed (killed, or it ran out of memory?)' });
    } else problems.push({ status: 'error', message: `your code raised an error outside any test: ${describeError(error, context.full)}` });
  }
  for (const module of report.modules.filter((m) => m.suite === 'hidden' && m.errors.length)) {
    const ran = hiddenTests.some((t) => t.file === module.file && t.state !== 'skipped');
    const what = ran ? 'a hidden test file failed after its tests' : 'the hidden suite could not run your code';
    problems.push({ status: 'fail', message: `${what}: ${moduleError(module.errors[0], module.file, context)}` });
  }

  const reported = new Map(hiddenTests.map((t) => [testKey(t.file, t.fullName), t]));
  const missing = expected.filter((key) => !reported.has(key));
  if (missing.length) {
    problems.push({ status: 'fail', message: `${missing.length} hidden test(s) were never run (did your code exit early?)` });
    for (const key of missing) tests.push({ name: hiddenName(key), ...stageOf('hidden', key), status: 'error', message: 'this test was never reported as run' });
  }
  const failedHidden = expected.filter((key) => reported.has(key) && reported.get(key)!.state !== 'passed');
  if (failedHidden.length) problems.push({ status: 'fail', message: `${failedHidden.length} of ${expected.length} hidden tests failed` });
  if (visibleOnly) {
    const failedVisible = visibleTests.filter((t) => t.state !== 'passed').length;
    if (failedVisible) problems.push({ status: 'fail', message: `${failedVisible} of ${visibleTests.length} of your tests failed` });
    if (report.modules.some((m) => m.suite === 'visible' && m.errors.length)) problems.push({ status: 'fail', message: 'a test file of yours could not run (see above)' });
    if (!visibleTests.length) {
      const pattern = facts.selection?.pattern;
      problems.push({ status: 'error', message: pattern !== undefined ? `no test matches -t ${JSON.stringify(pattern)}, neither in the hidden suite nor in yours` : 'your tests/ folder has no tests' });
    }
  } else if (!expected.length) problems.push({ status: 'error', message: 'the hidden suite reported no tests' });

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

/**
 * The learner's code does not parse: no test can run, so the verdict is the parser's, once, with the
 * lines around the error (Exercism's "error" status: no tests, a message), instead of every test
 * reported as not run.
 */
export function syntaxVerdict(kataId: string, problems: { file: string; line: number; column: number; message: string; frame: string }[], hiddenTotal: number, durationMs: number): GradeResult {
  const where = problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}\n${p.frame}`).join('\n');
  return {
    version: 3,
    kata: kataId,
    durationMs,
    status: 'error',
    message: sanitize(`your code does not parse, so no test could run:\n${where}`, [], 4000),
    tests: [],
    visible: { passed: 0, failed: 0, total: 0 },
    hidden: { passed: 0, failed: hiddenTotal, total: hiddenTotal },
  };
}
