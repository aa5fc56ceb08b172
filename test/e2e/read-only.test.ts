// Read-only files a learner can end up with (a copy from a read-only share, a sudo run, a chmod): each gives
// a clear error naming the file and the command that fixes it, after whatever could still be shown.
import { chmodSync, cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { kata, testCatalog } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const solution = join(testCatalog, 'mini-stats', 'solution', 'src', 'stats.ts');
const noCrash = (run: { stdout: string; stderr: string }) => {
  expect(run.stderr).not.toContain('internal error');
  expect(run.stderr).not.toMatch(/^\s+at /m);
};

describe('a read-only progress store', () => {
  test('kata test prints the verdict, then that it was not recorded and the chmod that fixes it; doctor finds it', async () => {
    const home = tempDir();
    await kata(['start', 'mini-stats'], { cwd: home });
    const dir = join(home, 'workspace', 'mini-stats');
    const file = join(home, 'workspace', '.kata', 'progress.db');
    cpSync(solution, join(dir, 'src', 'stats.ts'));
    chmodSync(file, 0o444);

    const human = await kata(['test'], { cwd: dir, asUser: true });
    noCrash(human);
    expect(human.stdout).toContain('mini-stats passes');
    expect(human.stdout).not.toContain('Recorded as done');
    // SQLite gives the -wal and -shm files the mode of the database: the fix names every one that is read-only.
    expect(human.stderr).toContain(`kata: this verdict was not recorded: the progress store cannot be written (read-only: ${file}`);
    expect(human.stderr).toMatch(new RegExp(`→ chmod u\\+w ${file}( \\S+)*   then run the command again`));
    expect(human.code).toBe(2);

    const json = await kata(['test', '--json'], { cwd: dir, asUser: true });
    expect(JSON.parse(json.stdout)).toMatchObject({ version: 3, status: 'pass', recorded: false, error: { code: 'PROGRESS_READ_ONLY' } });
    expect(json.code).toBe(2);

    const doctor = await kata(['doctor'], { cwd: dir, asUser: true });
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/✗ progress store +.*is read-only .*kata test would grade but record nothing/);
    expect(doctor.stdout).toContain(`→ fix: chmod u+w ${file}`);
    expect(doctor.stdout).not.toContain('Everything is ready');

    const fix = human.stderr.match(/→ (chmod u\+w .*?)   then/)![1];
    for (const path of fix.replace('chmod u+w ', '').split(' ')) chmodSync(path, 0o644);
    expect((await kata(['test'], { cwd: dir, asUser: true })).code).toBe(0);
    const progress = JSON.parse((await kata(['progress', '--json'], { cwd: dir })).stdout);
    expect(progress.tracks[0].katas[0]).toMatchObject({ status: 'done', attempts: 1 });
  });

  test('a read-only .kata/ folder is named as such, not as a damaged store', async () => {
    const home = tempDir();
    await kata(['start', 'mini-stats'], { cwd: home });
    const folder = join(home, 'workspace', '.kata');
    chmodSync(folder, 0o555);
    try {
      const run = await kata(['test', 'mini-stats'], { cwd: home, asUser: true });
      noCrash(run);
      expect(run.stdout).toContain('does not pass yet');
      expect(run.stderr).toContain(`this verdict was not recorded: the progress store cannot be written (read-only: ${folder}`);
      expect(run.stderr).not.toContain('damaged');
      const list = await kata(['list'], { cwd: home, asUser: true });
      expect(list.stderr).toContain(`→ chmod u+w ${folder}`);
    } finally {
      chmodSync(folder, 0o755);
    }
  });
});

describe('a read-only learner file', () => {
  test('reset and start --force stop before changing anything, naming the file and the fix; doctor finds it', async () => {
    const home = tempDir();
    await kata(['start', 'mini-stats'], { cwd: home });
    const file = join(home, 'workspace', 'mini-stats', 'src', 'stats.ts');
    writeFileSync(file, '// mine\n');
    chmodSync(file, 0o444);
    for (const args of [['reset', 'mini-stats'], ['start', 'mini-stats', '--force']]) {
      const run = await kata(args, { cwd: home, asUser: true });
      noCrash(run);
      expect(run.code, `kata ${args.join(' ')}`).toBe(2);
      expect(run.stderr).toContain(`these are read-only, so nothing was changed:\n  ${file}`);
      expect(run.stderr).toContain(`→ chmod u+w ${file}   then: kata ${args.join(' ')}`);
    }
    expect(readFileSync(file, 'utf8')).toBe('// mine\n');
    expect(existsSync(join(home, 'workspace', '.kata', 'backups'))).toBe(false);

    const doctor = await kata(['doctor'], { cwd: home, asUser: true });
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/✗ kata folders +read-only, so kata reset and kata start --force cannot replace them: .*src\/stats\.ts/);
    expect(doctor.stdout).toContain(`→ fix: chmod u+w ${file}`);

    chmodSync(file, 0o644);
    const reset = await kata(['reset', 'mini-stats'], { cwd: home, asUser: true });
    expect(reset.code).toBe(0);
    expect(readFileSync(file, 'utf8')).not.toBe('// mine\n');
  });
});
