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
  // From inside the kata folder every command finds this workspace (its .kata/), whatever chose it here.
  const steps: [string, string][] = [
    ...(shown === '.' ? [] : [['Go there:', c.cyan(`cd ${/\s/.test(shown) ? JSON.stringify(shown) : shown}`)] as [string, string]]),
    ['Read the brief:', c.cyan('README.md')],
    ['Edit:', kata.files.map((f) => c.cyan(f)).join(', ')],
    ['Check your work:', `${c.cyan(`kata test ${kata.id}`)}   (or ${c.cyan(`kata watch ${kata.id}`)} to re-run on save)`],
  ];
  steps.forEach(([what, how], i) => ctx.out.line(`  ${i + 1}. ${what.padEnd(17)} ${how}`));
  ctx.out.line(`  Stuck? ${c.cyan(`kata hint ${kata.id}`)} shows one hint at a time (${kata.hints.length} available).`);
  return 0;
}
