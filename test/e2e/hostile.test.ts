// Broken and hostile solutions, each run through `kata test` as a learner would: each must get a
// failing or error verdict that names the cause, within the time limit, and never crash the runner.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { kata, repoRoot, testCatalog } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const solutions = join(repoRoot, 'test', 'fixtures', 'solutions');

// mini-stats's 8 s limit is what the tests about the limit need; every other test here grades against a
// copy with a limit no loaded machine reaches, so that a busy machine cannot turn its verdict into a timeout.
let catalog: string;
beforeAll(() => {
  catalog = mkdtempSync(join(tmpdir(), 'kata-hostile-catalog-'));
  cpSync(testCatalog, catalog, { recursive: true });
  const manifest = join(catalog, 'mini-stats', 'kata.json');
  writeFileSync(manifest, JSON.stringify({ ...JSON.parse(readFileSync(manifest, 'utf8')), timeLimitMs: 120_000 }));
});
afterAll(() => rmSync(catalog, { recursive: true, force: true }));

/** A copy of the relaxed catalog, for a test that changes its catalog. */
function catalogCopy(): string {
  const copy = tempDir();
  cpSync(catalog, copy, { recursive: true });
  return copy;
}

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
async function gradeSolution(
  solution: string,
  options: { catalog?: string; env?: Record<string, string>; home?: string; prepare?: (dir: string) => void } = {},
) {
  const home = options.home ?? tempDir();
  const grading = options.catalog ?? catalog;
  if (!options.home) await kata(['start', 'mini-stats'], { cwd: home, catalog: grading });
  const dir = join(home, 'workspace', 'mini-stats');
  cpSync(join(solutions, solution), join(dir, 'src', 'stats.ts'));
  options.prepare?.(dir);
  const run = await kata(['test', 'mini-stats', '--json'], { cwd: home, catalog: grading, env: options.env });
  return { ...run, result: JSON.parse(run.stdout), home, dir };
}

/** After an attack, an honest solution in the same workspace is graded as it deserves: a pass. */
async function expectHonestPass(home: string, grading = catalog) {
  const dir = join(home, 'workspace', 'mini-stats');
  cpSync(join(grading, 'mini-stats', 'solution', 'src', 'stats.ts'), join(dir, 'src', 'stats.ts'), { force: true });
  const run = await kata(['test', 'mini-stats', '--json'], { cwd: home, catalog: grading });
  const result = JSON.parse(run.stdout);
  expect(result.status, result.message).toBe('pass');
  expect(run.code).toBe(0);
  return result;
}

/** sha256 of every file under the runner's dist/, the test catalog and a few packages grading rests on. */
function runnerFingerprint(): string {
  const hash = createHash('sha256');
  for (const dir of ['dist/runner', 'test/fixtures/katas', 'node_modules/vitest/dist', 'katas/flight-delays-api']) {
    for (const file of (readdirSync(join(repoRoot, dir), { recursive: true }) as string[]).sort()) {
      const path = join(repoRoot, dir, file);
      if (statSync(path).isFile()) hash.update(file).update(readFileSync(path));
    }
  }
  hash.update(readFileSync(join(repoRoot, 'node_modules', 'vitest', 'package.json')));
  return hash.digest('hex');
}

/** Everything the learner would read: the overall message and each test's message. */
const said = (result: { message?: string; tests: { message?: string }[] }) =>
  [result.message ?? '', ...result.tests.map((t) => t.message ?? '')].join('\n');

describe('solutions that never finish are stopped at the time limit', () => {
  // What was running is named from what the judge saw, never guessed: the import, or the request (on a
  // loaded machine the limit may come while its test is still on its way to sending it).
  test.each([
    ['loop-at-import.ts', /: importing src\/stats\.ts was still running/],
    ['loop-in-handler.ts', /: (your app's GET \/mean|"GET \/mean > answers the mean as JSON over HTTP" \(hidden suite\)) was still running/],
  ])('%s', async (solution, running) => {
    const { code, result } = await gradeSolution(solution, { catalog: testCatalog });
    expect(code).toBe(1);
    expect(result.status).toBe('error');
    expect(result.message).toContain("the hidden suite was stopped at 8 s, the kata's time limit");
    expect(result.message).toMatch(running);
    expect(result.message).not.toMatch(/infinite loop/);
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
    // Outside a sandbox the port is taken; inside, the host has a network of its own and the server it
    // left listening fails the run instead.
    expect(said(result)).toMatch(/EADDRINUSE|left 1 server\(s\) listening/);
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
  const catalog = catalogCopy();
  const suite = join(catalog, 'mini-stats', 'hidden', 'stats.test.ts');
  const before = readFileSync(suite);
  const first = await gradeSolution('tamper-with-files.ts', { catalog, prepare: (dir) => writeFileSync(join(dir, 'catalog.path'), catalog) });
  expect(first.code).toBe(1);
  expect(first.result.status).toBe('fail');
  // Graded by the three original hidden tests, each reported as run (and failed), not by the forgery.
  expect(first.result.hidden).toMatchObject({ passed: 0, total: 3 });
  const hiddenNames = first.result.tests.filter((t: { name: string }) => t.name.startsWith('hidden')).map((t: { name: string; status: string }) => `${t.name}: ${t.status}`);
  expect(hiddenNames).toContain('hidden › meanDelay > over 2,000 real flights: fail');
  expect(hiddenNames.join('\n')).not.toContain('always');
  expect(existsSync(join(first.dir, 'tests'))).toBe(false);
  if (first.result.isolation === 'namespaces') {
    // The sandbox hides the catalog from the learner's code: the suite is untouched, the next run grades.
    expect(readFileSync(suite).equals(before)).toBe(true);
    await expectHonestPass(first.home, catalog);
  } else {
    // Without a sandbox the rewrite lands; the next run refuses to grade with it rather than trusting it.
    const again = await kata(['test', 'mini-stats'], { cwd: first.home, catalog });
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('does not match its lock');
  }
});

test('a hidden suite changed on disk (outside any run) is refused, not trusted', async () => {
  const catalog = catalogCopy();
  const home = tempDir();
  await kata(['start', 'mini-stats'], { cwd: home, catalog });
  writeFileSync(join(catalog, 'mini-stats', 'hidden', 'stats.test.ts'), "import { test } from 'vitest';\ntest('always', () => {});\n");
  const run = await kata(['test', 'mini-stats'], { cwd: home, catalog });
  expect(run.code).toBe(3);
  expect(run.stderr).toContain('does not match its lock');
});

test('rewriting the grader\'s hidden copy mid-run changes nothing that is graded', async () => {
  // A second, smaller hidden file: vitest runs the larger stats.test.ts first, which imports the solution.
  const catalog = catalogCopy();
  writeFileSync(
    join(catalog, 'mini-stats', 'hidden', 'two-rows.test.ts'),
    "import { expect, test } from 'vitest';\nimport { loadSolution } from '@kata/harness';\n\ntest('the mean of 10 and 20', async () => {\n  const { module, host } = await loadSolution('src/stats.ts');\n  try {\n    expect(await module.meanDelay([{ delay: 10 }, { delay: 20 }])).toBe(15);\n  } finally {\n    await host.close();\n  }\n});\n",
  );
  expect((await kata(['verify', 'mini-stats', '--write-lock'], { cwd: catalog, catalog })).code).toBe(0);
  const { code, result } = await gradeSolution('rewrite-hidden-copy.ts', { catalog });
  expect(code).toBe(1);
  expect(result.status).toBe('fail');
  expect(result.tests).toContainEqual(expect.objectContaining({ name: 'hidden › the mean of 10 and 20', status: 'fail' }));
});

describe('patching what the assertions rely on never turns wrong answers into passes', () => {
  // The judge runs in another process than the learner's code: whatever the code patches (vitest's
  // expect, built-ins, prototypes, hooks, the worker's RPC), the judge's own are untouched, so the wrong
  // answers are simply graded as wrong, each hidden test with its own failure.
  test.each([
    'patch-framework.ts',
    'patch-builtins.ts',
    'patch-instanceof.ts',
    'patch-prototype.ts',
    'rewrite-result.ts',
    'expect-failure.ts',
    'hook-injection.ts',
    'rpc-forgery.ts',
    'equality-testers.ts',
  ])('%s', async (solution) => {
    const { code, result, home } = await gradeSolution(solution);
    expect(code).toBe(1);
    expect(result.status).not.toBe('pass');
    expect(result.hidden.passed).toBeLessThan(result.hidden.total);
    expect(said(result)).toMatch(/expected /);
    if (['hook-injection.ts', 'rpc-forgery.ts', 'equality-testers.ts'].includes(solution)) await expectHonestPass(home);
  });

  test('a visible test that forges task updates and writes the progress store changes nothing', async () => {
    const { code, result, home } = await gradeSolution('equality-testers.ts', {
      prepare: (kataDir) => cpSync(join(solutions, 'visible-forgery.test.ts'), join(kataDir, 'tests', 'forgery.test.ts')),
    });
    expect(code).toBe(1);
    expect(result.hidden.passed).toBe(0);
    // Control sequences in the learner's test names never reach the reader.
    const names = result.tests.map((t: { name: string }) => t.name).join('\n');
    expect(names).toContain('forged');
    expect(names).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    const human = await kata(['test', 'mini-stats'], { cwd: home, catalog });
    expect(human.stdout + human.stderr).not.toContain('\u001b');
    const progress = JSON.parse((await kata(['progress', '--json'], { cwd: home, catalog })).stdout);
    expect(progress.tracks[0].katas[0].status).not.toBe('done');
    if (result.isolation === 'namespaces') {
      const output = result.tests.find((t: { name: string }) => t.name.includes('forged'))?.output ?? '';
      expect(output).toMatch(/store: .*(readonly|read-only|unable to open)/i);
    }
    await expectHonestPass(home);
  });

  test('a solution that re-exports the runner\'s reference solution is refused', async () => {
    const reference = join(catalog, 'mini-stats', 'solution', 'src', 'stats.ts');
    const home = tempDir();
    await kata(['start', 'mini-stats'], { cwd: home, catalog });
    const dir = join(home, 'workspace', 'mini-stats');
    writeFileSync(join(dir, 'src', 'stats.ts'), `export * from ${JSON.stringify(reference)};\n`);
    const run = await kata(['test', 'mini-stats', '--json'], { cwd: home, catalog });
    const result = JSON.parse(run.stdout);
    expect(run.code).toBe(1);
    expect(result.status).not.toBe('pass');
    expect(result.hidden.passed).toBe(0);
    await expectHonestPass(home);
  });

  test('a src/stats.ts that is a symlink to the reference solution is refused before grading', async () => {
    const home = tempDir();
    await kata(['start', 'mini-stats'], { cwd: home });
    const file = join(home, 'workspace', 'mini-stats', 'src', 'stats.ts');
    rmSync(file);
    symlinkSync(join(testCatalog, 'mini-stats', 'solution', 'src', 'stats.ts'), file);
    const run = await kata(['test', 'mini-stats'], { cwd: home });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('src/stats.ts points outside your kata folder');
    const progress = JSON.parse((await kata(['progress', '--json'], { cwd: home })).stdout);
    expect(progress.tracks[0].katas[0].status).not.toBe('done');
  });
});

test('start --force and reset replace a symlinked learner file instead of writing through it', async () => {
  const home = tempDir();
  await kata(['start', 'mini-stats'], { cwd: home });
  const outside = join(tempDir(), 'precious.ts');
  writeFileSync(outside, 'precious');
  const file = join(home, 'workspace', 'mini-stats', 'src', 'stats.ts');
  for (const args of [['start', 'mini-stats', '--force'], ['reset', 'mini-stats']]) {
    rmSync(file, { force: true });
    symlinkSync(outside, file);
    const run = await kata(args, { cwd: home });
    expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
    expect(readFileSync(outside, 'utf8'), `kata ${args.join(' ')} wrote through the link`).toBe('precious');
    expect(lstatSync(file).isSymbolicLink(), `kata ${args.join(' ')} left src/stats.ts a link`).toBe(false);
  }
});

test('learner code cannot write the runner\'s files: katas/, dist/ and node_modules/ stay byte-identical', async () => {
  const before = runnerFingerprint();
  const { code, result, dir, home } = await gradeSolution('rewrite-runner.ts');
  expect(code).toBe(1);
  expect(result.status).not.toBe('pass');
  expect(runnerFingerprint()).toBe(before);
  const attempts = JSON.parse(readFileSync(join(dir, 'write-attempts.json'), 'utf8')) as Record<string, string>;
  expect(Object.keys(attempts).length).toBeGreaterThanOrEqual(4);
  if (result.isolation === 'namespaces') {
    for (const [file, outcome] of Object.entries(attempts)) expect(outcome, file).toMatch(/EROFS|ENOENT/);
  }
  await expectHonestPass(home);
}, 180_000);

describe('grading data is kept from learner code', () => {
  // What the judge reads and learner code must not: a holdout file (with its labels) and vega-datasets'
  // raw data (every holdout's source). Read through the paths a learner sees (node_modules is a link).
  const holdout = join(repoRoot, 'fixtures', 'build', 'judge', 'penguins-holdout.json');
  const vega = join(repoRoot, 'node_modules', 'vega-datasets', 'data', 'flights-2k.json');

  /** mini-stats graded with read-grading-data.ts and its visible test: what each side's reads gave. */
  async function gradeReader(env: Record<string, string> = {}) {
    for (const file of [holdout, vega]) expect(existsSync(file), `${file} (built by npm run fixtures)`).toBe(true);
    const { code, result, dir } = await gradeSolution('read-grading-data.ts', {
      env: { ...env, MINI_STATS_READ: JSON.stringify([holdout, vega]) },
      prepare: (kataDir) => cpSync(join(solutions, 'read-grading-data.test.ts'), join(kataDir, 'tests', 'read-grading-data.test.ts')),
    });
    const read = (side: string) => JSON.parse(readFileSync(join(dir, `read-attempts.${side}.json`), 'utf8')) as Record<string, string>;
    return { code, result, host: read('host'), visible: read('visible') };
  }

  test('a solution and a visible test that read a holdout file and vega-datasets get nothing in the sandbox', async () => {
    const { code, result, host, visible } = await gradeReader();
    // Learner code still has its packages and its own fixtures: an honest solution passes.
    expect(result.status, result.message).toBe('pass');
    expect(code).toBe(0);
    for (const attempts of [host, visible]) expect(Object.keys(attempts).sort()).toEqual([holdout, vega].sort());
    if (result.isolation === 'namespaces') {
      for (const [file, outcome] of Object.entries(host)) expect(outcome, `the host reading ${file}`).toMatch(/ENOENT|EACCES/);
      for (const [file, outcome] of Object.entries(visible)) expect(outcome, `a visible test reading ${file}`).toMatch(/ENOENT|EACCES/);
      expect(result.isolationNote).toContain('grading data hidden');
    } else {
      expect(result.isolationNote).toContain('your code can read the grading data');
    }
  });

  test('without a sandbox grading goes on, and the result says the grading data was readable', async () => {
    const { code, result, host, visible } = await gradeReader({ KATA_ISOLATION: 'none' });
    expect(result.status, result.message).toBe('pass');
    expect(code).toBe(0);
    expect(result.isolation).toBe('none');
    expect(result.isolationNote).toContain('your code can read the grading data (holdout files, vega-datasets)');
    expect(host).toEqual({ [holdout]: 'read', [vega]: 'read' });
    expect(visible).toEqual({ [holdout]: 'read', [vega]: 'read' });
  });
});

test('a forged all-passing report, with the process above it killed, is never a pass', async () => {
  const { code, result, home } = await gradeSolution('forge-report.ts');
  expect(code).toBe(1);
  expect(result.status).not.toBe('pass');
  expect(result.hidden.passed).toBe(0);
  await expectHonestPass(home);
});

/** Whether a process whose command line holds `token` is still running. */
function runningWith(token: string): boolean {
  return readdirSync('/proc').some((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    try {
      return readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(token) && alive(Number(entry));
    } catch {
      return false;
    }
  });
}

test('a detached process with an empty environment does not outlive the run, and is named', async () => {
  const { code, result, dir, home } = await gradeSolution('spawn-orphan.ts');
  expect(code).toBe(1);
  expect(result.status).not.toBe('pass');
  expect(said(result)).toContain('still running after the tests');
  const token = readFileSync(join(dir, 'orphan.token'), 'utf8');
  for (let i = 0; i < 40 && runningWith(token); i++) await new Promise((r) => setTimeout(r, 50));
  expect(runningWith(token)).toBe(false);
  await expectHonestPass(home);
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
  await kata(['start', 'mini-stats'], { cwd: home, catalog });
  const dir = join(home, 'workspace', 'mini-stats');
  cpSync(join(solutions, 'loop-at-import.ts'), join(dir, 'src', 'stats.ts'));
  const { execa } = await import('execa');
  const { bin, kataEnv } = await import('../helpers/cli.js');
  const child = execa(process.execPath, [bin, 'test', 'mini-stats'], { cwd: home, reject: false, env: kataEnv(home, catalog) });
  // Wait until the learner's infinite loop is running in a grading worker, then kill kata outright.
  while (gradingProcesses(dir).length < 2) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGKILL');
  await child;
  for (let i = 0; i < 200 && gradingProcesses(dir).some(alive); i++) await new Promise((r) => setTimeout(r, 50));
  expect(gradingProcesses(dir).filter(alive)).toEqual([]);
});

test('Ctrl-C during kata test kills the run, removes temporary files and records nothing', async () => {
  const home = tempDir();
  const tmp = tempDir();
  await kata(['start', 'mini-stats'], { cwd: home, catalog });
  cpSync(join(solutions, 'loop-at-import.ts'), join(home, 'workspace', 'mini-stats', 'src', 'stats.ts'));
  const { execa } = await import('execa');
  const { bin, kataEnv } = await import('../helpers/cli.js');
  const child = execa(process.execPath, [bin, 'test', 'mini-stats'], {
    cwd: home,
    reject: false,
    env: { ...kataEnv(home, catalog), TMPDIR: tmp },
  });
  // Wait until the grading run exists, then interrupt as a terminal would.
  while (!readdirSync(tmp).some((f) => f.startsWith('kata-grade-'))) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 500));
  child.kill('SIGINT');
  const ended = await child;
  expect(ended.exitCode).toBe(130);
  expect(String(ended.stderr)).toContain('Interrupted');
  expect(readdirSync(tmp).filter((f) => f.startsWith('kata-grade-'))).toEqual([]);
  const progress = JSON.parse((await kata(['progress', '--json'], { cwd: home, catalog })).stdout);
  expect(progress.tracks[0].katas[0]).toMatchObject({ kataId: 'mini-stats', attempts: 0 });
});
