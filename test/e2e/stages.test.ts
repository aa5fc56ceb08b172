// Staged katas (issue 13): one learner folder that grows stage by stage. kata test grades the current
// stage and every earlier one and says which stage each failure belongs to; a pass unlocks the next
// stage (its brief and new files, never over the learner's); list, progress, hint, solution and reset
// know the stages; verify checks each stage. The catalog is test/fixtures/staged-katas (mini-project).
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { kata, stagedCatalog } from '../helpers/cli.js';

const source = join(stagedCatalog, 'mini-project');
const reference = (stage: string, file: string) => readFileSync(join(source, 'stages', stage, 'solution', file), 'utf8');

describe('a staged kata, from start through two stages', () => {
  let home = '';
  let catalog = '';
  const folder = () => join(home, 'workspace', 'mini-project');
  const run = (args: string[]) => kata(args, { cwd: home, catalog });
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'kata-test-'));
    // Not a test of time limits: a copy whose limit no loaded machine reaches.
    catalog = join(home, 'catalog');
    cpSync(stagedCatalog, catalog, { recursive: true });
    const manifest = join(catalog, 'mini-project', 'kata.json');
    writeFileSync(manifest, JSON.stringify({ ...JSON.parse(readFileSync(manifest, 'utf8')), timeLimitMs: 90_000 }));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  test('start scaffolds stage 1 only: the project README, the stage 1 brief, its starter and tests', async () => {
    const started = await run(['start', 'mini-project']);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toContain('stages/1-parse.md (stage 1 of 3: Parse)');
    for (const file of ['README.md', 'stages/1-parse.md', 'src/parse.ts', 'tests/parse.test.ts']) expect(existsSync(join(folder(), file)), file).toBe(true);
    for (const file of ['stages/2-stats.md', 'src/stats.ts', 'tests/stats.test.ts']) expect(existsSync(join(folder(), file)), file).toBe(false);
    const list = await run(['list']);
    expect(list.stdout).toMatch(/mini-project 0\/3/);
    const hint = await run(['hint', 'mini-project']);
    expect(hint.stdout).toContain('Hint 1 of 2 for mini-project of stage 1 (Parse)');
    expect(hint.stdout).toContain('Number.isInteger');
  });

  test('the starter fails stage 1; the verdict names the stage; nothing is unlocked', async () => {
    const failed = await run(['test', 'mini-project']);
    expect(failed.code, failed.stdout).toBe(1);
    expect(failed.stdout).toContain('✗ stage 1 · Parse: 0/2');
    expect(failed.stdout).toContain('mini-project stage 1 of 3 (Parse), does not pass yet');
    expect(existsSync(join(folder(), 'stages', '2-stats.md'))).toBe(false);
    const json = JSON.parse((await run(['test', 'mini-project', '--json'])).stdout);
    expect(json.stage).toMatchObject({ current: 1, of: 3, id: 'parse' });
    expect(json.stages).toEqual([{ stage: 1, id: 'parse', title: 'Parse', passed: 0, failed: 2, total: 2 }]);
    expect(json.tests.filter((t: { name: string }) => t.name.startsWith('hidden')).every((t: { task_id?: number }) => t.task_id === 1)).toBe(true);
  });

  test('passing stage 1 unlocks stage 2: its brief and starter appear, a file of the learner\'s own of the same name is kept', async () => {
    writeFileSync(join(folder(), 'src', 'parse.ts'), reference('1-parse', 'src/parse.ts'));
    // The learner already wrote tests/stats.test.ts of their own: it must survive the unlock.
    writeFileSync(join(folder(), 'tests', 'stats.test.ts'), "import { test } from 'vitest';\ntest('mine', () => {});\n");
    const passed = await run(['test', 'mini-project']);
    expect(passed.code, passed.stdout).toBe(0);
    expect(passed.stdout).toContain('✓ mini-project stage 1 of 3 (Parse), passes');
    expect(passed.stdout).toContain('Stage 2 of 3 unlocked: Stats — The mean delay, to two decimals.');
    expect(passed.stdout).toContain('Read stages/2-stats.md');
    expect(passed.stdout).toContain('New in your folder: src/stats.ts');
    expect(passed.stdout).toContain('Kept your own tests/stats.test.ts');
    expect(passed.stdout).not.toContain('Recorded as done');
    expect(readFileSync(join(folder(), 'tests', 'stats.test.ts'), 'utf8')).toContain("test('mine'");
    expect(readFileSync(join(folder(), 'stages', '2-stats.md'), 'utf8')).toContain('# Stage 2: stats');
    expect((await run(['list'])).stdout).toMatch(/mini-project 1\/3/);
    const hint = await run(['hint', 'mini-project']);
    expect(hint.stdout).toContain('Hint 1 of 2 for mini-project of stage 2 (Stats)');
  });

  test('stage 2 grades stage 1 too: a regression in stage 1 fails stage 2\'s run, under stage 1', async () => {
    writeFileSync(join(folder(), 'src', 'stats.ts'), reference('2-stats', 'src/stats.ts'));
    // Broken parse: keeps strings. The stage 2 code is right, but its run fails in stage 1.
    writeFileSync(join(folder(), 'src', 'parse.ts'), 'export function delaysOf(rows: { delay: unknown }[]): number[] {\n  return rows.map((row) => Number(row.delay)).filter(Number.isFinite);\n}\n');
    const run2 = await run(['test', 'mini-project', '--json']);
    expect(run2.code).toBe(1);
    const json = JSON.parse(run2.stdout);
    expect(json.stage).toMatchObject({ current: 2, of: 3 });
    const [one, two] = json.stages;
    expect(one).toMatchObject({ stage: 1, id: 'parse' });
    expect(one.passed).toBeLessThan(one.total);
    expect(two).toMatchObject({ stage: 2, total: 2 });
    const failing = json.tests.filter((t: { status: string; name: string }) => t.status !== 'pass' && t.name.startsWith('hidden'));
    expect(failing.some((t: { task_id: number; name: string }) => t.task_id === 1 && /not a whole number/.test(t.name))).toBe(true);
    const text = await run(['test', 'mini-project']);
    expect(text.stdout).toMatch(/✗ stage 1 · Parse: 1\/2\n {6}✗ rows whose delay is not a whole number are left out/);
  });

  test('fixed, stage 2 passes and unlocks stage 3; progress shows 2/3; the reference of each passed stage is shown', async () => {
    writeFileSync(join(folder(), 'src', 'parse.ts'), reference('1-parse', 'src/parse.ts'));
    const passed = await run(['test', 'mini-project']);
    expect(passed.code, passed.stdout).toBe(0);
    expect(passed.stdout).toContain('✓ stage 1 · Parse: 2/2');
    expect(passed.stdout).toContain('✓ stage 2 · Stats: 2/2');
    expect(passed.stdout).toContain('Stage 3 of 3 unlocked: Serve');
    const progress = await run(['progress']);
    expect(progress.stdout).toMatch(/mini-project 2\/3\s+stage 3 of 3/);
    const json = JSON.parse((await run(['progress', '--json'])).stdout);
    expect(json.tracks[0].katas[0]).toMatchObject({ kataId: 'mini-project', status: 'in progress', stages: { passed: 2, total: 3, current: 3 } });
    const solution = JSON.parse((await run(['solution', 'mini-project', '--json'])).stdout);
    expect(solution.files.map((f: { file: string; stage: number }) => `${f.stage}:${f.file}`)).toEqual(['1:src/parse.ts', '2:src/stats.ts']);
  });

  test('reset --stage 2 goes back to the start of stage 2 with a backup: the reference of stage 1 and the stage 2 starter', async () => {
    writeFileSync(join(folder(), 'src', 'stats.ts'), '// my own work\n');
    const ahead = await run(['reset', 'mini-project', '--stage', '4']);
    expect(ahead.code).toBe(2);
    expect(ahead.stderr).toContain('mini-project has no stage 4: its stages are 1 parse, 2 stats, 3 serve');
    const reset = await run(['reset', 'mini-project', '--stage', '2']);
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout).toContain('is back at the start of stage 2 (Stats): the reference of stage 1 and the starter of stage 2');
    expect(readFileSync(join(folder(), 'src', 'parse.ts'), 'utf8')).toBe(reference('1-parse', 'src/parse.ts'));
    expect(readFileSync(join(folder(), 'src', 'stats.ts'), 'utf8')).toContain('not implemented: meanDelay');
    const backup = /backed up to (\S+)/.exec(reset.stdout)?.[1];
    expect(readFileSync(join(backup!, 'src', 'stats.ts'), 'utf8')).toBe('// my own work\n');
    const json = JSON.parse((await run(['progress', '--json'])).stdout);
    expect(json.tracks[0].katas[0].stages).toEqual({ passed: 1, total: 3, current: 2 });
  });
});

test('kata verify checks each stage: reference n passes 1..n, the reference of n-1 fails n, wrong/ fail, alt/ pass', async () => {
  const home = mkdtempSync(join(tmpdir(), 'kata-test-'));
  try {
    const catalog = join(home, 'catalog');
    cpSync(stagedCatalog, catalog, { recursive: true });
    const ok = await kata(['verify', 'mini-project', '--json'], { cwd: home, catalog });
    expect(ok.code, ok.stdout).toBe(0);
    const checks = JSON.parse(ok.stdout).katas as { stage: number; problems: string[]; solution: { passed: number; total: number }; starter: { passed: number; total: number }; corpus: { entry: string; ok: boolean }[] }[];
    expect(checks.map((c) => c.stage)).toEqual([1, 2, 3]);
    // Reference n passes stages 1..n; the starting point of n (reference n-1) passes 1..n-1 only.
    expect(checks.map((c) => `${c.solution.passed}/${c.solution.total}`)).toEqual(['2/2', '4/4', '5/5']);
    expect(checks.map((c) => c.starter.passed)).toEqual([0, 2, 4]);
    expect(checks[1].corpus).toEqual(expect.arrayContaining([expect.objectContaining({ entry: 'wrong/no-rounding', ok: true }), expect.objectContaining({ entry: 'alt/loop', ok: true })]));
    // A stage's solution/ holds only what it adds or changes: a copy of an earlier stage's file is refused.
    const stage2 = join(catalog, 'mini-project', 'stages', '2-stats');
    cpSync(join(catalog, 'mini-project', 'stages', '1-parse', 'solution', 'src', 'parse.ts'), join(stage2, 'solution', 'src', 'parse.ts'));
    const copied = await kata(['verify', 'mini-project', '--stage', '2'], { cwd: home, catalog });
    expect(copied.code).toBe(1);
    expect(copied.stdout).toContain("stages/2-stats/solution/src/parse.ts is the same as the earlier stage's: delete it");
    rmSync(join(stage2, 'solution', 'src', 'parse.ts'));
    // A stage whose reference of the stage before passes it is caught: stage 3's suite made to ask nothing new.
    const stage3 = join(catalog, 'mini-project', 'stages', '3-serve');
    writeFileSync(join(stage3, 'solution', 'src', 'app.ts'), readFileSync(join(stage3, 'starter', 'src', 'app.ts'), 'utf8'));
    const broken = await kata(['verify', 'mini-project', '--stage', '3'], { cwd: home, catalog });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain('mini-project 3-serve');
    expect(broken.stdout).toContain('the reference solution does not pass');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}, 180_000);
