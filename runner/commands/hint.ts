// kata hint [id]: the next hint, recorded as used; --all repeats the hints already shown, recording nothing.
import { colors as c } from '../reporters/output.js';
import { asGradedNow, catalogFor, kataFromArgOrCwd, openStore, workspaceRoot, type CommandContext } from './context.js';

/** `another`: how to ask for the next hint where it is not a command (watch mode: "press h for another"). */
export async function hint(ctx: CommandContext, id: string | undefined, options: { json?: boolean; all?: boolean; another?: string } = {}): Promise<number> {
  const catalog = await catalogFor(ctx);
  const root = workspaceRoot(ctx, { creates: !options.all });
  // A staged kata's hints are its current stage's.
  const kata = asGradedNow(root, kataFromArgOrCwd(ctx, catalog, root, id, 'hint'));
  const stage = kata.stage ?? 0;
  const of = stage ? ` of stage ${stage} (${kata.stages![stage - 1].title})` : '';
  if (options.all) {
    const store = openStore(root, { readonly: true });
    const seen = Math.min(store.hintsUsed(kata.id, stage), kata.hints.length);
    store.close();
    const hints = kata.hints.slice(0, seen).map((text, i) => ({ hint: i + 1, text }));
    if (options.json) {
      ctx.out.json({ kata: kata.id, ...(stage && { stage }), of: kata.hints.length, hints });
      return 0;
    }
    if (!hints.length) ctx.out.line(`No hints seen yet for ${kata.id}${of}. The first one: ${c.cyan(`kata hint ${kata.id}`)}`);
    for (const { hint: n, text } of hints) {
      ctx.out.line(`${c.yellow(`Hint ${n} of ${kata.hints.length}`)}:`);
      ctx.out.line(`  ${text}`);
    }
    if (hints.length && seen < kata.hints.length) ctx.out.line(c.dim(`  Another one: kata hint ${kata.id}`));
    return 0;
  }
  const store = openStore(root);
  let index: number;
  try {
    index = Math.min(store.hintsUsed(kata.id, stage), kata.hints.length - 1);
    store.recordHint(kata.id, index, Date.now(), stage);
  } finally {
    store.close();
  }
  const last = index === kata.hints.length - 1;
  if (options.json) {
    ctx.out.json({ kata: kata.id, ...(stage && { stage }), hint: index + 1, of: kata.hints.length, text: kata.hints[index] });
    return 0;
  }
  ctx.out.line(`${c.yellow(`Hint ${index + 1} of ${kata.hints.length}`)} for ${kata.id}${of}:`);
  ctx.out.line(`  ${kata.hints[index]}`);
  const another = options.another ?? `Another one: kata hint ${kata.id}   (the ones so far: kata hint ${kata.id} --all)`;
  ctx.out.line(c.dim(last ? `  That was the last hint. All of them again: kata hint ${kata.id} --all` : `  ${another}`));
  return 0;
}
