// kata solution [id]: the reference solution, once the kata is done.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KataError } from '../core/errors.js';
import { colors as c } from '../reporters/output.js';
import { catalogFor, kataFromArgOrCwd, openStore, workspaceRoot, type CommandContext } from './context.js';

export async function solution(ctx: CommandContext, id: string | undefined, options: { json?: boolean }): Promise<number> {
  const root = workspaceRoot(ctx);
  const kata = kataFromArgOrCwd(ctx, await catalogFor(ctx), root, id, 'solution');
  const store = openStore(root, { readonly: true });
  const done = store.isDone(kata.id);
  store.close();
  if (!done) {
    throw new KataError(`the reference solution of ${kata.id} is shown once you have passed it`, {
      code: 'NOT_DONE',
      hint: `kata test ${kata.id}`,
    });
  }
  const files = kata.files.map((file) => ({ file, content: readFileSync(join(kata.dir, 'solution', file), 'utf8') }));
  if (options.json) {
    ctx.out.json({ kata: kata.id, files });
    return 0;
  }
  for (const { file, content } of files) {
    ctx.out.line(c.bold(c.cyan(`── ${file} ${'─'.repeat(Math.max(0, 60 - file.length))}`)));
    ctx.out.line(content.trimEnd());
    ctx.out.line();
  }
  return 0;
}
