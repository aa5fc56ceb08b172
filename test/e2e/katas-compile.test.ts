// Every kata's starter compiles as a learner gets it (DESIGN: "compiles, but fails the hidden suite"),
// and so does its reference solution: all katas are started in one workspace and type-checked with the
// tsconfig.json that `kata start` writes for the learner's editor. A staged kata is checked with the
// starter files of all its stages (each stage's starter compiles beside the earlier stages' stubs), and
// with the reference of its last stage (the solution/ layers of all its stages).
import { cpSync, existsSync, readFileSync } from 'node:fs';
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
  for (const id of ids) {
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'katas', id, 'kata.json'), 'utf8')) as { files?: string[]; stages?: { id: string; files: string[] }[] };
    const stages = (manifest.stages ?? []).map((stage, i) => ({ dir: join(repoRoot, 'katas', id, 'stages', `${i + 1}-${stage.id}`), files: stage.files }));
    if (variant === 'solution') {
      // A staged reference is layered: each stage's solution/ holds what that stage adds or changes.
      const layers = stages.length ? stages.map((stage) => join(stage.dir, 'solution')) : [join(repoRoot, 'katas', id, 'solution')];
      for (const layer of layers) cpSync(layer, join(workspace, id), { recursive: true });
    } else {
      for (const stage of stages.slice(1)) if (existsSync(join(stage.dir, 'starter'))) cpSync(join(stage.dir, 'starter'), join(workspace, id), { recursive: true, force: false });
    }
  }
  const run = await execa(process.execPath, [tsc, '-p', workspace], { reject: false });
  expect(String(run.stdout).replaceAll(workspace, '<workspace>')).toBe('');
  expect(run.exitCode).toBe(0);
});
