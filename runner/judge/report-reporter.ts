// The vitest reporter that runs in the grading child. It records every test's state, errors and
// console output, plus unhandled errors, and hands them over as one GradeReport at the end of the run.
// vitest's own JSON `success` ignores unhandled errors, so the verdict is built from this instead.
import { relative } from 'node:path';
import type { UserConsoleLog } from 'vitest';
import type { ReportedHookContext, Reporter, SerializedError, TestCase, TestModule, TestSuite } from 'vitest/node';
import type { GradeProgress, GradeReport, ReportedError, ReportedTest } from './job.js';

const outputCapPerTest = 500;
/** tfjs's one-time advice to install tfjs-node, which cannot install here: noise that would push the
 * learner's own console output out of the lines a failure shows. */
const tfjsNodeBanner = 'looks like you are running TensorFlow.js in Node.js';

function toReported(error: SerializedError | { message?: string; expected?: unknown; actual?: unknown; diff?: unknown }): ReportedError {
  const e = error as { message?: string; expected?: unknown; actual?: unknown; name?: string; diff?: unknown };
  const reported: ReportedError = { message: String(e.message ?? e.name ?? 'unknown error') };
  if (e.expected !== undefined) reported.expected = String(e.expected);
  if (e.actual !== undefined) reported.actual = String(e.actual);
  if (typeof e.diff === 'string') reported.diff = e.diff;
  return reported;
}

function suiteOf(module: TestModule): 'visible' | 'hidden' {
  return module.project.name === 'visible' ? 'visible' : 'hidden';
}

/** The test file, relative to its suite's root. */
function fileOf(module: TestModule): string {
  return relative(module.project.config.root, module.moduleId);
}

export class GradeReportReporter implements Reporter {
  private readonly output = new Map<string, string>();

  constructor(
    private readonly onReport: (report: GradeReport) => void,
    private readonly onProgress: (progress: GradeProgress) => void = () => {},
  ) {}

  onTestModuleCollected(module: TestModule): void {
    this.onProgress({ collected: { suite: suiteOf(module), file: fileOf(module), tests: [...module.children.allTests()].length } });
  }

  onHookStart(hook: ReportedHookContext): void {
    this.hook(hook, false);
  }

  onHookEnd(hook: ReportedHookContext): void {
    this.hook(hook, true);
  }

  private hook(hook: ReportedHookContext, ended: boolean): void {
    const module = hook.entity.type === 'module' ? hook.entity : hook.entity.module;
    this.onProgress({ hook: { suite: suiteOf(module), file: fileOf(module), name: hook.name, ended } });
  }

  onTestCaseReady(test: TestCase): void {
    this.onProgress({ started: { suite: suiteOf(test.module), file: fileOf(test.module), fullName: test.fullName } });
  }

  onTestCaseResult(test: TestCase): void {
    this.onProgress({ finished: this.describe(test, suiteOf(test.module), fileOf(test.module)) });
  }

  onUserConsoleLog(log: UserConsoleLog): void {
    if (!log.taskId || log.content.includes(tfjsNodeBanner)) return;
    const before = this.output.get(log.taskId) ?? '';
    if (before.length < outputCapPerTest) this.output.set(log.taskId, (before + log.content).slice(0, outputCapPerTest));
  }

  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
    reason: 'passed' | 'failed' | 'interrupted',
  ): void {
    const report: GradeReport = { reason, modules: [], tests: [], unhandledErrors: unhandledErrors.map(toReported) };
    for (const module of testModules) {
      const suite = suiteOf(module);
      const file = fileOf(module);
      report.modules.push({ suite, file, state: module.state(), errors: module.errors().map(toReported) });
      for (const test of module.children.allTests()) report.tests.push(this.describe(test, suite, file));
    }
    this.onReport(report);
  }

  private describe(test: TestCase, suite: 'visible' | 'hidden', file: string): ReportedTest {
    const result = test.result();
    const described: ReportedTest = {
      suite,
      file,
      name: test.name,
      fullName: test.fullName,
      state: result.state,
      errors: (result.errors ?? []).map(toReported),
      durationMs: Math.round(test.diagnostic()?.duration ?? 0),
    };
    const meta = test.meta() as { kataMetric?: ReportedTest['metric']; kataCurves?: ReportedTest['curves'] };
    if (meta.kataMetric) described.metric = meta.kataMetric;
    if (meta.kataCurves) described.curves = meta.kataCurves;
    const output = this.output.get(test.id);
    if (output) described.output = output;
    if (result.state === 'skipped') {
      const blocked = blockedBy(test);
      if (blocked) described.blockedBy = blocked;
    }
    return described;
  }
}

/**
 * Why a test was skipped without being asked to: the nearest describe block whose hook failed (its
 * errors are the suite's, not the test's). A failing file-level hook is the module's error, reported
 * with the module.
 */
function blockedBy(test: TestCase): ReportedTest['blockedBy'] {
  for (let parent: TestCase['parent'] = test.parent; parent.type === 'suite'; parent = (parent as TestSuite).parent) {
    const errors = (parent as TestSuite).errors();
    if (errors.length) return { where: `describe("${parent.name}")`, error: toReported(errors[0]) };
  }
  return undefined;
}
