// The progress store under concurrency, crashes and damage, driven through real processes.
import { cpSync, existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { kata, repoRoot, testCatalog } from '../helpers/cli.js';
import { garbleIndexPage } from '../helpers/damage.js';
import { tempDir } from '../helpers/tmp.js';

const writer = join(repoRoot, 'test', 'fixtures', 'store', 'writer.mjs');

function attemptsIn(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    expect(db.pragma('quick_check', { simple: true })).toBe('ok');
    return (db.prepare('SELECT count(*) AS n FROM attempts').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('concurrency', () => {
  test('20 writers in parallel lose nothing', async () => {
    const file = join(tempDir(), '.kata', 'progress.db');
    const writers = Array.from({ length: 20 }, (_, i) => execa(process.execPath, [writer, file, '25', `kata-${i % 4}`]));
    const results = await Promise.all(writers);
    expect(results.every((r) => r.exitCode === 0)).toBe(true);
    expect(attemptsIn(file)).toBe(20 * 25);
  });

  test('two kata test runs finishing together both record their attempt', async () => {
    const home = tempDir();
    await kata(['start', 'mini-stats'], { cwd: home });
    cpSync(join(testCatalog, 'mini-stats', 'solution', 'src', 'stats.ts'), join(home, 'workspace', 'mini-stats', 'src', 'stats.ts'));
    const [a, b] = await Promise.all([kata(['test', 'mini-stats'], { cwd: home }), kata(['test', 'mini-stats'], { cwd: home })]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(attemptsIn(join(home, 'workspace', '.kata', 'progress.db'))).toBe(2);
    const progress = JSON.parse((await kata(['progress', '--json'], { cwd: home })).stdout);
    expect(progress.tracks[0].katas[0]).toMatchObject({ status: 'done', attempts: 2 });
  });
});

test('kill -9 in the middle of writing keeps every committed record', async () => {
  const file = join(tempDir(), 'progress.db');
  const child = execa(process.execPath, [writer, file, 'forever', 'sum-delays'], { reject: false });
  let committed = 0;
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = chunk.toString().trim().split('\n');
    committed = Number(lines[lines.length - 1]);
  });
  while (committed < 200) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGKILL');
  await child;
  expect(attemptsIn(file)).toBeGreaterThanOrEqual(committed);
});

describe('a damaged store', () => {
  async function startedWorkspace() {
    const home = tempDir();
    await kata(['start', 'mini-stats'], { cwd: home });
    await kata(['hint', 'mini-stats'], { cwd: home });
    return { home, file: join(home, 'workspace', '.kata', 'progress.db') };
  }

  test.each([
    ['overwritten with text', (file: string) => writeFileSync(file, 'definitely not SQLite')],
    ['truncated mid-page', (file: string) => truncateSync(file, 5000)],
    ['an index page garbled', (file: string) => garbleIndexPage(file)],
  ])('%s: a clear error naming the file and the repair, and the file is left alone', async (_name, damage) => {
    const { home, file } = await startedWorkspace();
    for (const suffix of ['-wal', '-shm']) if (existsSync(file + suffix)) writeFileSync(file + suffix, '');
    // Record an attempt first, so that the attempts index has a page of its own to damage.
    await kata(['test', 'mini-stats'], { cwd: home });
    damage(file);
    const before = readFileSync(file);
    for (const args of [['progress'], ['list'], ['test', 'mini-stats'], ['hint', 'mini-stats']]) {
      const run = await kata(args, { cwd: home });
      expect(run.code, `kata ${args.join(' ')}`).toBe(2);
      expect(run.stderr).toContain(file);
      expect(run.stderr).toContain('kata doctor --repair');
    }
    expect(readFileSync(file).equals(before)).toBe(true);

    const doctor = await kata(['doctor'], { cwd: home });
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/✗ progress store .*damaged/);

    const repair = await kata(['doctor', '--repair'], { cwd: home });
    expect(repair.code).toBe(0);
    const backup = repair.stdout.match(/kept as (\S+)\./)![1];
    expect(readFileSync(backup).equals(before)).toBe(true);
    expect((await kata(['progress'], { cwd: home })).code).toBe(0);
  });

  test('a store written by a newer kata is refused with exit 2 and untouched', async () => {
    const { home, file } = await startedWorkspace();
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    const run = await kata(['hint', 'mini-stats'], { cwd: home });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('schema version 99');
    const after = new Database(file, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(99);
    after.close();
  });
});
