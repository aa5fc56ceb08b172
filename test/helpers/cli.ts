// Runs the real `kata` binary as a user would, in a temporary workspace.
import { join } from 'node:path';
import { execa } from 'execa';

export const repoRoot = join(import.meta.dirname, '..', '..');
export const bin = join(repoRoot, 'dist', 'runner', 'bin.js');
export const testCatalog = join(repoRoot, 'test', 'fixtures', 'katas');

export interface RunOptions {
  cwd: string;
  /** Defaults to the test catalog; `null` uses the real one. */
  catalog?: string | null;
  env?: Record<string, string>;
  input?: string;
}

export async function kata(args: string[], options: RunOptions) {
  const catalog = options.catalog === undefined ? testCatalog : options.catalog;
  const result = await execa(process.execPath, [bin, ...args], {
    cwd: options.cwd,
    reject: false,
    input: options.input,
    env: { NO_COLOR: '1', KATA_WORKSPACE: '', ...(catalog ? { KATA_CATALOG_DIR: catalog } : {}), ...options.env },
    extendEnv: true,
    timeout: 120_000,
  });
  return { code: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}
