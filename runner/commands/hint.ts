// kata hint [id]: the next hint, recorded as used.
import { colors as c } from '../reporters/output.js';
import { catalogFor, kataFromArgOrCwd, openStore, workspaceRoot, type CommandContext } from './context.js';

export async function hint(ctx: CommandContext, id: string | undefined, options: { json?: boolean } = {}): Promise<number> {
  const catalog = await catalogFor(ctx);
  const root = workspaceRoot(ctx);
  const kata = kataFromArgOrCwd(ctx, catalog, root, id, 'hint');
  const store = openStore(root);
  let index: number;
  try {
    index = Math.min(store.hintsUsed(kata.id), kata.hints.length - 1);
    store.recordHint(kata.id, index);
  } finally {
    store.close();
  }
  const last = index === kata.hints.length - 1;
  if (options.json) {
    ctx.out.json({ kata: kata.id, hint: index + 1, of: kata.hints.length, text: kata.hints[index] });
    return 0;
  }
  ctx.out.line(`${c.yellow(`Hint ${index + 1} of ${kata.hints.length}`)} for ${kata.id}:`);
  ctx.out.line(`  ${kata.hints[index]}`);
  ctx.out.line(c.dim(last ? '  That was the last hint.' : `  Another one: kata hint ${kata.id}`));
  return 0;
}
