// A kata's hidden suite, run in-process against a solution folder (KATA_SOLUTION_DIR, default: the
// kata's reference solution): the harness's in-process transport, for mutation testing and debugging.
// KATA_ID names the kata; for a staged kata KATA_STAGE names the stage (see staged-suite.mjs). Paths are
// taken from the working folder, so that StrykerJS's sandbox copy of the repository runs its own
// (mutated) files; the fixtures are built outside it.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defineConfig } from 'vitest/config';
import { composeStage } from './staged-suite.mjs';

const id = process.env.KATA_ID;
if (!id) throw new Error('set KATA_ID to the kata whose hidden suite should run');
const root = process.cwd();
const repo = process.env.KATA_REPO_ROOT ?? root;
const stage = process.env.KATA_STAGE ? composeStage(root, id, Number(process.env.KATA_STAGE)) : undefined;
// A test may take as long as grading allows it (kata.json's timeLimitMs), and never less than two minutes:
// a shorter limit here fails a slow but correct mutant, which Stryker would then count as killed.
const { timeLimitMs } = JSON.parse(readFileSync(join(root, 'katas', id, 'kata.json'), 'utf8'));
const testTimeout = Math.max(timeLimitMs, 120_000);

export default defineConfig({
  resolve: { alias: { '@kata/harness': join(root, 'runner', 'harness', 'index.ts') } },
  test: {
    root,
    include: stage ? stage.include : [`katas/${id}/hidden/**/*.test.ts`],
    environment: 'node',
    pool: 'threads',
    testTimeout,
    hookTimeout: testTimeout,
    env: {
      KATA_HARNESS_TRANSPORT: 'inprocess',
      KATA_SOLUTION_DIR: resolve(root, process.env.KATA_SOLUTION_DIR ?? stage?.solution ?? join('katas', id, 'solution')),
      KATA_FIXTURES_DIR: join(repo, 'fixtures', 'build'),
    },
  },
});
