// kata solution [id]: the reference solution, once the kata is done; a staged kata's reference of each
// stage passed (the files that stage introduced, as its reference has them).
import { readFileSync } from 'node:fs';
import type { Kata } from '../core/catalog.js';
import { KataError } from '../core/errors.js';
import { atStage, referenceFiles, stagesOf } from '../core/stages.js';
import { colors as c } from '../reporters/output.js';
import { catalogFor, kataFromArgOrCwd, openStore, workspaceRoot, type CommandContext } from './context.js';

interface Shown {
  file: string;
  content: string;
  /** The stage whose reference this is (staged katas). */
  stage?: number;
}

export async function solution(ctx: CommandContext, id: string | undefined, options: { json?: boolean }): Promise<number> {
  const root = workspaceRoot(ctx);
  const kata = kataFromArgOrCwd(ctx, await catalogFor(ctx), root, id, 'solution');
  const store = openStore(root, { readonly: true });
  const done = store.isDone(kata.id);
  const passed = store.stagesPassed(kata.id);
  store.close();
  const files = kata.stages ? passedStages(kata, passed) : done ? shownFiles(kata, kata.files) : [];
  if (!files.length) {
    throw new KataError(`the reference solution of ${kata.id} is shown once you have passed ${kata.stages ? 'a stage of it' : 'it'}`, {
      code: 'NOT_DONE',
      hint: `kata test ${kata.id}`,
    });
  }
  if (options.json) {
    ctx.out.json({ kata: kata.id, files });
    return 0;
  }
  let stage: number | undefined;
  for (const shown of files) {
    if (shown.stage !== stage) {
      stage = shown.stage;
      ctx.out.line(c.bold(`Stage ${stage}: ${kata.stages![stage! - 1].title}`));
    }
    ctx.out.line(c.bold(c.cyan(`── ${shown.file} ${'─'.repeat(Math.max(0, 60 - shown.file.length))}`)));
    ctx.out.line(shown.content.trimEnd());
    ctx.out.line();
  }
  if (kata.stages && passed.size < kata.stages.length) ctx.out.line(c.dim(`The reference of each later stage is shown once you pass it.`));
  return 0;
}

function shownFiles(kata: Kata, files: string[], stage?: number): Shown[] {
  const reference = referenceFiles(kata);
  return files.map((file) => ({ file, content: readFileSync(reference.get(file)!, 'utf8'), ...(stage && { stage }) }));
}

/** Each stage passed: the files it introduced, from its own reference. */
function passedStages(kata: Kata, passed: Set<number>): Shown[] {
  return stagesOf(kata)
    .filter((ref) => passed.has(ref.number))
    .flatMap((ref) => shownFiles(atStage(kata, ref.number), ref.stage.files, ref.number));
}
