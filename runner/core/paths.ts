// Where the runner's own files live. Resolved from this module's location so that the CLI works from
// any current directory, whether it runs from dist/ (installed) or from source (the project's tests).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRunnerRoot(start: string): string {
  let dir = start;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'kata-runner') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`kata: cannot find the runner's package.json above ${start}`);
    dir = parent;
  }
}

export const runnerRoot = findRunnerRoot(dirname(fileURLToPath(import.meta.url)));
export const runnerVersion = (JSON.parse(readFileSync(join(runnerRoot, 'package.json'), 'utf8')) as { version: string }).version;
export const katasDir = join(runnerRoot, 'katas');
/** The fixture pipelines' outputs that learner code may read (fixturePath). */
export const fixturesBuildDir = join(runnerRoot, 'fixtures', 'build');
/** The outputs only the judge reads (holdout sets, hidden inputs: judgeFixturePath); hidden in the sandbox. */
export const judgeFixturesDir = join(fixturesBuildDir, 'judge');
export const distDir = join(runnerRoot, 'dist');
/** The compiled harness that visible and hidden tests import as `@kata/harness`. */
export const harnessEntry = join(distDir, 'runner', 'harness', 'index.js');
/** The script that runs one vitest suite: the judge (hidden) or the learner's visible tests. */
export const suiteChildEntry = join(distDir, 'runner', 'judge', 'child.js');
export const runnerNodeModules = join(runnerRoot, 'node_modules');
/** vega-datasets' full files, every holdout's labels among them: the pipelines' and judges' source only. */
export const vegaDatasetsDir = join(runnerNodeModules, 'vega-datasets');
/** The type checker's process (TypeScript's compiler API over the learner's files; runs none of them). */
export const typeCheckerEntry = join(distDir, 'runner', 'typecheck', 'checker.js');
