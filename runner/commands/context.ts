// What every command receives, and the lookups most of them share.
import { existsSync } from 'node:fs';
import { findKata, loadCatalog, type Kata } from '../core/catalog.js';
import { KataError } from '../core/errors.js';
import { katasDir } from '../core/paths.js';
import { ProgressStore } from '../core/progress-store.js';
import { kataDirIn, kataIdFromCwd, progressFile, resolveWorkspaceRoot } from '../core/workspace.js';
import type { Output } from '../reporters/output.js';

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

export function workspaceRoot(ctx: CommandContext): string {
  return resolveWorkspaceRoot({ workspace: ctx.workspace, cwd: ctx.cwd, env: ctx.env });
}

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

/** The learner's folder for a kata, which must have been started. */
export function startedKataDir(root: string, kata: Kata): string {
  const dir = kataDirIn(root, kata.id);
  if (!existsSync(dir)) {
    throw new KataError(`${kata.id} has not been started in ${root}`, { code: 'NOT_STARTED', hint: `kata start ${kata.id}` });
  }
  return dir;
}
