// kata reset [id] [--stage n]: restore the starter files, keeping a backup of the learner's. A staged kata
// goes back to the start of a stage (by default its current one): the reference of the stages before it,
// the briefs, tests and starter files up to it, and those stages reopened in the progress store.
import type { Kata } from '../core/catalog.js';
import { KataError } from '../core/errors.js';
import { atStage, currentStageRef } from '../core/stages.js';
import { startingPoint, writeFiles } from '../core/workspace.js';
import { colors as c } from '../reporters/output.js';
import { asGradedNow, catalogFor, kataFromArgOrCwd, openStore, startedKataDir, workspaceRoot, type CommandContext } from './context.js';

export async function reset(ctx: CommandContext, id: string | undefined, options: { stage?: string } = {}): Promise<number> {
  const root = workspaceRoot(ctx);
  const whole = kataFromArgOrCwd(ctx, await catalogFor(ctx), root, id, 'reset');
  startedKataDir(root, whole);
  const now = asGradedNow(root, whole);
  const kata = options.stage === undefined ? now : stageToReset(whole, now, options.stage);
  const stage = currentStageRef(kata);
  const command = `kata reset ${kata.id}${options.stage === undefined ? '' : ` --stage ${options.stage}`}`;
  // Resetting is the explicit request to overwrite; the backup is what keeps the learner's work.
  const result = writeFiles(root, kata.id, startingPoint(kata), { force: true, command });
  if (stage) {
    const store = openStore(root);
    try {
      store.reopenStage(kata.id, stage.number);
    } finally {
      store.close();
    }
    const from = stage.number > 1 ? `: the reference of stage${stage.number > 2 ? 's' : ''} 1${stage.number > 2 ? `–${stage.number - 1}` : ''} and the starter of stage ${stage.number}` : ': its starter files';
    ctx.out.line(`${c.green('✓')} ${kata.id} is back at the start of stage ${stage.number} (${stage.stage.title})${from}.`);
  } else ctx.out.line(`${c.green('✓')} ${kata.id} is back to its starter files.`);
  if (result.backupDir) ctx.out.line(`  Your files were backed up to ${c.cyan(result.backupDir)}`);
  else ctx.out.line('  Nothing had changed, so there was nothing to back up.');
  return 0;
}

/** --stage n: a stage reached so far (going back is allowed, skipping ahead is not). */
function stageToReset(whole: Kata, now: Kata, text: string): Kata {
  if (!whole.stages) {
    throw new KataError(`${whole.id} has no stages, so --stage does not apply`, { code: 'BAD_OPTION', hint: `kata reset ${whole.id}` });
  }
  if (!/^\d+$/.test(text)) {
    throw new KataError(`--stage takes a stage number, 1 to ${whole.stages.length}; "${text}" is not one`, { code: 'BAD_OPTION', hint: `kata reset ${whole.id} --stage ${now.stage}` });
  }
  const n = Number(text);
  const kata = atStage(whole, n);
  if (n > now.stage!) {
    throw new KataError(`stage ${n} of ${whole.id} is not unlocked yet: you are at stage ${now.stage}`, {
      code: 'BAD_OPTION',
      hint: `kata reset ${whole.id} --stage ${now.stage}   (or any earlier stage)`,
    });
  }
  return kata;
}
