// watch, next, doctor and completion, run as a learner would.
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { bin, kata, kataEnv, testCatalog } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

async function waitFor(read: () => string, pattern: RegExp, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (pattern.test(read())) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}; output so far:\n${read()}`);
}

describe('kata watch', () => {
  test.each([[[] as string[]], [['--poll']]])('a save re-runs the tests and a pass is recorded (%s)', async (flags) => {
    const home = tempDir();
    await kata(['start', 'mini-stats'], { cwd: home });
    const dir = join(home, 'workspace', 'mini-stats');
    const watcher = execa(process.execPath, [bin, 'watch', 'mini-stats', ...flags], {
      cwd: home,
      reject: false,
      env: kataEnv(home),
    });
    let output = '';
    watcher.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(() => output, /does not pass yet[\s\S]*Watching/, 'the first verdict');
    cpSync(join(testCatalog, 'mini-stats', 'solution', 'src', 'stats.ts'), join(dir, 'src', 'stats.ts'));
    await waitFor(() => output, /mini-stats passes/, 'a pass after the save');
    watcher.stdin!.write('q\n');
    const ended = await watcher;
    expect(ended.exitCode).toBe(0);
    expect(output).toContain('Recorded as done');
    const progress = JSON.parse((await kata(['progress', '--json'], { cwd: home })).stdout);
    expect(progress.tracks[0].katas[0].status).toBe('done');
  });
});

describe('kata watch never goes deaf', () => {
  const solution = join(testCatalog, 'mini-stats', 'solution', 'src', 'stats.ts');
  const starter = join(testCatalog, 'mini-stats', 'starter', 'src', 'stats.ts');

  function startWatch(home: string) {
    const watcher = execa(process.execPath, [bin, 'watch', 'mini-stats'], { cwd: home, reject: false, env: kataEnv(home) });
    const state = { output: '' };
    watcher.stdout!.on('data', (chunk: Buffer) => (state.output += chunk.toString()));
    const verdicts = () => state.output.split('Watching').length - 1;
    return { watcher, state, verdicts };
  }

  test.each(['in place', 'by rename'])('ten saves %s in a row each get a verdict', async (style) => {
    const home = tempDir();
    await kata(['start', 'mini-stats'], { cwd: home });
    const file = join(home, 'workspace', 'mini-stats', 'src', 'stats.ts');
    const { watcher, state, verdicts } = startWatch(home);
    await waitFor(() => String(verdicts()), /^1$/, 'the first verdict');
    for (let save = 1; save <= 10; save++) {
      const content = readFileSync(save % 2 ? solution : starter);
      if (style === 'in place') writeFileSync(file, content);
      else {
        // What vim (backupcopy=no), JetBrains' safe write and sed -i do: write a new file, rename it over.
        writeFileSync(`${file}.kata-tmp`, content);
        renameSync(`${file}.kata-tmp`, file);
      }
      await waitFor(() => String(verdicts()), new RegExp(`^${save + 1}$`), `the verdict after save ${save} (${style})`);
    }
    watcher.stdin!.write('q\n');
    expect((await watcher).exitCode).toBe(0);
    expect(state.output.match(/mini-stats passes/g)?.length).toBe(5);
  }, 240_000);

  test('a solution that writes files in its kata folder as it runs is graded once per save, not forever', async () => {
    const home = tempDir();
    await kata(['start', 'mini-stats'], { cwd: home });
    const dir = join(home, 'workspace', 'mini-stats');
    const writesAtImport = (source: string) =>
      `import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';\nappendFileSync('run.log', 'imported\\n');\nmkdirSync('src/cache', { recursive: true });\nwriteFileSync('src/cache/model.bin', String(Date.now()));\nwriteFileSync('src/cache/model.json', JSON.stringify({ savedAt: Date.now() }));\nwriteFileSync('results.db', String(Math.random()));\n${source}`;
    writeFileSync(join(dir, 'src', 'stats.ts'), writesAtImport(readFileSync(solution, 'utf8')));
    const { watcher, state, verdicts } = startWatch(home);
    await waitFor(() => String(verdicts()), /^1$/, 'the first verdict');
    // The writes landed in the kata folder (relative to it, as the learner's code runs there) and the
    // solution passed: a write that failed (EROFS in the sandbox) would make this test prove nothing.
    expect(state.output).toContain('mini-stats passes');
    expect(readFileSync(join(dir, 'run.log'), 'utf8')).toContain('imported');
    expect(existsSync(join(dir, 'src', 'cache', 'model.json'))).toBe(true);
    // Its own writes (run.log, results.db, src/cache/model.bin, and src/cache/model.json, JSON being a kind
    // of file a learner edits too) must not start another grade.
    await new Promise((r) => setTimeout(r, 3000));
    expect(verdicts(), state.output).toBe(1);
    writeFileSync(join(dir, 'src', 'stats.ts'), writesAtImport(readFileSync(starter, 'utf8')));
    await waitFor(() => String(verdicts()), /^2$/, 'the verdict after a real save');
    await new Promise((r) => setTimeout(r, 3000));
    expect(verdicts(), state.output).toBe(2);
    watcher.stdin!.write('q\n');
    await watcher;
    const progress = JSON.parse((await kata(['progress', '--json'], { cwd: home })).stdout);
    expect(progress.tracks[0].katas[0].attempts).toBe(2);
  }, 120_000);
});

describe('kata watch keeps one judge warm', () => {
  /** PIDs of processes whose command line holds `needle` and whose environment names the kata folder `dir`. */
  const processesOf = (dir: string, needle: string) =>
    readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle) && readFileSync(`/proc/${pid}/environ`).includes(Buffer.from(`KATA_SOLUTION_DIR=${dir}\0`));
        } catch {
          return false;
        }
      });

  test.skipIf(process.platform !== 'linux')('the same judge process grades every save, and ends with the watch', async () => {
    const home = tempDir();
    await kata(['start', 'mini-stats'], { cwd: home });
    const dir = join(home, 'workspace', 'mini-stats');
    const watcher = execa(process.execPath, [bin, 'watch', 'mini-stats'], { cwd: home, reject: false, env: kataEnv(home) });
    let output = '';
    watcher.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const judges = new Set<string>();
    const verdicts = () => output.split('Watching').length - 1;
    await waitFor(() => output, /does not pass yet[\s\S]*Watching/, 'the first verdict');
    for (const pid of processesOf(dir, 'hidden-job.json')) judges.add(pid);
    for (let save = 1; save <= 3; save++) {
      const source = save % 2 ? join(testCatalog, 'mini-stats', 'solution', 'src', 'stats.ts') : join(testCatalog, 'mini-stats', 'starter', 'src', 'stats.ts');
      cpSync(source, join(dir, 'src', 'stats.ts'));
      await waitFor(() => String(verdicts()), new RegExp(`^${save + 1}$`), `verdict ${save + 1}`);
      for (const pid of processesOf(dir, 'hidden-job.json')) judges.add(pid);
    }
    watcher.stdin!.write('q\n');
    expect((await watcher).exitCode).toBe(0);
    expect(output).toMatch(/mini-stats passes[\s\S]*does not pass yet/);
    expect(judges.size, `judge processes seen over 4 runs: ${[...judges].join(', ')}`).toBe(1);
    // Nothing of the session is left running.
    const running = () => processesOf(dir, 'hidden-job.json').filter((pid) => existsSync(`/proc/${pid}/stat`) && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')));
    for (let i = 0; i < 40 && running().length; i++) await new Promise((r) => setTimeout(r, 50));
    expect(running()).toEqual([]);
  });
});

describe('kata next', () => {
  test('starts the first kata whose prerequisites are done, then says when all are done', async () => {
    const home = tempDir();
    const chosen = JSON.parse((await kata(['next', '--json'], { cwd: home })).stdout);
    expect(chosen).toMatchObject({ next: 'mini-stats' });
    const started = await kata(['next'], { cwd: home });
    expect(started.code).toBe(0);
    expect(started.stdout).toContain(join('workspace', 'mini-stats'));
    cpSync(join(testCatalog, 'mini-stats', 'solution', 'src', 'stats.ts'), join(home, 'workspace', 'mini-stats', 'src', 'stats.ts'));
    expect((await kata(['test', 'mini-stats'], { cwd: home })).code).toBe(0);
    expect(JSON.parse((await kata(['next', '--json'], { cwd: home })).stdout)).toEqual({ next: null });
    expect((await kata(['next'], { cwd: home })).stdout).toContain('Every kata is done');
  });
});

describe('kata doctor', () => {
  test('a healthy machine passes every check', async () => {
    const home = tempDir();
    await kata(['start', 'mini-stats'], { cwd: home });
    const run = await kata(['doctor', '--json'], { cwd: home });
    const report = JSON.parse(run.stdout);
    expect(run.code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c: { name: string }) => c.name)).toEqual(['Node.js', 'better-sqlite3', 'tfjs backend', 'tfjs wasm', 'tfjs-node', 'sandbox', 'fixtures', 'workspace', 'progress store', 'one store', 'kata folders']);
    // Which isolation grading uses here, and which better-sqlite3 build the running Node loaded.
    expect(report.checks.find((c: { name: string }) => c.name === 'sandbox').detail).toMatch(/^(Linux namespaces|none)/);
    expect(report.checks.find((c: { name: string }) => c.name === 'better-sqlite3').detail).toMatch(/better-sqlite3-1[23], built for Node \d+/);
    expect(report.checks.find((c: { name: string }) => c.name === 'tfjs backend').detail).toMatch(/^cpu /);
  });
  // A broken store is diagnosed: see store.test.ts ("a damaged store").
});

describe('kata completion', () => {
  test.each(['bash', 'zsh', 'fish'])('%s completes commands and kata ids', async (shell) => {
    const run = await kata(['completion', shell], { cwd: tempDir() });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('kata list --ids');
    expect(run.stdout).toMatch(/start.*test|test.*start/);
  });

  test('bash completion really completes a kata id', async () => {
    const home = tempDir();
    const script = (await kata(['completion', 'bash'], { cwd: home })).stdout;
    // The completion calls `kata`; point it at this checkout.
    const probe = `
      kata() { node ${JSON.stringify(bin)} "$@"; }
      ${script}
      COMP_WORDS=(kata start mini-s); COMP_CWORD=2; _kata_complete; echo "\${COMPREPLY[@]}"
      COMP_WORDS=(kata te); COMP_CWORD=1; _kata_complete; echo "\${COMPREPLY[@]}"`;
    const run = await execa('bash', ['-c', probe], { env: { KATA_CATALOG_DIR: testCatalog }, reject: false });
    expect(String(run.stdout).split('\n')).toEqual(['mini-stats', 'test']);
  });

  test('an unknown shell is a usage error', async () => {
    const run = await kata(['completion', 'powershell'], { cwd: tempDir() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('bash, zsh and fish');
  });
});
