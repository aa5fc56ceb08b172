// kata verify grades a kata's corpus: alternative solutions must pass, wrong ones must fail, and the
// hidden test that caught each wrong one is named.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { kata, testCatalog } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const reference = readFileSync(join(testCatalog, 'mini-stats', 'solution', 'src', 'stats.ts'), 'utf8');

function addSolution(catalog: string, where: string, note: string, source: string) {
  const dir = join(catalog, 'mini-stats', where);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, where.startsWith('wrong/') ? 'mistake.md' : 'style.md'), `${note}\n`);
  writeFileSync(join(dir, 'src', 'stats.ts'), source);
}

test('verify grades every wrong and alt solution, names the test that caught each, and fails on a wrong one that passes', async () => {
  const catalog = tempDir();
  cpSync(testCatalog, catalog, { recursive: true });
  addSolution(catalog, 'alt/for-loop', 'a for loop instead of reduce', reference.replace(
    'const total = rows.reduce((sum, row) => sum + row.delay, 0);',
    'let total = 0;\n  for (const row of rows) total += row.delay;',
  ));
  addSolution(catalog, 'wrong/empty-is-zero', 'answers 0 for no rows — breaks: no rows has no mean', reference.replace('return null;', 'return 0;'));
  // Rounds to one decimal: the hidden suite's 2,000-row mean has two, so it is caught.
  addSolution(catalog, 'wrong/one-decimal', 'rounds to one decimal — breaks: two decimals', reference.replace('* 100) / 100', '* 10) / 10'));

  const caught = await kata(['verify', 'mini-stats'], { cwd: catalog, catalog });
  expect(caught.stdout).toContain('wrong 2/2 caught; alt 1/1 pass');
  expect(caught.stdout).toMatch(/wrong\/empty-is-zero\s+caught by meanDelay > no rows has no mean/);
  expect(caught.stdout).toMatch(/wrong\/one-decimal\s+caught by .*over 2,000 real flights/);
  expect(caught.code).toBe(0);

  // A "wrong" solution the suite cannot tell from a right one, and an "alt" that is in fact wrong.
  addSolution(catalog, 'wrong/not-wrong', 'renames a variable — breaks: nothing', reference.replace(/total/g, 'sum'));
  addSolution(catalog, 'alt/not-right', 'claims to be correct', reference.replace('return null;', 'return 0;'));
  const missed = await kata(['verify', 'mini-stats', '--only', 'wrong/not-wrong,alt/not-right'], { cwd: catalog, catalog });
  expect(missed.code).toBe(1);
  expect(missed.stdout).toContain('wrong/not-wrong passes the hidden suite; it must fail it (renames a variable — breaks: nothing)');
  // Each failed test is named with its message (expected null, got the 0 the wrong alt returns).
  expect(missed.stdout).toMatch(/alt\/not-right is correct but fails:\s+hidden › meanDelay > no rows has no mean: .*null/);
  expect(missed.stdout).not.toContain('wrong/empty-is-zero');
});

test('a corpus entry without its note or its files is named before anything is graded', async () => {
  const catalog = tempDir();
  cpSync(testCatalog, catalog, { recursive: true });
  mkdirSync(join(catalog, 'mini-stats', 'wrong', 'no-note', 'src'), { recursive: true });
  writeFileSync(join(catalog, 'mini-stats', 'wrong', 'no-note', 'src', 'stats.ts'), reference);
  mkdirSync(join(catalog, 'mini-stats', 'alt', 'no-files'), { recursive: true });
  writeFileSync(join(catalog, 'mini-stats', 'alt', 'no-files', 'style.md'), 'nothing here\n');
  const run = await kata(['verify', 'mini-stats'], { cwd: catalog, catalog });
  expect(run.code).toBe(1);
  expect(run.stdout).toContain('wrong/no-note/mistake.md is missing or empty');
  expect(run.stdout).toContain('alt/no-files/src/stats.ts is missing (listed in files)');
});
