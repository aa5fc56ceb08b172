// kata start <id>: scaffold the kata into the workspace and say what to do next. A kata already started
// is left as it is: the command says where the work is (--force starts over, backing the files up).
import { findKata, type Kata } from '../core/catalog.js';
import { compareWithPlan, kataDirIn, prepareRoot, scaffoldPlan, writeFiles } from '../core/workspace.js';
import { colors as c } from '../reporters/output.js';
import { briefPath, currentStageRef } from '../core/stages.js';
import { asGradedNow, catalogFor, openStore, shownPath, workspaceRoot, type CommandContext } from './context.js';

export async function start(ctx: CommandContext, id: string, options: { force?: boolean }): Promise<number> {
  const kata = findKata(await catalogFor(ctx), id);
  return startIn(ctx, workspaceRoot(ctx, { creates: true }), kata, options);
}

/** Starts `kata` in the workspace `root` (resolved by the caller: kata next resolves it too). */
export function startIn(ctx: CommandContext, root: string, whole: Kata, options: { force?: boolean }): number {
  prepareRoot(root);
  // A staged kata is scaffolded up to the learner's current stage (stage 1 the first time).
  const kata = asGradedNow(root, whole);
  const stage = currentStageRef(kata);
  const plan = scaffoldPlan(kata);
  const kataDir = kataDirIn(root, kata.id);
  const command = `kata start ${kata.id}${options.force ? ' --force' : ''}`;
  const { changed, unchanged } = compareWithPlan(root, kata.id, plan);
  // Started before: only files that have gone missing are written again; everything there stays as it is.
  const alreadyStarted = !options.force && changed.length + unchanged.length > 0;
  const missing = new Map([...plan].filter(([target]) => !changed.includes(target) && !unchanged.includes(target)));
  const result = writeFiles(root, kata.id, alreadyStarted ? missing : plan, { force: Boolean(options.force), command });
  const store = openStore(root);
  try {
    store.recordStart(kata.id);
  } finally {
    store.close();
  }

  const shown = shownPath(ctx.cwd, kataDir);
  if (alreadyStarted) {
    ctx.out.line(`${c.green('✓')} ${c.bold(kata.title)} is already started: your work is in ${c.cyan(shown)}`);
    ctx.out.line(result.written.length ? `  Nothing of yours was changed; these were missing and are back: ${result.written.join(', ')}` : '  Nothing was changed.');
  } else {
    ctx.out.line(`${c.green('✓')} ${c.bold(kata.title)} is ready in ${c.cyan(shown)}`);
    if (result.backupDir) ctx.out.line(`  Your previous files were backed up to ${result.backupDir}`);
  }
  ctx.out.line();
  // From inside the kata folder every command finds this workspace (its .kata/), whatever chose it here.
  const steps: [string, string][] = [
    ...(shown === '.' ? [] : [['Go there:', c.cyan(`cd ${/\s/.test(shown) ? JSON.stringify(shown) : shown}`)] as [string, string]]),
    ['Read the brief:', stage ? `${c.cyan('README.md')} (the project), then ${c.cyan(briefPath(stage))} (stage ${stage.number} of ${kata.stages!.length}: ${stage.stage.title})` : c.cyan('README.md')],
    ['Edit:', kata.files.map((f) => c.cyan(f)).join(', ')],
    ['Check your work:', `${c.cyan(`kata test ${kata.id}`)}   (or ${c.cyan(`kata watch ${kata.id}`)} to re-run on save)`],
  ];
  steps.forEach(([what, how], i) => ctx.out.line(`  ${i + 1}. ${what.padEnd(17)} ${how}`));
  ctx.out.line(`  Stuck? ${c.cyan(`kata hint ${kata.id}`)} shows one hint at a time (${kata.hints.length} available${stage ? ' for this stage' : ''}).`);
  if (stage) ctx.out.line(c.dim(`  Each kata test grades this stage and every earlier one; passing it adds the next stage's brief to stages/.`));
  if (alreadyStarted) ctx.out.line(c.dim(`  To start over from the starter files: kata reset ${kata.id}   (yours are backed up first)`));
  return 0;
}
