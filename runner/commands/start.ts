// kata start <id>: scaffold the kata into the workspace and say what to do next.
import { relative } from 'node:path';
import { findKata } from '../core/catalog.js';
import { prepareRoot, scaffoldPlan, writeFiles } from '../core/workspace.js';
import { colors as c } from '../reporters/output.js';
import { catalogFor, openStore, workspaceRoot, type CommandContext } from './context.js';

export async function start(ctx: CommandContext, id: string, options: { force?: boolean }): Promise<number> {
  const kata = findKata(await catalogFor(ctx), id);
  const root = workspaceRoot(ctx);
  prepareRoot(root);
  const result = writeFiles(root, kata.id, scaffoldPlan(kata), { force: Boolean(options.force), commandForForce: `kata start ${kata.id}` });
  const store = openStore(root);
  try {
    store.recordStart(kata.id);
  } finally {
    store.close();
  }

  const shown = relative(ctx.cwd, result.kataDir) || '.';
  ctx.out.line(`${c.green('✓')} ${c.bold(kata.title)} is ready in ${c.cyan(shown)}`);
  if (result.backupDir) ctx.out.line(`  Your previous files were backed up to ${result.backupDir}`);
  if (!result.written.length) ctx.out.line('  (it was already there; nothing was changed)');
  ctx.out.line();
  ctx.out.line(`  1. Read the brief:     ${c.cyan(`${shown}/README.md`)}`);
  ctx.out.line(`  2. Edit:               ${kata.files.map((f) => c.cyan(`${shown}/${f}`)).join(', ')}`);
  ctx.out.line(`  3. Check your work:    ${c.cyan(`kata test ${kata.id}`)}   (or ${c.cyan(`kata watch ${kata.id}`)} to re-run on save)`);
  ctx.out.line(`  Stuck? ${c.cyan(`kata hint ${kata.id}`)} shows one hint at a time (${kata.hints.length} available).`);
  return 0;
}
