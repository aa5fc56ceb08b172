// kata next: start the first kata that is not done and whose prerequisites are.
import type { Kata } from '../core/catalog.js';
import type { ProgressStore } from '../core/progress-store.js';
import { colors as c } from '../reporters/output.js';
import { catalogFor, openStore, workspaceRoot, type CommandContext } from './context.js';
import { startIn } from './start.js';

/** The first kata in catalog order that is not done and whose prerequisites are all done. */
export function nextKata(catalog: Kata[], store: ProgressStore): Kata | undefined {
  const done = new Set(catalog.filter((k) => store.isDone(k.id)).map((k) => k.id));
  return catalog.find((k) => !done.has(k.id) && k.prerequisites.every((p) => done.has(p)));
}

export async function next(ctx: CommandContext, options: { json?: boolean; force?: boolean }): Promise<number> {
  const catalog = await catalogFor(ctx);
  const root = workspaceRoot(ctx, { creates: !options.json });
  const store = openStore(root, { readonly: true });
  const kata = nextKata(catalog, store);
  store.close();
  if (!kata) {
    if (options.json) ctx.out.json({ next: null });
    else ctx.out.line(c.green('Every kata is done. Well played.'));
    return 0;
  }
  if (options.json) {
    ctx.out.json({ next: kata.id, title: kata.title, track: kata.track });
    return 0;
  }
  return startIn(ctx, root, kata, { force: options.force });
}
