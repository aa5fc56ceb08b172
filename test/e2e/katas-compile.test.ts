// Every kata's starter compiles as a learner gets it (DESIGN: "compiles, but fails the hidden suite"),
// and so does its reference solution: all katas are started in one workspace and type-checked with the
// tsconfig.json that `kata start` writes for the learner's editor.
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect, test } from 'vitest';
import { kata, repoRoot } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');

async function startAll(): Promise<{ workspace: string; ids: string[] }> {
  const workspace = tempDir();
  const ids = (await kata(['list', '--ids'], { cwd: workspace, catalog: null })).stdout.trim().split('\n');
  for (const id of ids) {
    const started = await kata(['start', id, '--workspace', workspace], { cwd: workspace, catalog: null });
    expect(started.code, `kata start ${id}: ${started.stderr}`).toBe(0);
  }
  return { workspace, ids };
}

test.each(['starter', 'solution'])('every kata type-checks with its %s', async (variant) => {
  const { workspace, ids } = await startAll();
  expect(ids.length).toBeGreaterThan(1);
  if (variant === 'solution') {
    for (const id of ids) {
      const { files } = JSON.parse(readFileSync(join(repoRoot, 'katas', id, 'kata.json'), 'utf8')) as { files: string[] };
      for (const file of files) cpSync(join(repoRoot, 'katas', id, 'solution', file), join(workspace, id, file));
    }
  }
  const run = await execa(process.execPath, [tsc, '-p', workspace], { reject: false });
  expect(String(run.stdout).replaceAll(workspace, '<workspace>')).toBe('');
  expect(run.exitCode).toBe(0);
});
