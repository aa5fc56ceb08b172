// kata list: the catalog in order, with the learner's status for each kata: done, in progress, open (its
// prerequisites are done) or locked (with the prerequisites still to do).
import type { Kata } from '../core/catalog.js';
import { colors as c } from '../reporters/output.js';
import { catalogFor, openStore, stageCounts, workspaceRoot, type CommandContext } from './context.js';
import { nextKata } from './next.js';

export interface ListOptions {
  track?: string;
  json?: boolean;
  ids?: boolean;
}

type Status = 'done' | 'in progress' | 'open' | 'locked';
const statusLabel: Record<Status, string> = { done: '✓ done', 'in progress': '… in progress', open: '○ open', locked: '  locked' };
const statusColor: Record<Status, (text: string) => string> = { done: c.green, 'in progress': c.yellow, open: c.cyan, locked: c.dim };
/** The status column, padded before it is coloured so that colour codes do not break alignment. */
const statusCell = (status: Status) => statusColor[status](statusLabel[status].padEnd(14));

export async function list(ctx: CommandContext, options: ListOptions): Promise<number> {
  const all = await catalogFor(ctx);
  const catalog = all.filter((k: Kata) => !options.track || k.track === options.track);
  if (options.ids) {
    for (const kata of catalog) ctx.out.line(kata.id);
    return 0;
  }
  const store = openStore(workspaceRoot(ctx), { readonly: true });
  const done = new Set(all.filter((k) => store.isDone(k.id)).map((k) => k.id));
  const rows = catalog.map((kata) => {
    const progress = store.progress(kata.id);
    // Open now: every prerequisite is done (a kata can still be started before, at the learner's choice).
    const missing = kata.prerequisites.filter((p) => !done.has(p));
    const status: Status = progress.status === 'done' ? 'done' : progress.status === 'in progress' ? 'in progress' : missing.length ? 'locked' : 'open';
    const stages = stageCounts(kata, store);
    // A staged kata shows its stages passed: delay-service 2/6.
    const name = stages ? `${kata.id} ${stages.passed}/${stages.total}` : kata.id;
    return { kata, progress, missing, status, stages, name };
  });
  const next = nextKata(all, store);
  store.close();

  if (options.json) {
    ctx.out.json(
      rows.map(({ kata, progress, missing, stages }) => ({
        id: kata.id,
        title: kata.title,
        track: kata.track,
        difficulty: kata.difficulty,
        prerequisites: kata.prerequisites,
        summary: kata.summary,
        status: progress.status,
        open: progress.status !== 'done' && !missing.length,
        missingPrerequisites: missing,
        ...(stages && { stages }),
      })),
    );
    return 0;
  }
  if (!rows.length) {
    ctx.out.line(options.track ? `No katas in track "${options.track}" (tracks: data, backend, ml, project).` : 'No katas found.');
    return 0;
  }
  const idWidth = Math.max(...rows.map((r) => r.name.length));
  let track = '';
  for (const { kata, missing, status, name } of rows) {
    if (kata.track !== track) {
      track = kata.track;
      ctx.out.line(c.bold(`\n${track}`));
    }
    const stars = '★'.repeat(kata.difficulty) + '☆'.repeat(5 - kata.difficulty);
    const needs = missing.length && status !== 'done' ? `${c.dim(`(after ${missing.join(', ')})`)} ` : '';
    ctx.out.line(`  ${statusCell(status)} ${name.padEnd(idWidth)}  ${c.dim(stars)}  ${needs}${kata.summary}`);
  }
  ctx.out.line();
  if (rows.some((r) => r.status === 'locked')) ctx.out.line(c.dim('open: its prerequisites are done. locked: it builds on the katas named (after …); you can still start it.'));
  if (next) ctx.out.line(`Next: ${c.cyan(`kata start ${next.id}`)}`);
  return 0;
}
