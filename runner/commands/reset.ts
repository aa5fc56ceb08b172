// kata reset [id]: restore the starter files, keeping a backup of the learner's.
import { scaffoldPlan, writeFiles } from '../core/workspace.js';
import { colors as c } from '../reporters/output.js';
import { catalogFor, kataFromArgOrCwd, startedKataDir, workspaceRoot, type CommandContext } from './context.js';

export async function reset(ctx: CommandContext, id: string | undefined): Promise<number> {
  const root = workspaceRoot(ctx);
  const kata = kataFromArgOrCwd(ctx, await catalogFor(ctx), root, id, 'reset');
  startedKataDir(root, kata);
  // Resetting is the explicit request to overwrite; the backup is what keeps the learner's work.
  const result = writeFiles(root, kata.id, scaffoldPlan(kata), { force: true, command: `kata reset ${kata.id}` });
  ctx.out.line(`${c.green('✓')} ${kata.id} is back to its starter files.`);
  if (result.backupDir) ctx.out.line(`  Your files were backed up to ${c.cyan(result.backupDir)}`);
  else ctx.out.line('  Nothing had changed, so there was nothing to back up.');
  return 0;
}
