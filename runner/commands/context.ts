// What every command receives, and the lookups most of them share.
import { existsSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { findKata, loadCatalog, type Kata } from '../core/catalog.js';
import { KataError } from '../core/errors.js';
import { katasDir } from '../core/paths.js';
import { ProgressStore } from '../core/progress-store.js';
import { atStage, currentStage, isStaged } from '../core/stages.js';
import { defaultWorkspace, kataDirIn, kataIdFromCwd, progressFile, resolveWorkspace, type WorkspaceSource } from '../core/workspace.js';
import { colors as c, type Output } from '../reporters/output.js';

export interface CommandContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  out: Output;
  /** --workspace */
  workspace?: string;
}

/** The catalog; KATA_CATALOG_DIR points at another katas/ folder (authors, and the project's tests). */
export function catalogFor(ctx: CommandContext): Promise<Kata[]> {
  return loadCatalog(ctx.env.KATA_CATALOG_DIR ?? katasDir);
}

/**
 * The workspace root for this command. One clone keeps one progress store: a command that would create
 * another (`creates`), or read an empty one, while the default workspace has one, says so first.
 */
export function workspaceRoot(ctx: CommandContext, options: { creates?: boolean } = {}): string {
  const { root, source } = resolveWorkspace({ workspace: ctx.workspace, cwd: ctx.cwd, env: ctx.env });
  const main = defaultWorkspace(ctx.env);
  if (root !== main && !existsSync(progressFile(root)) && existsSync(progressFile(main))) {
    const chosen = chosenBy[source];
    if (options.creates) {
      ctx.out.error(`${c.yellow('kata: note:')} this starts a second progress store, in ${root} (${chosen}); your progress so far is in ${main}.`);
      ctx.out.error(`  ${c.dim('→')} to keep one store, ${source === 'env' ? 'unset KATA_WORKSPACE' : source === 'flag' ? 'drop --workspace' : 'run kata from elsewhere'} and run the command again`);
    } else {
      ctx.out.error(`${c.yellow('kata: note:')} there is no progress in ${root} (${chosen}); yours is in ${main}: kata progress --workspace ${main}`);
    }
  }
  return root;
}

const chosenBy: Record<WorkspaceSource, string> = {
  flag: 'chosen by --workspace',
  env: 'chosen by $KATA_WORKSPACE',
  ancestor: 'the workspace folder you are in',
  default: "kata's default workspace",
};

export function openStore(root: string, options: { readonly?: boolean } = {}): ProgressStore {
  return ProgressStore.open(progressFile(root), options);
}

/** The kata named on the command line, or the one whose folder the user is in. */
export function kataFromArgOrCwd(ctx: CommandContext, catalog: Kata[], root: string, id: string | undefined, verb: string): Kata {
  const chosen = id ?? kataIdFromCwd(root, ctx.cwd);
  if (!chosen) {
    throw new KataError(`which kata? name one, or run \`kata ${verb}\` inside a kata's folder`, {
      code: 'NOT_IN_KATA',
      hint: `kata ${verb} <id>   (kata list shows the ids)`,
    });
  }
  return findKata(catalog, chosen, verb);
}

/** The kata as this learner is graded on it now: a staged kata at their current stage (the first not passed). */
export function asGradedNow(root: string, kata: Kata): Kata {
  if (!isStaged(kata)) return kata;
  const store = openStore(root, { readonly: true });
  try {
    return atStage(kata, currentStage(kata, store.stagesPassed(kata.id)));
  } finally {
    store.close();
  }
}

/** A staged kata's stages for the learner: passed (in order, from 1), of how many, and the current one. */
export function stageCounts(kata: Kata, store: ProgressStore): { passed: number; total: number; current: number } | undefined {
  if (!isStaged(kata)) return undefined;
  const passed = store.stagesPassed(kata.id);
  const current = currentStage(kata, passed);
  const total = kata.stages!.length;
  return { passed: current === total && passed.has(total) ? total : current - 1, total, current };
}

/** The learner's folder for a kata, which must have been started. */
export function startedKataDir(root: string, kata: Kata): string {
  const dir = kataDirIn(root, kata.id);
  if (!existsSync(dir)) {
    throw new KataError(`${kata.id} has not been started in ${root}`, { code: 'NOT_STARTED', hint: `kata start ${kata.id}` });
  }
  return dir;
}

/** A path as the user should type it from `cwd`: relative when below it, absolute when it is elsewhere. */
export function shownPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  if (!rel) return '.';
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}
