import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Kata } from '../../runner/core/catalog.js';
import type { KataError } from '../../runner/core/errors.js';
import { kataIdFromCwd, prepareRoot, resolveWorkspaceRoot, scaffoldPlan, writeFiles } from '../../runner/core/workspace.js';
import { runnerRoot } from '../../runner/core/paths.js';
import { tempDir } from '../helpers/tmp.js';

function kataIn(dir: string): Kata {
  return { id: 'sum-delays', dir: join(dir, 'sum-delays') } as Kata;
}

describe('workspace root', () => {
  test("--workspace beats KATA_WORKSPACE beats an ancestor with .kata/ beats the clone's workspace/", () => {
    const home = tempDir({ 'ws/.kata/progress.db': '', 'ws/sum-delays/src/x.ts': '' });
    const deep = join(home, 'ws', 'sum-delays', 'src');
    expect(resolveWorkspaceRoot({ workspace: 'flag', cwd: home, env: { KATA_WORKSPACE: '/env' } })).toBe(join(home, 'flag'));
    expect(resolveWorkspaceRoot({ cwd: deep, env: { KATA_WORKSPACE: '/env' } })).toBe('/env');
    expect(resolveWorkspaceRoot({ cwd: deep, env: {} })).toBe(join(home, 'ws'));
    // Never a workspace because of where the shell is: one per clone.
    expect(resolveWorkspaceRoot({ cwd: home, env: {} })).toBe(join(runnerRoot, 'workspace'));
    expect(resolveWorkspaceRoot({ cwd: join(runnerRoot, 'katas'), env: {} })).toBe(join(runnerRoot, 'workspace'));
    expect(resolveWorkspaceRoot({ cwd: home, env: { KATA_DEFAULT_WORKSPACE: '/moved' } })).toBe('/moved');
  });

  test('the kata of the current folder is its first segment below the root', () => {
    expect(kataIdFromCwd('/w', '/w/sum-delays/src')).toBe('sum-delays');
    expect(kataIdFromCwd('/w', '/w')).toBeUndefined();
    expect(kataIdFromCwd('/w', '/w/.kata')).toBeUndefined();
    expect(kataIdFromCwd('/w', '/elsewhere')).toBeUndefined();
  });

  test('a workspace that is a file is refused and left alone', () => {
    const dir = tempDir({ 'file.txt': 'mine' });
    let error: KataError | undefined;
    try {
      prepareRoot(join(dir, 'file.txt'));
    } catch (e) {
      error = e as KataError;
    }
    expect(error?.code).toBe('BAD_WORKSPACE');
    expect(error?.message).toContain('is a file');
    expect(readFileSync(join(dir, 'file.txt'), 'utf8')).toBe('mine');
  });

  test('a workspace outside the runner gets a node_modules link so learner code resolves express', () => {
    const root = tempDir();
    prepareRoot(root);
    expect(existsSync(join(root, 'node_modules', 'express', 'package.json'))).toBe(true);
    expect(existsSync(join(root, '.kata'))).toBe(true);
  });
});

describe('scaffolding', () => {
  const files = {
    'sum-delays/starter/src/sum.ts': 'export const sum = () => 0;\n',
    'sum-delays/README.md': '# brief\n',
    'sum-delays/tests/sum.test.ts': '// visible\n',
  };

  test('writes starter files as-is and visible tests into tests/', () => {
    const katas = tempDir(files);
    const root = tempDir();
    const result = writeFiles(root, 'sum-delays', scaffoldPlan(kataIn(katas)), { force: false, command: 'kata start sum-delays' });
    expect(result.written.sort()).toEqual(['README.md', 'src/sum.ts', join('tests', 'sum.test.ts')].sort());
    expect(readFileSync(join(root, 'sum-delays', 'tests', 'sum.test.ts'), 'utf8')).toBe('// visible\n');
  });

  test('never overwrites learner work without force, and writes nothing at all then', () => {
    const katas = tempDir(files);
    const root = tempDir({ 'sum-delays/src/sum.ts': 'my work' });
    let error: KataError | undefined;
    try {
      writeFiles(root, 'sum-delays', scaffoldPlan(kataIn(katas)), { force: false, command: 'kata start sum-delays' });
    } catch (e) {
      error = e as KataError;
    }
    expect(error?.code).toBe('WOULD_OVERWRITE');
    expect(error?.message).toContain(join('sum-delays', 'src', 'sum.ts'));
    expect(error?.hint).toContain('kata start sum-delays --force');
    expect(readFileSync(join(root, 'sum-delays', 'src', 'sum.ts'), 'utf8')).toBe('my work');
    expect(existsSync(join(root, 'sum-delays', 'README.md'))).toBe(false);
  });

  test('with force, learner files are backed up before they are replaced', () => {
    const katas = tempDir(files);
    const root = tempDir({ 'sum-delays/src/sum.ts': 'my work' });
    const result = writeFiles(root, 'sum-delays', scaffoldPlan(kataIn(katas)), { force: true, command: '' });
    expect(readFileSync(join(root, 'sum-delays', 'src', 'sum.ts'), 'utf8')).toBe(files['sum-delays/starter/src/sum.ts']);
    expect(readFileSync(join(result.backupDir!, 'src', 'sum.ts'), 'utf8')).toBe('my work');
  });

  test('identical files are not conflicts', () => {
    const katas = tempDir(files);
    const root = tempDir();
    mkdirSync(join(root, 'sum-delays', 'src'), { recursive: true });
    writeFileSync(join(root, 'sum-delays', 'src', 'sum.ts'), files['sum-delays/starter/src/sum.ts']);
    const result = writeFiles(root, 'sum-delays', scaffoldPlan(kataIn(katas)), { force: false, command: '' });
    expect(result.unchanged).toEqual(['src/sum.ts']);
    expect(result.backupDir).toBeUndefined();
  });
});
