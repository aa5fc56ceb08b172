// kata progress: done / in progress / not started per track, with attempts, time to green and hints.
import type { Kata } from '../core/catalog.js';
import type { KataProgress } from '../core/progress-store.js';
import { colors as c } from '../reporters/output.js';
import { catalogFor, openStore, stageCounts, workspaceRoot, type CommandContext } from './context.js';

export interface TrackSummary {
  track: string;
  done: number;
  inProgress: number;
  notStarted: number;
  total: number;
  katas: (KataProgress & { title: string; stages?: StageCounts })[];
}

type StageCounts = NonNullable<ReturnType<typeof stageCounts>>;

export function summarizeTracks(catalog: Kata[], progressOf: (id: string) => KataProgress, stagesOf: (kata: Kata) => StageCounts | undefined = () => undefined): TrackSummary[] {
  const tracks = new Map<string, TrackSummary>();
  for (const kata of catalog) {
    const summary = tracks.get(kata.track) ?? { track: kata.track, done: 0, inProgress: 0, notStarted: 0, total: 0, katas: [] };
    const progress = progressOf(kata.id);
    summary.total++;
    if (progress.status === 'done') summary.done++;
    else if (progress.status === 'in progress') summary.inProgress++;
    else summary.notStarted++;
    const stages = stagesOf(kata);
    summary.katas.push({ ...progress, title: kata.title, ...(stages && { stages }) });
    tracks.set(kata.track, summary);
  }
  return [...tracks.values()];
}

export function bar(done: number, inProgress: number, total: number, width = 24): string {
  if (!total) return '';
  const full = Math.round((done / total) * width);
  const half = Math.min(width - full, Math.round((inProgress / total) * width));
  return c.green('█'.repeat(full)) + c.yellow('▒'.repeat(half)) + c.dim('░'.repeat(width - full - half));
}

export function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return `${Math.max(1, Math.round(ms / 1000))} s`;
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export async function progress(ctx: CommandContext, options: { json?: boolean }): Promise<number> {
  const catalog = await catalogFor(ctx);
  const store = openStore(workspaceRoot(ctx), { readonly: true });
  const tracks = summarizeTracks(catalog, (id) => store.progress(id), (kata) => stageCounts(kata, store));
  store.close();
  if (options.json) {
    ctx.out.json({ tracks });
    return 0;
  }
  for (const t of tracks) {
    ctx.out.line(`${c.bold(t.track.padEnd(8))} ${bar(t.done, t.inProgress, t.total)}  ${t.done}/${t.total} done, ${t.inProgress} in progress, ${t.notStarted} not started`);
    for (const k of t.katas.filter((k) => k.status !== 'not started')) {
      const facts = [`${k.attempts} attempt${k.attempts === 1 ? '' : 's'}`, `${k.hintsUsed} hint${k.hintsUsed === 1 ? '' : 's'}`];
      if (k.timeToGreenMs !== undefined) facts.push(`green after ${formatDuration(k.timeToGreenMs)}`);
      if (k.stages) facts.unshift(`stage ${k.stages.current} of ${k.stages.total}`);
      const name = k.stages ? `${k.kataId} ${k.stages.passed}/${k.stages.total}` : k.kataId;
      ctx.out.line(`  ${k.status === 'done' ? c.green('✓') : c.yellow('…')} ${name.padEnd(26)} ${c.dim(facts.join(', '))}`);
    }
  }
  return 0;
}
