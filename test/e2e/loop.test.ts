// The whole loop on the test catalog: start → failing test → passing test → progress → solution.
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { kata, testCatalog } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const solution = join(testCatalog, 'mini-stats', 'solution', 'src', 'stats.ts');

describe('kata start', () => {
  test('scaffolds the starter and visible tests, and says what to do next', async () => {
    const home = tempDir();
    const run = await kata(['start', 'mini-stats'], { cwd: home });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(join('workspace', 'mini-stats'));
    expect(run.stdout).toContain('kata test mini-stats');
    // The first step leads into the kata folder, from where every command finds this workspace.
    expect(run.stdout).toContain(`cd ${join('workspace', 'mini-stats')}`);
    const dir = join(home, 'workspace', 'mini-stats');
    expect(existsSync(join(dir, 'src', 'stats.ts'))).toBe(true);
    expect(existsSync(join(dir, 'tests', 'stats.test.ts'))).toBe(true);
    expect(existsSync(join(dir, 'hidden'))).toBe(false);
    expect(existsSync(join(home, 'workspace', '.kata', 'progress.db'))).toBe(true);
  });

  test('refuses to overwrite learner work without --force: a started kata says where the work is and exits 0; --force backs it up', async () => {
    const home = tempDir();
    await kata(['start', 'mini-stats'], { cwd: home });
    const file = join(home, 'workspace', 'mini-stats', 'src', 'stats.ts');
    writeFileSync(file, '// my precious work\n');
    const again = await kata(['start', 'mini-stats'], { cwd: home });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`is already started: your work is in ${join('workspace', 'mini-stats')}`);
    expect(again.stdout).toContain('Nothing was changed.');
    expect(again.stdout).toContain('kata test mini-stats');
    expect(again.stdout).toContain('kata reset mini-stats');
    expect(readFileSync(file, 'utf8')).toBe('// my precious work\n');
    const forced = await kata(['start', 'mini-stats', '--force'], { cwd: home });
    expect(forced.code).toBe(0);
    const backups = join(home, 'workspace', '.kata', 'backups', 'mini-stats');
    const [stamp] = readdirSync(backups);
    expect(readFileSync(join(backups, stamp, 'src', 'stats.ts'), 'utf8')).toBe('// my precious work\n');
  });

  test('an unknown id exits 2 with a suggestion; a path-like id is refused', async () => {
    const home = tempDir();
    const typo = await kata(['start', 'mini-stat'], { cwd: home });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('did you mean "mini-stats"?');
    const path = await kata(['start', '../mini-stats'], { cwd: home });
    expect(path.code).toBe(2);
    expect(path.stderr).toContain('not a kata id');
    expect(existsSync(join(home, 'workspace'))).toBe(false);
  });
});

describe('kata test, progress and solution', () => {
  test('the starter fails with a readable message; the solution passes and is recorded', async () => {
    const home = tempDir();
    await kata(['start', 'mini-stats'], { cwd: home });
    const dir = join(home, 'workspace', 'mini-stats');

    const failing = await kata(['test'], { cwd: dir });
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain('over 2,000 real flights');
    expect(failing.stdout).toMatch(/expected: \d/);
    expect(failing.stdout).toContain('received: 0');
    expect(failing.stdout).not.toContain('at '); // no stack traces
    expect(failing.stdout).toContain('kata hint mini-stats');

    const refused = await kata(['solution', 'mini-stats'], { cwd: home });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('once you have passed it');

    cpSync(solution, join(dir, 'src', 'stats.ts'));
    const json = await kata(['test', 'mini-stats', '--json'], { cwd: home });
    expect(json.code).toBe(0);
    const result = JSON.parse(json.stdout);
    expect(result).toMatchObject({ version: 3, status: 'pass', kata: 'mini-stats', hidden: { passed: 3, failed: 0, total: 3 }, visible: { passed: 1, total: 1 } });
    expect(result.tests.every((t: { status: string }) => t.status === 'pass')).toBe(true);

    const progress = JSON.parse((await kata(['progress', '--json'], { cwd: home })).stdout);
    const kataProgress = progress.tracks[0].katas[0];
    expect(kataProgress).toMatchObject({ kataId: 'mini-stats', status: 'done', attempts: 2 });
    expect(kataProgress.timeToGreenMs).toBeGreaterThan(0);

    const shown = await kata(['solution', 'mini-stats'], { cwd: home });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('Math.round((total / rows.length) * 100) / 100');
    // In the kata's folder, the id can be left out.
    expect((await kata(['solution'], { cwd: join(dir, 'src') })).stdout).toBe(shown.stdout);
    const listed = JSON.parse((await kata(['list', '--json'], { cwd: home })).stdout);
    expect(listed).toEqual([expect.objectContaining({ id: 'mini-stats', status: 'done' })]);
  });

  test('test outside a kata folder without an id is a usage error naming the fix', async () => {
    const home = tempDir();
    const run = await kata(['test'], { cwd: home });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('kata test <id>');
    const notStarted = await kata(['test', 'mini-stats'], { cwd: home });
    expect(notStarted.code).toBe(2);
    expect(notStarted.stderr).toContain('kata start mini-stats');
  });
});

describe('kata hint and reset', () => {
  test('hints come one at a time and are counted once each', async () => {
    const home = tempDir();
    await kata(['start', 'mini-stats'], { cwd: home });
    const first = await kata(['hint', 'mini-stats'], { cwd: home });
    expect(first.stdout).toContain('Hint 1 of 2');
    expect(first.stdout).toContain('Sum the delays');
    const second = await kata(['hint', 'mini-stats'], { cwd: home });
    expect(second.stdout).toContain('Hint 2 of 2');
    expect(second.stdout).toContain('last hint');
    await kata(['hint', 'mini-stats'], { cwd: home });
    const progress = JSON.parse((await kata(['progress', '--json'], { cwd: home })).stdout);
    expect(progress.tracks[0].katas[0].hintsUsed).toBe(2);
  });

  test('hint --all repeats the hints seen so far and records nothing new', async () => {
    const home = tempDir();
    await kata(['start', 'mini-stats'], { cwd: home });
    const dir = join(home, 'workspace', 'mini-stats');
    expect((await kata(['hint', '--all'], { cwd: dir })).stdout).toContain('No hints seen yet for mini-stats. The first one: kata hint mini-stats');
    expect((await kata(['hint'], { cwd: dir })).stdout).toContain('(the ones so far: kata hint mini-stats --all)');
    const all = await kata(['hint', '--all'], { cwd: dir });
    expect(all.code).toBe(0);
    expect(all.stdout).toContain('Hint 1 of 2');
    expect(all.stdout).toContain('Sum the delays');
    expect(all.stdout).not.toContain('Hint 2 of 2');
    expect(JSON.parse((await kata(['hint', '--all', '--json'], { cwd: dir })).stdout)).toEqual({ kata: 'mini-stats', of: 2, hints: [{ hint: 1, text: 'Sum the delays, then divide by the count.' }] });
    const progress = JSON.parse((await kata(['progress', '--json'], { cwd: home })).stdout);
    expect(progress.tracks[0].katas[0].hintsUsed).toBe(1);
  });

  test('reset restores the starter and keeps a backup of the learner files', async () => {
    const home = tempDir();
    await kata(['start', 'mini-stats'], { cwd: home });
    const file = join(home, 'workspace', 'mini-stats', 'src', 'stats.ts');
    writeFileSync(file, '// attempt 1\n');
    // In the kata's folder, reset needs no id.
    const run = await kata(['reset'], { cwd: join(home, 'workspace', 'mini-stats', 'src') });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('mini-stats is back to its starter files');
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(join(testCatalog, 'mini-stats', 'starter', 'src', 'stats.ts'), 'utf8'));
    const backup = run.stdout.match(/backed up to (\S+)/)![1];
    expect(readFileSync(join(backup, 'src', 'stats.ts'), 'utf8')).toBe('// attempt 1\n');
  });
});

describe('the command line', () => {
  test('an unknown command exits 2 with a suggestion; --help exits 0', async () => {
    const home = tempDir();
    const typo = await kata(['lisst'], { cwd: home });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('Did you mean list?');
    const help = await kata(['--help'], { cwd: home });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('kata next');
  });

  test('a workspace that is a file is refused with exit 2 and nothing is written', async () => {
    const home = tempDir({ 'not-a-folder': 'x' });
    const run = await kata(['start', 'mini-stats', '--workspace', 'not-a-folder'], { cwd: home });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('is a file');
    expect(readFileSync(join(home, 'not-a-folder'), 'utf8')).toBe('x');
  });
});

describe('your own tests and the verdict', () => {
  test('a note says so when your own tests fail but the kata passes', async () => {
    const home = tempDir();
    await kata(['start', 'mini-stats'], { cwd: home });
    const dir = join(home, 'workspace', 'mini-stats');
    cpSync(solution, join(dir, 'src', 'stats.ts'));
    writeFileSync(join(dir, 'tests', 'mine.test.ts'), "import { expect, test } from 'vitest';\ntest('my own idea of the contract', () => expect(1 + 1).toBe(3));\n");
    const run = await kata(['test'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('mini-stats passes');
    expect(run.stdout).toContain('Note: 1 of your own tests (tests/) fails, but the kata passes: the hidden suite decides.');
  });
});

describe('kata list', () => {
  test('shows which katas are open now and what a locked one comes after', async () => {
    const catalog = tempDir();
    cpSync(join(testCatalog, 'mini-stats'), join(catalog, 'mini-stats'), { recursive: true });
    cpSync(join(testCatalog, 'mini-stats'), join(catalog, 'mini-more'), { recursive: true });
    const manifest = JSON.parse(readFileSync(join(catalog, 'mini-more', 'kata.json'), 'utf8'));
    writeFileSync(join(catalog, 'mini-more', 'kata.json'), JSON.stringify({ ...manifest, id: 'mini-more', order: 2, prerequisites: ['mini-stats'], summary: 'More of the same.' }));
    const home = tempDir();
    const before = await kata(['list'], { cwd: home, catalog });
    expect(before.stdout).toMatch(/○ open +mini-stats /);
    expect(before.stdout).toMatch(/locked +mini-more .*\(after mini-stats\) More of the same\./);
    expect(before.stdout).toContain('Next: kata start mini-stats');
    expect(JSON.parse((await kata(['list', '--json'], { cwd: home, catalog })).stdout)).toEqual([
      expect.objectContaining({ id: 'mini-stats', open: true, prerequisites: [], missingPrerequisites: [] }),
      expect.objectContaining({ id: 'mini-more', open: false, prerequisites: ['mini-stats'], missingPrerequisites: ['mini-stats'] }),
    ]);

    await kata(['start', 'mini-stats'], { cwd: home, catalog });
    cpSync(solution, join(home, 'workspace', 'mini-stats', 'src', 'stats.ts'));
    const passed = await kata(['test', 'mini-stats'], { cwd: home, catalog });
    expect(passed.code).toBe(0);
    expect(passed.stdout).not.toContain('Note:'); // its own tests pass too
    const after = await kata(['list'], { cwd: home, catalog });
    expect(after.stdout).toMatch(/✓ done +mini-stats /);
    expect(after.stdout).toMatch(/○ open +mini-more /);
    expect(after.stdout).not.toContain('(after mini-stats)');
    expect(after.stdout).toContain('Next: kata start mini-more');
  });
});
