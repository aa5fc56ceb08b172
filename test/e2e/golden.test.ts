// Golden tests for the grader, as Exercism's test runners have: each fixture solution of the test
// catalog's mini-stats kata is graded with `kata test --json`, and the result must equal the one
// committed beside it in test/fixtures/golden/<case>.json (durations left out).
// After an intended change of output: UPDATE_GOLDEN=1 npx vitest run test/e2e/golden.test.ts
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { kata, repoRoot, testCatalog } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const solutions = join(repoRoot, 'test', 'fixtures', 'solutions');
const golden = join(repoRoot, 'test', 'fixtures', 'golden');
const miniStats = join(testCatalog, 'mini-stats');

interface Case {
  /** The learner's src/stats.ts. */
  solution: string;
  /** A replacement for the visible tests/stats.test.ts, when the case edits it. */
  visibleTest?: string;
}

const cases: Record<string, Case> = {
  pass: { solution: join(miniStats, 'solution', 'src', 'stats.ts') },
  fail: { solution: join(miniStats, 'starter', 'src', 'stats.ts') },
  'syntax-error': { solution: join(solutions, 'syntax-error.ts') },
  'infinite-loop': { solution: join(solutions, 'loop-at-import.ts') },
  'process-exit': { solution: join(solutions, 'exit-at-import.ts') },
  'unhandled-rejection': { solution: join(solutions, 'unhandled-rejection.ts') },
  'server-never-closed': { solution: join(solutions, 'server-never-closed.ts') },
  'memory-hog': { solution: join(solutions, 'memory-bomb.ts') },
  'edited-test': {
    solution: join(miniStats, 'starter', 'src', 'stats.ts'),
    visibleTest: "import { expect, test } from 'vitest';\ntest('the mean of two delays', () => { expect(true).toBe(true); });\n",
  },
};

/**
 * The result without what varies from run to run, or from machine to machine (which sandbox ran, how
 * long a call had run when the time limit stopped it).
 */
function normalize(result: Record<string, unknown>): Record<string, unknown> {
  const { durationMs: _durationMs, isolation, isolationNote, ...rest } = result;
  expect(['namespaces', 'none']).toContain(isolation);
  expect(isolationNote).toEqual(expect.any(String));
  if (typeof rest.message === 'string') rest.message = rest.message.replace(/\(for [\d.]+ s/g, '(for <n> s');
  return rest;
}

test.each(Object.keys(cases))('%s', async (name) => {
  const home = tempDir();
  await kata(['start', 'mini-stats'], { cwd: home });
  const dir = join(home, 'workspace', 'mini-stats');
  cpSync(cases[name].solution, join(dir, 'src', 'stats.ts'));
  if (cases[name].visibleTest) writeFileSync(join(dir, 'tests', 'stats.test.ts'), cases[name].visibleTest!);
  const run = await kata(['test', 'mini-stats', '--json'], { cwd: home });
  const actual = { exitCode: run.code, result: normalize(JSON.parse(run.stdout)) };

  const file = join(golden, `${name}.json`);
  if (process.env.UPDATE_GOLDEN || !existsSync(file)) writeFileSync(file, `${JSON.stringify(actual, null, 2)}\n`);
  expect(actual).toEqual(JSON.parse(readFileSync(file, 'utf8')));
});
