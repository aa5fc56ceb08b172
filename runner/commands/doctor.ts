// kata doctor: is this machine ready? Each problem comes with the command that fixes it.
// `--repair` moves a damaged progress store aside (kept as a backup) and rebuilds it from what can be read.
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KataError } from '../core/errors.js';
import { detectIsolation } from '../core/isolation.js';
import { fixturesBuildDir, judgeFixturesDir, runnerRoot } from '../core/paths.js';
import { repairStore } from '../core/repair.js';
import { readOnlyProblem } from '../core/progress-store.js';
import { kataDirIn, progressFile, scaffoldPlan, unwritable } from '../core/workspace.js';
import type { Kata } from '../core/catalog.js';
import { colors as c } from '../reporters/output.js';
import { catalogFor, openStore, workspaceRoot, type CommandContext } from './context.js';

/** A fix that npm runs in this clone: from a kata folder, npm would look for another package.json first. */
const inClone = (command: string) => `cd ${/\s/.test(runnerRoot) ? JSON.stringify(runnerRoot) : runnerRoot} && ${command}`;

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

/** The Node majors kata supports: each has a better-sqlite3 build that runs on it (bindings/better-sqlite3). */
export function checkNode(version = process.versions.node): Check {
  const [major, minor] = version.split('.').map(Number);
  const ok = (major === 20 && minor >= 5) || major >= 22;
  return {
    name: 'Node.js',
    ok,
    detail: `v${version}${ok ? '' : ' (kata supports Node 20.5+, 22 and 24)'}`,
    fix: ok ? undefined : `install Node.js 24 LTS (or 22), then ${inClone('npm install')}`,
  };
}

async function checkSqlite(): Promise<Check> {
  try {
    const { createRequire } = await import('node:module');
    const { load } = createRequire(import.meta.url)('better-sqlite3/binding') as {
      load(): { Database: typeof import('better-sqlite3'); name: string; version: string };
    };
    const { Database, name, version } = load();
    const db = new Database(':memory:');
    const sqlite = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
    db.close();
    return { name: 'better-sqlite3', ok: true, detail: `${version} (${name}, built for Node ${process.versions.node.split('.')[0]}; SQLite ${sqlite})` };
  } catch (error) {
    return { name: 'better-sqlite3', ok: false, detail: `does not load: ${(error as Error).message.split('\n')[0]}`, fix: `${inClone('npm rebuild')}   (with the Node you use)` };
  }
}

async function checkTfjs(): Promise<Check[]> {
  const checks: Check[] = [];
  try {
    const tf = await import('@tensorflow/tfjs');
    await tf.ready();
    checks.push({ name: 'tfjs backend', ok: true, detail: `${tf.getBackend()} (@tensorflow/tfjs ${tf.version.tfjs}); graders use the pure-JS cpu backend` });
  } catch (error) {
    checks.push({ name: 'tfjs backend', ok: false, detail: `@tensorflow/tfjs does not load: ${(error as Error).message}`, fix: inClone('npm install') });
  }
  try {
    // The wasm backend ships its .wasm files in the package: no download, so it should always load.
    const { createRequire } = await import('node:module');
    const { dirname } = await import('node:path');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(`${dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'))}/`);
    const tf = await import('@tensorflow/tfjs');
    const ok = await tf.setBackend('wasm');
    await tf.setBackend('cpu');
    checks.push(ok
      ? { name: 'tfjs wasm', ok: true, detail: 'loads (an alternative backend; npm run bench compares it with cpu)' }
      : { name: 'tfjs wasm', ok: false, detail: 'did not initialise', fix: inClone('npm install') });
  } catch (error) {
    checks.push({ name: 'tfjs wasm', ok: false, detail: `does not load: ${(error as Error).message.split('\n')[0]}`, fix: inClone('npm install') });
  }
  try {
    // Optional: a native backend is faster, but its install downloads libtensorflow, which many machines cannot reach.
    await import('@tensorflow/tfjs-node' as string);
    checks.push({ name: 'tfjs-node', ok: true, detail: 'loads (native backend available)' });
  } catch {
    checks.push({ name: 'tfjs-node', ok: true, detail: `not installed (optional: the pure-JS backend is used; try ${inClone('npm install @tensorflow/tfjs-node')} where Google storage is reachable)` });
  }
  return checks;
}

/** Which sandbox the learner's code runs in here (Linux namespaces, or none). */
function checkIsolation(): Check {
  const isolation = detectIsolation();
  return {
    name: 'sandbox',
    ok: true,
    detail: isolation.detail,
    fix: isolation.kind === 'none' && process.platform === 'linux' ? 'optional: allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1) to grade sandboxed' : undefined,
  };
}

function checkFixtures(): Check {
  const files = (dir: string) => (existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isFile()).length : 0);
  const built = files(fixturesBuildDir);
  const judged = files(judgeFixturesDir);
  return built && judged
    ? { name: 'fixtures', ok: true, detail: `${built} data files in ${fixturesBuildDir}, ${judged} for the judge only in judge/` }
    : { name: 'fixtures', ok: false, detail: `the katas' data has not been built${built ? ' by this version (it has no judge/ folder)' : ''}`, fix: inClone('npm run fixtures') };
}

function checkWorkspace(root: string): Check {
  if (!existsSync(root)) return { name: 'workspace', ok: true, detail: `${root} (created by the first kata start)` };
  try {
    accessSync(root, constants.W_OK);
    return { name: 'workspace', ok: true, detail: `${root} is writable` };
  } catch {
    return { name: 'workspace', ok: false, detail: `${root} is not writable`, fix: 'kata start <id> --workspace <a folder you can write to>' };
  }
}

function checkStore(root: string): Check {
  const file = progressFile(root);
  if (!existsSync(file)) return { name: 'progress store', ok: true, detail: 'none yet (created by the first kata start)' };
  // Before opening: a read-only folder fails the open itself, and that is not damage.
  const readOnly = readOnlyProblem(file);
  if (readOnly) {
    return { name: 'progress store', ok: false, detail: `${file} is read-only (${readOnly.paths.join(', ')}): kata test would grade but record nothing`, fix: readOnly.fix };
  }
  try {
    const store = openStore(root, { readonly: true });
    const attempts = store.attemptCount();
    store.close();
    return { name: 'progress store', ok: true, detail: `${file} passes quick_check (${attempts} attempts recorded)` };
  } catch (error) {
    const e = error as KataError;
    return { name: 'progress store', ok: false, detail: e.message, fix: e.code === 'PROGRESS_TOO_NEW' ? e.hint : 'kata doctor --repair' };
  }
}

/**
 * Progress stores an older kata made in the clone by being run from another folder (it used ./workspace
 * of the current folder): their progress is not the one kata shows, and the learner should know.
 */
function checkOtherStores(root: string): Check {
  const found: string[] = [];
  const own = new Set([resolve(root), join(runnerRoot, 'workspace')]);
  const look = (dir: string, depth: number) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name === 'node_modules' || entry.name === '.git' || entry.name === 'dist') continue;
      const sub = join(dir, entry.name);
      if (entry.name === '.kata' && existsSync(join(sub, 'progress.db')) && !own.has(resolve(dir))) found.push(dir);
      else if (depth > 0 && !entry.name.startsWith('.')) look(sub, depth - 1);
    }
  };
  look(runnerRoot, 3);
  if (!found.length) return { name: 'one store', ok: true, detail: `no other progress store in ${runnerRoot}` };
  return {
    name: 'one store',
    ok: false,
    detail: `more progress stores in this clone than the one in use (${root}): ${found.join(', ')}`,
    fix: `kata progress --workspace ${found[0]}   (what it holds; remove that folder once you no longer need it)`,
  };
}

/** The started katas' files that kata start --force and kata reset write: a read-only one would stop them. */
function checkKataFolders(root: string, catalog: Kata[]): Check {
  const started = catalog.filter((kata) => existsSync(kataDirIn(root, kata.id)));
  const blocked = started.flatMap((kata) => unwritable(kataDirIn(root, kata.id), [...scaffoldPlan(kata).keys()]));
  if (blocked.length) {
    const shown = blocked.slice(0, 3).join(', ') + (blocked.length > 3 ? ` and ${blocked.length - 3} more` : '');
    return { name: 'kata folders', ok: false, detail: `read-only, so kata reset and kata start --force cannot replace them: ${shown}`, fix: `chmod u+w ${blocked.join(' ')}` };
  }
  return { name: 'kata folders', ok: true, detail: `${started.length} started, all writable` };
}

export async function doctor(ctx: CommandContext, options: { repair?: boolean; json?: boolean }): Promise<number> {
  const root = workspaceRoot(ctx);
  if (options.repair) {
    const outcome = repairStore(progressFile(root));
    if (options.json) ctx.out.json(outcome);
    else ctx.out.line(outcome.message);
    return outcome.ok ? 0 : 1;
  }
  const checks = [
    checkNode(), await checkSqlite(), ...(await checkTfjs()), checkIsolation(), checkFixtures(),
    checkWorkspace(root), checkStore(root), checkOtherStores(root), checkKataFolders(root, await catalogFor(ctx)),
  ];
  const problems = checks.filter((check) => !check.ok);
  if (options.json) {
    ctx.out.json({ ok: !problems.length, checks });
  } else {
    for (const check of checks) {
      ctx.out.line(`${check.ok ? c.green('✓') : c.red('✗')} ${check.name.padEnd(15)} ${check.detail}`);
      if (check.fix) ctx.out.line(`  ${c.dim('→ fix:')} ${c.cyan(check.fix)}`);
    }
    ctx.out.line(problems.length ? c.red(`\n${problems.length} problem(s) found.`) : c.green('\nEverything is ready.'));
  }
  return problems.length ? 1 : 0;
}

