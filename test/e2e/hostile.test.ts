// Broken and hostile solutions, each run through `kata test` as a learner would: each must get a
// failing or error verdict that names the cause, within the time limit, and never crash the runner.
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { kata, repoRoot, testCatalog } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const solutions = join(repoRoot, 'test', 'fixtures', 'solutions');

/** Whether a process is still running (a zombie waiting to be reaped counts as ended). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return !/\) Z /.test(stat);
}

/** A workspace holding mini-stats with `solution` as its src/stats.ts, graded with `kata test --json`. */
async function gradeSolution(solution: string, options: { catalog?: string; env?: Record<string, string> } = {}) {
  const home = tempDir();
  const catalog = options.catalog ?? testCatalog;
  await kata(['start', 'mini-stats'], { cwd: home, catalog });
  const dir = join(home, 'workspace', 'mini-stats');
  cpSync(join(solutions, solution), join(dir, 'src', 'stats.ts'));
  const run = await kata(['test', 'mini-stats', '--json'], { cwd: home, catalog, env: options.env });
  return { ...run, result: JSON.parse(run.stdout), home, dir };
}

/** Everything the learner would read: the overall message and each test's message. */
const said = (result: { message?: string; tests: { message?: string }[] }) =>
  [result.message ?? '', ...result.tests.map((t) => t.message ?? '')].join('\n');

describe('solutions that never finish are stopped at the time limit', () => {
  test.each(['loop-at-import.ts', 'loop-in-handler.ts'])('%s', async (solution) => {
    const { code, result } = await gradeSolution(solution);
    expect(code).toBe(1);
    expect(result.status).toBe('error');
    expect(result.message).toContain('timed out after 8 s');
  });
});

describe('an early exit is never a pass', () => {
  test.each(['exit-at-import.ts', 'exit-in-code-path.ts'])('%s', async (solution) => {
    const { code, result } = await gradeSolution(solution);
    expect(code).toBe(1);
    expect(result.status).not.toBe('pass');
    expect(said(result)).toMatch(/process\.exit/);
  });
});

describe('errors outside the tests make it an error', () => {
  test('an unhandled rejection', async () => {
    const { code, result } = await gradeSolution('unhandled-rejection.ts');
    expect(code).toBe(1);
    expect(result.status).toBe('error');
    expect(result.message).toContain('a rejection nobody handled');
  });

  test('an exception thrown later from a timer', async () => {
    const { code, result } = await gradeSolution('throw-from-timer.ts');
    expect(code).toBe(1);
    expect(result.status).toBe('error');
    expect(result.message).toContain('thrown later from a timer');
  });
});

describe('servers', () => {
  let holder: Server;
  let port: number;
  beforeAll(async () => {
    holder = createServer();
    await new Promise<void>((ok) => holder.listen(0, '127.0.0.1', ok));
    port = (holder.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((ok) => holder.close(() => ok())));

  test('listening on a fixed port that is already taken', async () => {
    const { code, result } = await gradeSolution('fixed-port-taken.ts', { env: { MINI_STATS_FIXED_PORT: String(port) } });
    expect(code).toBe(1);
    expect(result.status).not.toBe('pass');
    expect(said(result)).toContain('EADDRINUSE');
  });

  test('a server that is never closed', async () => {
    const { code, result } = await gradeSolution('server-never-closed.ts');
    expect(code).toBe(1);
    expect(result.status).not.toBe('pass');
    expect(said(result)).toContain('left 1 server(s) listening');
  });
});

test('a memory bomb is stopped by the heap cap and the runner reports it', async () => {
  const { code, result } = await gradeSolution('memory-bomb.ts');
  expect(code).toBe(1);
  expect(result.status).toBe('error');
  expect(result.message).toContain('ran out of memory');
});

test('deleting the visible tests and rewriting the runner\'s hidden suite does not help', async () => {
  const catalog = tempDir();
  cpSync(testCatalog, catalog, { recursive: true });
  const first = await gradeSolution('tamper-with-files.ts', { catalog });
  // This run was graded from the fresh copy made before the solution ran.
  expect(first.code).toBe(1);
  expect(first.result.status).toBe('fail');
  // Graded by the three original hidden tests, each reported as run (and failed), not by the forgery.
  expect(first.result.hidden).toMatchObject({ passed: 0, total: 3 });
  const hiddenNames = first.result.tests.filter((t: { name: string }) => t.name.startsWith('hidden')).map((t: { name: string; status: string }) => `${t.name}: ${t.status}`);
  expect(hiddenNames).toContain('hidden › meanDelay > over 2,000 real flights: fail');
  expect(hiddenNames.join('\n')).not.toContain('always');
  expect(existsSync(join(first.dir, 'tests'))).toBe(false);
  // The runner's copy was rewritten: the next run refuses to grade with it rather than trusting it.
  const again = await kata(['test', 'mini-stats'], { cwd: first.home, catalog });
  expect(again.code).toBe(3);
  expect(again.stderr).toContain('does not match its lock');
});

test('rewriting the grader\'s hidden copy mid-run changes nothing that is graded', async () => {
  // A second, smaller hidden file: vitest runs the larger stats.test.ts first, which imports the solution.
  const catalog = tempDir();
  cpSync(testCatalog, catalog, { recursive: true });
  writeFileSync(
    join(catalog, 'mini-stats', 'hidden', 'two-rows.test.ts'),
    "import { expect, test } from 'vitest';\nimport { importSolution } from '@kata/harness';\n\ntest('the mean of 10 and 20', async () => {\n  const { meanDelay } = await importSolution<typeof import('../solution/src/stats')>('src/stats.ts');\n  expect(meanDelay([{ delay: 10 }, { delay: 20 }])).toBe(15);\n});\n",
  );
  expect((await kata(['verify', 'mini-stats', '--write-lock'], { cwd: catalog, catalog })).code).toBe(0);
  const { code, result } = await gradeSolution('rewrite-hidden-copy.ts', { catalog });
  expect(code).toBe(1);
  expect(result.status).toBe('fail');
  expect(result.tests).toContainEqual(expect.objectContaining({ name: 'hidden › the mean of 10 and 20', status: 'fail' }));
});

describe('patching what the assertions rely on never turns wrong answers into passes', () => {
  test('patching expect and the global object', async () => {
    const { code, result } = await gradeSolution('patch-framework.ts');
    expect(code).toBe(1);
    expect(result.status).not.toBe('pass');
    expect(said(result)).toContain('patched the test framework');
  });

  test.each([
    ['patch-builtins.ts', "read only property 'is'"],
    ['patch-instanceof.ts', 'Cannot redefine property: Symbol(Symbol.hasInstance)'],
    ['patch-prototype.ts', 'built-ins it relies on (Object.prototype.toString)'],
    ['rewrite-result.ts', "its error is gone: did your code change the test's result"],
    ['expect-failure.ts', 'expected +0 to be null'],
  ])('%s', async (solution, cause) => {
    const { code, result } = await gradeSolution(solution);
    expect(code).toBe(1);
    expect(result.status).not.toBe('pass');
    expect(result.hidden.passed).toBe(0);
    expect(said(result)).toContain(cause);
  });
});

test('a forged all-passing report, with the grading process killed, is never a pass', async () => {
  const { code, result } = await gradeSolution('forge-report.ts');
  expect(code).toBe(1);
  expect(result.status).toBe('error');
  expect(result.message).toContain('crashed before it could report');
});

test('a process that outlives the solution is killed and named', async () => {
  const { code, result, dir } = await gradeSolution('spawn-orphan.ts');
  expect(code).toBe(1);
  expect(result.status).toBe('error');
  expect(result.message).toContain('still running after the tests');
  const pid = Number(readFileSync(join(dir, 'orphan.pid'), 'utf8'));
  // SIGKILL was sent before kata returned; give the kernel a moment to finish the process off.
  for (let i = 0; i < 40 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  expect(alive(pid)).toBe(false);
});

test('megabytes of output are capped and the verdict still arrives', async () => {
  const { code, result, stdout } = await gradeSolution('flood-stdout.ts');
  expect(code).toBe(1);
  expect(result.status).toBe('fail');
  expect(stdout.length).toBeLessThan(100_000);
  for (const t of result.tests) expect((t.output ?? '').length).toBeLessThanOrEqual(520);
});

/** PIDs of processes grading the kata folder `dir` (their environment names it). */
function gradingProcesses(dir: string): number[] {
  const needle = Buffer.from(`KATA_SOLUTION_DIR=${dir}\0`);
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`).includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number);
}

test('kata test killed with SIGKILL mid-run leaves no grading process behind', async () => {
  const home = tempDir();
  await kata(['start', 'mini-stats'], { cwd: home });
  const dir = join(home, 'workspace', 'mini-stats');
  cpSync(join(solutions, 'loop-at-import.ts'), join(dir, 'src', 'stats.ts'));
  const { execa } = await import('execa');
  const { bin } = await import('../helpers/cli.js');
  const child = execa(process.execPath, [bin, 'test', 'mini-stats'], { cwd: home, reject: false, env: { NO_COLOR: '1', KATA_CATALOG_DIR: testCatalog } });
  // Wait until the learner's infinite loop is running in a grading worker, then kill kata outright.
  while (gradingProcesses(dir).length < 2) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGKILL');
  await child;
  for (let i = 0; i < 60 && gradingProcesses(dir).some(alive); i++) await new Promise((r) => setTimeout(r, 50));
  expect(gradingProcesses(dir).filter(alive)).toEqual([]);
});

test('Ctrl-C during kata test kills the run, removes temporary files and records nothing', async () => {
  const home = tempDir();
  const tmp = tempDir();
  await kata(['start', 'mini-stats'], { cwd: home });
  cpSync(join(solutions, 'loop-at-import.ts'), join(home, 'workspace', 'mini-stats', 'src', 'stats.ts'));
  const { execa } = await import('execa');
  const { bin } = await import('../helpers/cli.js');
  const child = execa(process.execPath, [bin, 'test', 'mini-stats'], {
    cwd: home,
    reject: false,
    env: { NO_COLOR: '1', KATA_CATALOG_DIR: testCatalog, TMPDIR: tmp },
  });
  // Wait until the grading run exists, then interrupt as a terminal would.
  while (!readdirSync(tmp).some((f) => f.startsWith('kata-grade-'))) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 500));
  child.kill('SIGINT');
  const ended = await child;
  expect(ended.exitCode).toBe(130);
  expect(String(ended.stderr)).toContain('Interrupted');
  expect(readdirSync(tmp).filter((f) => f.startsWith('kata-grade-'))).toEqual([]);
  const progress = JSON.parse((await kata(['progress', '--json'], { cwd: home })).stdout);
  expect(progress.tracks[0].katas[0]).toMatchObject({ kataId: 'mini-stats', attempts: 0 });
});
