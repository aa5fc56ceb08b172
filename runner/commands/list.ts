// kata list: the catalog in order, with the learner's status for each kata.
import type { Kata } from '../core/catalog.js';
import { colors as c } from '../reporters/output.js';
import { catalogFor, openStore, workspaceRoot, type CommandContext } from './context.js';

export interface ListOptions {
  track?: string;
  json?: boolean;
  ids?: boolean;
}

const statusLabel = { done: '✓ done', 'in progress': '… in progress', 'not started': '  not started' };
const statusColor = { done: c.green, 'in progress': c.yellow, 'not started': c.dim };
/** The status column, padded before it is coloured so that colour codes do not break alignment. */
const statusCell = (status: keyof typeof statusLabel) => statusColor[status](statusLabel[status].padEnd(14));

export async function list(ctx: CommandContext, options: ListOptions): Promise<number> {
  const catalog = (await catalogFor(ctx)).filter((k: Kata) => !options.track || k.track === options.track);
  if (options.ids) {
    for (const kata of catalog) ctx.out.line(kata.id);
    return 0;
  }
  const store = openStore(workspaceRoot(ctx), { readonly: true });
  const rows = catalog.map((kata) => ({ kata, progress: store.progress(kata.id) }));
  store.close();

  if (options.json) {
    ctx.out.json(
      rows.map(({ kata, progress }) => ({
        id: kata.id,
        title: kata.title,
        track: kata.track,
        difficulty: kata.difficulty,
        prerequisites: kata.prerequisites,
        summary: kata.summary,
        status: progress.status,
      })),
    );
    return 0;
  }
  if (!rows.length) {
    ctx.out.line(options.track ? `No katas in track "${options.track}" (tracks: data, backend, ml).` : 'No katas found.');
    return 0;
  }
  const idWidth = Math.max(...rows.map((r) => r.kata.id.length));
  let track = '';
  for (const { kata, progress } of rows) {
    if (kata.track !== track) {
      track = kata.track;
      ctx.out.line(c.bold(`\n${track}`));
    }
    const stars = '★'.repeat(kata.difficulty) + '☆'.repeat(5 - kata.difficulty);
    ctx.out.line(`  ${statusCell(progress.status)} ${kata.id.padEnd(idWidth)}  ${c.dim(stars)}  ${kata.summary}`);
  }
  const next = rows.find((r) => r.progress.status !== 'done');
  ctx.out.line();
  if (next) ctx.out.line(`Next: ${c.cyan(`kata start ${next.kata.id}`)}`);
  return 0;
}
