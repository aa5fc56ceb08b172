// The learner's workspace: where it is, what `kata start` writes into it, and how learner files are
// protected. Learner files are never overwritten without --force, and are backed up when they are.
import { accessSync, constants, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Kata } from './catalog.js';
import { KataError } from './errors.js';
import { atStage, briefPath, currentStageRef, referenceFiles, stagesOf } from './stages.js';
import { runnerNodeModules, runnerRoot } from './paths.js';

export interface WorkspaceOptions {
  /** --workspace, highest precedence. */
  workspace?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** Where the workspace root came from: commands name it when it would start a second progress store. */
export type WorkspaceSource = 'flag' | 'env' | 'ancestor' | 'default';

/**
 * The clone's own workspace/: one per clone, whatever folder the shell is in. KATA_DEFAULT_WORKSPACE
 * moves it (the project's tests give each test a home of its own).
 */
export function defaultWorkspace(env: NodeJS.ProcessEnv): string {
  return env.KATA_DEFAULT_WORKSPACE ? resolve(env.KATA_DEFAULT_WORKSPACE) : join(runnerRoot, 'workspace');
}

/** --workspace > KATA_WORKSPACE > nearest ancestor of cwd holding .kata/ > the clone's workspace/. */
export function resolveWorkspace({ workspace, cwd, env }: WorkspaceOptions): { root: string; source: WorkspaceSource } {
  if (workspace) return { root: resolve(cwd, workspace), source: 'flag' };
  if (env.KATA_WORKSPACE) return { root: resolve(cwd, env.KATA_WORKSPACE), source: 'env' };
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.kata')) && statSync(join(dir, '.kata')).isDirectory()) return { root: dir, source: 'ancestor' };
    if (dirname(dir) === dir) break;
  }
  return { root: defaultWorkspace(env), source: 'default' };
}

export const resolveWorkspaceRoot = (options: WorkspaceOptions): string => resolveWorkspace(options).root;

export const progressFile = (root: string) => join(root, '.kata', 'progress.db');
export const kataDirIn = (root: string, id: string) => join(root, id);

/** Checks that the root is a writable folder (creating it if missing) before anything is written. */
export function prepareRoot(root: string): void {
  if (existsSync(root) && !statSync(root).isDirectory()) {
    throw new KataError(`the workspace ${root} is a file, not a folder`, {
      code: 'BAD_WORKSPACE',
      hint: 'pass a folder: kata start <id> --workspace <dir>',
    });
  }
  try {
    mkdirSync(join(root, '.kata'), { recursive: true });
    accessSync(root, constants.W_OK);
    accessSync(join(root, '.kata'), constants.W_OK);
  } catch (cause) {
    throw new KataError(`the workspace ${root} is not writable (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`, {
      code: 'BAD_WORKSPACE',
      hint: 'choose a folder you can write to: kata start <id> --workspace <dir>',
      cause,
    });
  }
  linkDependencies(root);
  writeEditorConfig(root);
  writeModulePackage(root);
}

/** Whether a folder is inside this clone (the default workspace is): there the clone's own package.json applies. */
export function insideRunner(dir: string): boolean {
  const rel = relative(runnerRoot, resolve(dir));
  return !rel.startsWith('..') && !isAbsolute(rel);
}

const modulePackage = `${JSON.stringify({ private: true, type: 'module', description: 'kata workspace' }, null, 2)}\n`;

/**
 * A package.json marking the workspace's TypeScript as ES modules, as vitest treats it: the solution host
 * loads learner files with Node's own loader, which would otherwise take them for CommonJS. Written once,
 * and only outside the clone: inside it the clone's package.json already says so, and a package.json of
 * the workspace's own would make `npx kata` there look for kata in the registry instead of this clone.
 */
export function writeModulePackage(root: string): void {
  const file = join(root, 'package.json');
  if (insideRunner(root)) {
    // Written by an older kata; removed only when it is exactly that file.
    if (existsSync(file) && readFileSync(file, 'utf8') === modulePackage) unlinkSync(file);
    return;
  }
  if (existsSync(file)) return;
  writeFileSync(file, modulePackage);
}

/** The compiler options of the workspace's tsconfig.json (the type checker's, for a folder without one). */
export const workspaceCompilerOptions = {
  target: 'ES2022',
  module: 'ESNext',
  moduleResolution: 'Bundler',
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  allowImportingTsExtensions: true,
  types: ['node'],
  paths: { '@kata/harness': [join(runnerRoot, 'runner', 'harness', 'index.ts')] },
};

/**
 * A tsconfig.json at the workspace root, so that editors type-check learner code and resolve
 * `@kata/harness` as the tests do. Written once; a learner's own is never replaced.
 */
function writeEditorConfig(root: string): void {
  const file = join(root, 'tsconfig.json');
  if (existsSync(file)) return;
  const config = { compilerOptions: workspaceCompilerOptions, exclude: ['node_modules', '.kata'] };
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
}

/**
 * Learner code imports express, better-sqlite3 and @tensorflow/tfjs. A workspace inside the runner
 * resolves them from the runner's node_modules; one elsewhere gets a node_modules link to it, so no
 * second `npm install` is needed.
 */
function linkDependencies(root: string): void {
  const link = join(root, 'node_modules');
  if (insideRunner(root) || existsSync(link)) return;
  symlinkSync(runnerNodeModules, link, 'junction');
}

/** The kata whose folder contains `cwd`, if any. */
export function kataIdFromCwd(root: string, cwd: string): string | undefined {
  const rel = relative(root, resolve(cwd));
  if (!rel || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  const first = rel.split(sep)[0];
  return first.startsWith('.') ? undefined : first;
}

/** Every file under `dir`, as paths relative to it, leaving out node_modules and dot-folders. */
export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (sub: string) => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? join(sub, entry.name) : entry.name;
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(rel);
      } else if (entry.isFile()) out.push(rel);
    }
  };
  walk('');
  return out.sort();
}

/**
 * What `kata start` writes: the brief, starter/ as-is, tests/ into tests/. Maps target (relative) → source.
 * A staged kata (as graded at stage n): its overview README.md, then for each stage 1..n its brief (as
 * stages/<n>-<id>.md), its starter files and its tests.
 */
export function scaffoldPlan(kata: Kata): Map<string, string> {
  const plan = new Map<string, string>();
  if (existsSync(join(kata.dir, 'README.md'))) plan.set('README.md', join(kata.dir, 'README.md'));
  const current = currentStageRef(kata);
  if (!current) addContent(plan, kata.dir);
  else for (const ref of stagesOf(kata).slice(0, current.number)) addContent(plan, ref.dir, briefPath(ref));
  return plan;
}

/**
 * Where a learner starts: the scaffold, and for a stage n > 1 the reference of stages 1..n-1 over the
 * starter files (kata reset --stage n; kata verify grades it: it must fail stage n).
 */
export function startingPoint(kata: Kata): Map<string, string> {
  const plan = scaffoldPlan(kata);
  if (kata.stage && kata.stage > 1) {
    for (const [file, path] of referenceFiles(atStage(kata, kata.stage - 1))) plan.set(file, path);
  }
  return plan;
}

/** A folder's starter/ and tests/ (and its README.md, as `brief`) added to a plan. */
function addContent(plan: Map<string, string>, dir: string, brief?: string): void {
  if (brief && existsSync(join(dir, 'README.md'))) plan.set(brief, join(dir, 'README.md'));
  for (const file of listFiles(join(dir, 'starter'))) plan.set(file, join(dir, 'starter', file));
  for (const file of listFiles(join(dir, 'tests'))) plan.set(join('tests', file), join(dir, 'tests', file));
}

/**
 * What passing stage n-1 adds for stage n (the kata as graded at stage n): its brief, starter files and
 * tests, each only where no file is. A learner's file of the same name stays as it is, named in `kept`.
 */
export function unlockStage(root: string, kata: Kata): { written: string[]; kept: string[] } {
  const ref = currentStageRef(kata)!;
  const plan = new Map<string, string>();
  addContent(plan, ref.dir, briefPath(ref));
  const { changed } = compareWithPlan(root, kata.id, plan);
  const missing = new Map([...plan].filter(([target]) => !isPresent(join(kataDirIn(root, kata.id), target))));
  const { written } = writeFiles(root, kata.id, missing, { force: false, command: `kata test ${kata.id}` });
  return { written, kept: changed };
}

function sameContent(a: string, b: string): boolean {
  return readFileSync(a).equals(readFileSync(b));
}

/** Copies learner files that are about to be replaced into .kata/backups/<id>/<timestamp>/. */
export function backupFiles(root: string, id: string, files: string[], now = new Date()): string | undefined {
  const kataDir = kataDirIn(root, id);
  const existing = files.filter((f) => isPresent(join(kataDir, f)));
  if (!existing.length) return undefined;
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const backupDir = join(root, '.kata', 'backups', id, stamp);
  for (const file of existing) {
    mkdirSync(dirname(join(backupDir, file)), { recursive: true });
    const from = join(kataDir, file);
    // A dangling link has nothing to back up; a live one is backed up as the content it showed.
    if (existsSync(from)) copyFileSync(from, join(backupDir, file));
  }
  return backupDir;
}

export interface ScaffoldResult {
  kataDir: string;
  written: string[];
  unchanged: string[];
  backupDir?: string;
}

/** How the kata folder compares with the plan: files holding other content (learner work) and files as planned. */
export function compareWithPlan(root: string, id: string, plan: Map<string, string>): { changed: string[]; unchanged: string[] } {
  const kataDir = kataDirIn(root, id);
  const changed: string[] = [];
  const unchanged: string[] = [];
  for (const [target, source] of plan) {
    const dest = join(kataDir, target);
    refuseLinkedFolders(kataDir, target);
    if (!isPresent(dest)) continue;
    // A symlink is never "the same file": writing through it would change a file outside the kata.
    if (!lstatSync(dest).isSymbolicLink() && statSync(dest).isFile() && sameContent(dest, source)) unchanged.push(target);
    else changed.push(target);
  }
  return { changed, unchanged };
}

/** The planned files that cannot be written here (a read-only file, or a folder that is), as absolute paths. */
export function unwritable(kataDir: string, targets: string[]): string[] {
  const blocked = new Set<string>();
  for (const target of targets) {
    const dest = join(kataDir, target);
    // A link is replaced rather than written through, which needs its folder only.
    const check = isPresent(dest) && !lstatSync(dest).isSymbolicLink() ? dest : nearestExisting(dirname(dest));
    if (!writable(check)) blocked.add(check);
  }
  return [...blocked];
}

function nearestExisting(dir: string): string {
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

const chmodHint = (paths: string[]) => `chmod u+w ${paths.map((p) => (/\s/.test(p) ? JSON.stringify(p) : p)).join(' ')}`;

/**
 * Writes the plan into <root>/<id>/. Files that exist with other content are learner work: without
 * `force` nothing at all is written; with it they are backed up first. A file that cannot be written
 * (read-only) stops the command before anything is backed up or written. `command` is the one that ran,
 * for hints.
 */
export function writeFiles(root: string, id: string, plan: Map<string, string>, options: { force: boolean; command: string }): ScaffoldResult {
  const kataDir = kataDirIn(root, id);
  const { changed: conflicts, unchanged } = compareWithPlan(root, id, plan);
  if (conflicts.length && !options.force) {
    const shown = conflicts.slice(0, 5).map((f) => `  ${join(kataDir, f)}`).join('\n');
    const more = conflicts.length > 5 ? `\n  …and ${conflicts.length - 5} more` : '';
    throw new KataError(`these files hold your work and would be overwritten:\n${shown}${more}\nNothing was written.`, {
      code: 'WOULD_OVERWRITE',
      hint: `${options.command} --force   (your files are backed up to ${join(root, '.kata', 'backups', id)})`,
    });
  }
  const targets = [...plan.keys()].filter((target) => !unchanged.includes(target));
  const blocked = unwritable(kataDir, targets);
  if (blocked.length) {
    const shown = blocked.slice(0, 5).map((path) => `  ${path}`).join('\n');
    throw new KataError(`these are read-only, so nothing was changed:\n${shown}`, {
      code: 'CANNOT_WRITE',
      hint: `${chmodHint(blocked)}   then: ${options.command}`,
    });
  }
  const backupDir = backupFiles(root, id, conflicts);
  const written: string[] = [];
  for (const target of targets) {
    const dest = join(kataDir, target);
    try {
      mkdirSync(dirname(dest), { recursive: true });
      // Replace a symlink by a regular file instead of writing through it.
      if (isPresent(dest) && lstatSync(dest).isSymbolicLink()) unlinkSync(dest);
      copyFileSync(plan.get(target)!, dest);
    } catch (cause) {
      const why = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
      throw new KataError(`could not write ${dest} (${why}) after ${written.length} of ${targets.length} files${backupDir ? `; your files are backed up in ${backupDir}` : ''}`, {
        code: 'CANNOT_WRITE',
        hint: `${chmodHint([dest])}   then: ${options.command}`,
        cause,
      });
    }
    written.push(target);
  }
  return { kataDir, written, unchanged, backupDir };
}

/** Whether a path exists, counting a symlink whose target is missing. */
function isPresent(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

const inside = (dir: string, path: string) => path === dir || path.startsWith(dir + sep);

/** Refuses to write `target` when one of its folders is a link that leads out of the kata folder. */
function refuseLinkedFolders(kataDir: string, target: string): void {
  if (!existsSync(kataDir)) return;
  const real = realpathSync(kataDir);
  const parts = target.split(/[\\/]/).slice(0, -1);
  for (let i = 1; i <= parts.length; i++) {
    const dir = join(kataDir, ...parts.slice(0, i));
    if (existsSync(dir) && !inside(real, realpathSync(dir))) {
      throw new KataError(`${join(...parts.slice(0, i))}/ in ${kataDir} is a link to ${realpathSync(dir)}, outside your kata folder; nothing was written`, {
        code: 'OUTSIDE_KATA',
        hint: `replace the link with a real folder (rm ${dir} && mkdir ${dir}), then run the command again`,
      });
    }
  }
}

/**
 * Before grading: the learner's files (the manifest's, and everything under src/ and tests/) must be the
 * kata folder's own. A file or folder that is a link leading outside it is refused, by name.
 */
export function checkLearnerFiles(kataDir: string, files: string[]): void {
  if (!existsSync(kataDir)) return;
  const real = realpathSync(kataDir);
  const check = (rel: string) => {
    const path = join(kataDir, rel);
    if (!isPresent(path)) return;
    if (!existsSync(path)) {
      throw new KataError(`${rel} is a link to a file that does not exist`, { code: 'OUTSIDE_KATA', hint: `replace it with your own file: rm ${path}` });
    }
    const target = realpathSync(path);
    if (!inside(real, target)) {
      throw new KataError(`${rel} points outside your kata folder (to ${target}): grading refused`, {
        code: 'OUTSIDE_KATA',
        hint: `replace the link with a file of your own: cp --remove-destination ${target} ${path}   (and make it your own work)`,
      });
    }
    if (statSync(path).isDirectory() && !lstatSync(path).isSymbolicLink()) {
      for (const entry of readdirSync(path)) if (entry !== 'node_modules') check(join(rel, entry));
    }
  };
  for (const rel of new Set([...files, 'src', 'tests'])) check(rel);
}
