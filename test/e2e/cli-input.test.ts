// Bad input at the command line: a clear error, exit 2, and nothing written.
import { cpSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { kata, testCatalog } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

describe('kata ids', () => {
  test.each([
    ['start', 'mini-stat'],
    ['test', 'mini-statz'],
    ['hint', 'mini'],
    ['reset', 'nope'],
    ['solution', 'mini_stats'],
  ])('kata %s %s: unknown id, exit 2, nothing written', async (verb, id) => {
    const home = tempDir();
    const run = await kata([verb, id], { cwd: home });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`"${id}"`);
    expect(readdirSync(home)).toEqual([]);
  });

  test.each(['../mini-stats', 'mini-stats/../../etc', '/etc/passwd', '..', 'a\\b'])('a path as an id (%s) is refused', async (id) => {
    const home = tempDir();
    for (const verb of ['start', 'test', 'reset', 'solution']) {
      const run = await kata([verb, id], { cwd: home });
      expect(run.code, `kata ${verb} ${id}`).toBe(2);
      expect(run.stderr).toContain('not a kata id');
    }
    expect(readdirSync(home)).toEqual([]);
  });
});

test('with --json, an error is still one JSON document on stdout (results.json v3 for kata test)', async () => {
  const home = tempDir();
  const graded = await kata(['test', 'mini-statz', '--json'], { cwd: home });
  expect(graded.code).toBe(2);
  expect(JSON.parse(graded.stdout)).toMatchObject({ version: 3, status: 'error', tests: [], error: { code: 'UNKNOWN_KATA', hint: 'kata test mini-stats' } });
  const listed = await kata(['hint', 'mini-statz', '--json'], { cwd: home });
  expect(listed.code).toBe(2);
  expect(JSON.parse(listed.stdout)).toEqual({ error: expect.objectContaining({ code: 'UNKNOWN_KATA', message: 'there is no kata "mini-statz"; did you mean "mini-stats"?' }) });
  expect(readdirSync(home)).toEqual([]);
});

describe('workspaces', () => {
  test('a workspace that is a file, or inside a file, is refused', async () => {
    const home = tempDir({ 'plain.txt': 'x' });
    const file = await kata(['start', 'mini-stats', '--workspace', 'plain.txt'], { cwd: home });
    expect(file.code).toBe(2);
    expect(file.stderr).toContain('is a file');
    const inside = await kata(['start', 'mini-stats', '--workspace', 'plain.txt/ws'], { cwd: home });
    expect(inside.code).toBe(2);
    expect(inside.stderr).toContain('not writable');
    expect(readdirSync(home)).toEqual(['plain.txt']);
  });
});

test('a kata folder with a broken manifest: exit 2 naming the file and field, nothing written', async () => {
  const catalog = tempDir();
  cpSync(testCatalog, catalog, { recursive: true });
  writeFileSync(join(catalog, 'mini-stats', 'kata.json'), JSON.stringify({ formatVersion: 1, id: 'mini-stats', title: 'x' }));
  const home = tempDir();
  for (const args of [['list'], ['start', 'mini-stats']]) {
    const run = await kata(args, { cwd: home, catalog });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(join('mini-stats', 'kata.json'));
    expect(run.stderr).toMatch(/track: /);
    expect(run.stderr).toMatch(/timeLimitMs: /);
  }
  expect(existsSync(join(home, 'workspace'))).toBe(false);
});
