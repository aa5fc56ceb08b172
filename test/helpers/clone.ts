// A copy of this checkout in a temporary folder, standing for a learner's clone: what the README has them
// do (one workspace per clone, a `kata` on PATH, updating with git pull) is tried there, never in this
// checkout. The build is copied, not redone; node_modules is a link to this checkout's.
import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { repoRoot, testCatalog } from './cli.js';

export interface Clone {
  /** The temporary folder holding the clone and anything else a test needs. */
  home: string;
  /** The clone itself: <home>/kata. */
  dir: string;
  remove(): void;
}

export function tempClone(): Clone {
  const home = mkdtempSync(join(tmpdir(), 'kata-clone-'));
  const dir = join(home, 'kata');
  mkdirSync(dir);
  const data = join(repoRoot, 'fixtures', 'build');
  for (const entry of ['package.json', 'package-lock.json', 'tsconfig.json', 'runner', 'bindings', 'dist', 'fixtures']) {
    cpSync(join(repoRoot, entry), join(dir, entry), {
      recursive: true,
      preserveTimestamps: true,
      // The katas' data (fixtures/build/) is output, not source, and large: the test catalog does not use it.
      filter: (source) => source !== data && !source.startsWith(`${data}/`),
    });
  }
  symlinkSync(realpathSync(join(repoRoot, 'node_modules')), join(dir, 'node_modules'));
  return { home, dir, remove: () => rmSync(home, { recursive: true, force: true }) };
}

/** Runs the clone's own `kata` (its dist/), with no workspace chosen: kata's defaults decide. */
export async function cloneKata(clone: Clone, args: string[], options: { cwd: string; env?: Record<string, string> }) {
  const run = await execa(process.execPath, [join(clone.dir, 'dist', 'runner', 'bin.js'), ...args], {
    cwd: options.cwd,
    reject: false,
    env: { NO_COLOR: '1', KATA_WORKSPACE: '', KATA_DEFAULT_WORKSPACE: '', KATA_CATALOG_DIR: testCatalog, ...options.env },
    timeout: 120_000,
  });
  return { code: run.exitCode, stdout: String(run.stdout), stderr: String(run.stderr) };
}
