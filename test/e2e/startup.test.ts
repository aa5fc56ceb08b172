// `kata --help` and `kata list` must stay light: they may not load vitest, express or tfjs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect, test } from 'vitest';
import { bin, repoRoot } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const heavy = /^(vitest|express|@tensorflow\/|vite)(\/|$)/;

async function modulesLoadedBy(args: string[]): Promise<string[]> {
  const dir = tempDir();
  const trace = join(dir, 'trace.txt');
  const run = await execa(process.execPath, ['--import', join(repoRoot, 'test', 'fixtures', 'trace', 'register.mjs'), bin, ...args], {
    env: { TRACE_FILE: trace, KATA_WORKSPACE: join(dir, 'ws'), NO_COLOR: '1' },
    reject: false,
  });
  expect(run.exitCode).toBe(0);
  return readFileSync(trace, 'utf8').split('\n').filter(Boolean);
}

test.each([[['--help']], [['list']], [['list', '--json']]])('kata %s loads no vitest, express or tfjs', async (args) => {
  const modules = await modulesLoadedBy(args);
  expect(modules).toContain('commander'); // the trace works
  expect(modules.filter((m) => heavy.test(m))).toEqual([]);
});

test("npx kata inside this checkout (the README's fallback to npm link) resolves to its own CLI", async () => {
  // The first npx in a fresh clone runs the package's prepare script (a whole build) while other tests
  // are running the CLI from dist/: the resolution is what is tested here, not the scripts.
  const run = await execa('npx', ['--no-install', 'kata', '--version'], { cwd: repoRoot, reject: false, env: { NO_COLOR: '1', npm_config_ignore_scripts: 'true' } });
  expect(run.exitCode, String(run.stderr)).toBe(0);
  expect(String(run.stdout).trim()).toMatch(/^\d+\.\d+\.\d+$/);
});
