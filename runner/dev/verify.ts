// kata verify: the authors' check. For each kata: the manifest's files exist, prerequisites are real,
// orders are unique; the starter fails the hidden suite; the reference solution passes it and its own
// visible tests. With --write-lock it first records the hidden suite's hashes and test names.
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kata } from '../core/catalog.js';
import { grade } from '../core/grader.js';
import { writeLock } from '../core/hidden-suite.js';
import type { GradeResult } from '../core/results.js';
import { kataDirIn, listFiles, prepareRoot, scaffoldPlan, writeFiles } from '../core/workspace.js';

export interface KataCheck {
  kata: string;
  problems: string[];
  starter?: GradeResult;
  solution?: GradeResult;
  /** Grading time of each reference-solution run (more than one with `repeat`). */
  solutionMs: number[];
}

/** Problems a kata has on disk, before anything runs. */
export function staticProblems(kata: Kata, catalog: Kata[]): string[] {
  const problems: string[] = [];
  const has = (rel: string) => existsSync(join(kata.dir, rel));
  if (!has('README.md')) problems.push('README.md is missing');
  for (const file of kata.files) {
    if (!has(join('starter', file))) problems.push(`starter/${file} is missing (listed in files)`);
    if (!has(join('solution', file))) problems.push(`solution/${file} is missing (listed in files)`);
  }
  const extra = listFiles(join(kata.dir, 'solution')).filter((f) => !kata.files.includes(f.split('\\').join('/')));
  if (extra.length) problems.push(`solution/ has files not listed in files: ${extra.join(', ')}`);
  if (!listFiles(join(kata.dir, 'hidden')).some((f) => f.endsWith('.test.ts'))) problems.push('hidden/ has no *.test.ts file');
  if (!listFiles(join(kata.dir, 'tests')).some((f) => f.endsWith('.test.ts'))) problems.push('tests/ has no visible *.test.ts file');
  for (const id of kata.prerequisites) if (!catalog.some((k) => k.id === id)) problems.push(`prerequisite "${id}" is not a kata`);
  const sameOrder = catalog.filter((k) => k !== kata && k.order === kata.order);
  if (sameOrder.length) problems.push(`order ${kata.order} is also used by ${sameOrder.map((k) => k.id).join(', ')}`);
  return problems;
}

/** A scratch workspace holding the kata as a learner would have it, optionally with the solution in. */
function scratchKata(kata: Kata, withSolution: boolean): { root: string; dir: string } {
  const root = mkdtempSync(join(tmpdir(), `kata-verify-${kata.id}-`));
  prepareRoot(root);
  writeFiles(root, kata.id, scaffoldPlan(kata), { force: false, commandForForce: '' });
  const dir = kataDirIn(root, kata.id);
  if (withSolution) cpSync(join(kata.dir, 'solution'), dir, { recursive: true });
  return { root, dir };
}

async function gradeScratch(kata: Kata, withSolution: boolean, unlocked = false) {
  const { root, dir } = scratchKata(kata, withSolution);
  try {
    return await grade({ kata, solutionDir: dir, includeVisible: withSolution, unlocked });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export async function verifyKata(kata: Kata, catalog: Kata[], options: { writeLock?: boolean; repeat?: number } = {}): Promise<KataCheck> {
  const check: KataCheck = { kata: kata.id, problems: staticProblems(kata, catalog), solutionMs: [] };
  if (check.problems.length) return check;

  if (options.writeLock) {
    const unlocked = await gradeScratch(kata, true, true);
    if (unlocked.result.status !== 'pass') {
      check.solution = unlocked.result;
      check.problems.push('the reference solution does not pass its hidden suite, so no lock was written');
      return check;
    }
    writeLock(kata, unlocked.reportedHidden);
  }

  // Repeated runs show whether a hidden suite is stable (ML katas: seeds and thresholds with margin).
  for (let run = 1; run <= Math.max(1, options.repeat ?? 1); run++) {
    const solution = (await gradeScratch(kata, true)).result;
    check.solutionMs.push(solution.durationMs);
    if (run === 1 || solution.status !== 'pass') check.solution = solution;
    const which = options.repeat && options.repeat > 1 ? ` (run ${run})` : '';
    if (solution.status !== 'pass') check.problems.push(`the reference solution does not pass${which}: ${solution.message ?? ''}`);
    if (solution.visible.failed) check.problems.push(`the reference solution fails ${solution.visible.failed} visible test(s)${which}`);
  }
  check.starter = (await gradeScratch(kata, false)).result;
  if (check.starter.status === 'pass') check.problems.push('the starter passes the hidden suite; it must fail it');
  return check;
}
