// Runs the real `kata` binary as a user would, in a temporary workspace.
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { execa } from 'execa';

export const repoRoot = join(import.meta.dirname, '..', '..');
export const bin = join(repoRoot, 'dist', 'runner', 'bin.js');
export const testCatalog = join(repoRoot, 'test', 'fixtures', 'katas');
/** A catalog of one small ML kata (tfjs training in the solution host). */
export const mlCatalog = join(repoRoot, 'test', 'fixtures', 'ml-katas');
/** A catalog of one small staged kata (three stages, one learner folder). */
export const stagedCatalog = join(repoRoot, 'test', 'fixtures', 'staged-katas');

export interface RunOptions {
  cwd: string;
  /** Defaults to the test catalog; `null` uses the real one. */
  catalog?: string | null;
  env?: Record<string, string>;
  input?: string;
  /**
   * Run kata as an ordinary user, for whom file modes hold: root (the tests' user in containers) writes
   * read-only files anyway, so it runs without the capabilities that allow that (setpriv).
   */
  asUser?: boolean;
}

/**
 * The environment of a test's `kata`: a test's temporary folder (tempDir()) stands for the clone, so
 * its workspace/ is kata's default workspace, and no test writes into this checkout's own workspace/.
 */
export function kataEnv(cwd: string, catalog: string | null = testCatalog): Record<string, string> {
  const [home] = relative(tmpdir(), cwd).split(sep);
  const inTemp = home?.startsWith('kata-test-');
  return {
    NO_COLOR: '1',
    KATA_WORKSPACE: '',
    // The type check (not graded) costs seconds of CPU per run: on only for the tests that are about it.
    KATA_TYPECHECK: '0',
    ...(inTemp ? { KATA_DEFAULT_WORKSPACE: join(tmpdir(), home, 'workspace') } : {}),
    ...(catalog ? { KATA_CATALOG_DIR: catalog } : {}),
  };
}

export async function kata(args: string[], options: RunOptions) {
  const catalog = options.catalog === undefined ? testCatalog : options.catalog;
  const asRoot = options.asUser && process.getuid?.() === 0;
  const [command, ...prefix] = asRoot ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search', '--', process.execPath] : [process.execPath];
  const result = await execa(command, [...prefix, bin, ...args], {
    cwd: options.cwd,
    reject: false,
    input: options.input,
    env: { ...kataEnv(options.cwd, catalog), ...options.env },
    extendEnv: true,
    timeout: 120_000,
  });
  return { code: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}
