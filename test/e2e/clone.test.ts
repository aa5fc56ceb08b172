// What a learner's clone does, tried on a copy of this checkout: one workspace per clone whatever the
// current folder, a `kata` on PATH as `npm link` makes it, and no stale build after a git pull.
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { testCatalog } from '../helpers/cli.js';
import { cloneKata, tempClone, type Clone } from '../helpers/clone.js';

let clone: Clone;
/** A folder outside the clone, where the shell happens to be. */
let elsewhere: string;
beforeAll(() => {
  clone = tempClone();
  elsewhere = mkdtempSync(join(clone.home, 'elsewhere-'));
});
afterAll(() => clone.remove());

const workspace = () => join(clone.dir, 'workspace');

describe('one workspace per clone', () => {
  test("kata start in katas/ uses the clone's workspace/, and every other folder sees the same progress", async () => {
    const katas = join(clone.dir, 'katas');
    mkdirSync(katas, { recursive: true });
    const started = await cloneKata(clone, ['start', 'mini-stats'], { cwd: katas });
    expect(started.code, started.stderr).toBe(0);
    expect(started.stderr).toBe('');
    expect(started.stdout).toContain(`is ready in ${join(workspace(), 'mini-stats')}`);
    expect(existsSync(join(workspace(), 'mini-stats', 'src', 'stats.ts'))).toBe(true);
    expect(existsSync(join(katas, 'workspace'))).toBe(false);
    // Inside the clone the workspace has no package.json of its own (npx would stop there), nor a node_modules link.
    expect(existsSync(join(workspace(), 'package.json'))).toBe(false);
    expect(existsSync(join(workspace(), 'node_modules'))).toBe(false);

    for (const cwd of [elsewhere, clone.dir, join(workspace(), 'mini-stats', 'src')]) {
      const progress = await cloneKata(clone, ['progress', '--json'], { cwd });
      expect(progress.stderr).toBe('');
      expect(JSON.parse(progress.stdout).tracks[0].katas[0]).toMatchObject({ kataId: 'mini-stats', status: 'in progress' });
    }
    // Started from outside the clone, the path shown is one that works from there.
    const again = await cloneKata(clone, ['start', 'mini-stats'], { cwd: elsewhere });
    expect(again.stdout).toContain(`your work is in ${join(workspace(), 'mini-stats')}`);
  });

  test('a command that would start a second progress store says so first, naming the one in use', async () => {
    const other = join(elsewhere, 'other-workspace');
    const started = await cloneKata(clone, ['start', 'mini-stats', '--workspace', other], { cwd: elsewhere });
    expect(started.code).toBe(0);
    expect(started.stderr).toContain(`this starts a second progress store, in ${other} (chosen by --workspace); your progress so far is in ${workspace()}`);
    expect(started.stderr).toContain('drop --workspace');
    const byEnv = await cloneKata(clone, ['hint', 'mini-stats'], { cwd: elsewhere, env: { KATA_WORKSPACE: join(elsewhere, 'third') } });
    expect(byEnv.stderr).toContain('(chosen by $KATA_WORKSPACE)');
    expect(byEnv.stderr).toContain('unset KATA_WORKSPACE');
    // Reading an empty one says where the progress is.
    const empty = await cloneKata(clone, ['progress', '--workspace', join(elsewhere, 'empty')], { cwd: elsewhere });
    expect(empty.code).toBe(0);
    expect(empty.stderr).toContain(`yours is in ${workspace()}: kata progress --workspace ${workspace()}`);
    // The store already in use is never announced as a second one.
    expect((await cloneKata(clone, ['hint', 'mini-stats', '--workspace', other], { cwd: elsewhere })).stderr).toBe('');
  });

  test('doctor finds a second store an older kata left in the clone (it used ./workspace of the current folder)', async () => {
    const old = join(clone.dir, 'katas', 'workspace');
    await cloneKata(clone, ['start', 'mini-stats', '--workspace', old], { cwd: elsewhere });
    const doctor = await cloneKata(clone, ['doctor'], { cwd: elsewhere });
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain(`✗ one store       more progress stores in this clone than the one in use (${workspace()}): ${old}`);
    expect(doctor.stdout).toContain(`→ fix: kata progress --workspace ${old}`);
  });
});

describe('kata on PATH, as npm link makes it', () => {
  test('grades the learner\'s TypeScript from any folder, with the clone\'s workspace', async () => {
    // npm link: <prefix>/lib/node_modules/kata-runner -> the clone, <prefix>/bin/kata -> its bin.
    const prefix = join(clone.home, 'npm-prefix');
    mkdirSync(join(prefix, 'lib', 'node_modules'), { recursive: true });
    mkdirSync(join(prefix, 'bin'));
    symlinkSync(clone.dir, join(prefix, 'lib', 'node_modules', 'kata-runner'));
    symlinkSync(join('..', 'lib', 'node_modules', 'kata-runner', 'dist', 'runner', 'bin.js'), join(prefix, 'bin', 'kata'));
    cpSync(join(testCatalog, 'mini-stats', 'solution', 'src', 'stats.ts'), join(workspace(), 'mini-stats', 'src', 'stats.ts'));
    const env = { PATH: `${join(prefix, 'bin')}:${process.env.PATH}`, NO_COLOR: '1', KATA_CATALOG_DIR: testCatalog, KATA_WORKSPACE: '', KATA_DEFAULT_WORKSPACE: '' };
    const inKata = await execa('kata', ['test'], { cwd: join(workspace(), 'mini-stats'), env, reject: false });
    expect(inKata.exitCode, String(inKata.stdout) + String(inKata.stderr)).toBe(0);
    expect(String(inKata.stdout)).toContain('mini-stats passes');
    const progress = await execa('kata', ['progress', '--json'], { cwd: elsewhere, env, reject: false });
    expect(JSON.parse(String(progress.stdout)).tracks[0].katas[0].status).toBe('done');
  });

  test('npx kata inside the clone, the kata folder included, runs the clone and never asks the registry', async () => {
    const run = await execa('npx', ['--no-install', 'kata', '--version'], {
      cwd: join(workspace(), 'mini-stats'),
      reject: false,
      env: { NO_COLOR: '1', npm_config_ignore_scripts: 'true', npm_config_offline: 'true' },
    });
    expect(run.exitCode, String(run.stderr)).toBe(0);
    expect(String(run.stdout).trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test('npm pack refuses, saying that kata runs from its clone', async () => {
    const run = await execa('npm', ['pack', '--dry-run'], { cwd: clone.dir, reject: false, env: { npm_config_offline: 'true' } });
    expect(run.exitCode).not.toBe(0);
    expect(String(run.stderr)).toContain('kata is not installed from a package');
    expect(String(run.stderr)).toContain('npm link');
  });
});

describe('after a git pull', () => {
  test('a build older than its sources never runs: every command names the fix; the build\'s record makes it run again', async () => {
    const cli = join(clone.dir, 'runner', 'cli.ts');
    const original = readFileSync(cli);
    // The same content with a new mtime (a checkout that changed nothing) is no reason to stop.
    writeFileSync(cli, original);
    expect((await cloneKata(clone, ['list'], { cwd: elsewhere })).code).toBe(0);

    appendFileSync(cli, '\n// pulled\n');
    for (const args of [['list'], ['--help'], ['test']]) {
      const cwd = args[0] === 'test' ? join(workspace(), 'mini-stats') : elsewhere;
      const run = await cloneKata(clone, args, { cwd });
      expect(run.code, `kata ${args.join(' ')}`).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('runner/cli.ts changed since dist/ was built');
      expect(run.stderr).toContain(`→ cd ${clone.dir} && npm install`);
    }
    writeFileSync(join(clone.dir, 'package-lock.json'), `${readFileSync(join(clone.dir, 'package-lock.json'), 'utf8')} `);
    expect((await cloneKata(clone, ['list'], { cwd: elsewhere })).stderr).toContain('package-lock.json, runner/cli.ts changed');

    // `npm install` runs the build, whose last step records the sources it was built from.
    const recorded = await execa(process.execPath, [join(clone.dir, 'dist', 'runner', 'dev', 'record-integrity.js')], { cwd: clone.dir, reject: false });
    expect(recorded.exitCode, String(recorded.stderr)).toBe(0);
    expect((await cloneKata(clone, ['list'], { cwd: elsewhere })).code).toBe(0);
  });
});
