// kata verify [id…]: for authors — every reference and alternative solution passes its hidden suite; every
// starter and wrong solution fails it, and the test that caught each wrong one is named.
import { findKata, type Kata } from '../core/catalog.js';
import { atStage, currentStageRef } from '../core/stages.js';
import { KataError } from '../core/errors.js';
import { type KataCheck, verifyKata } from '../dev/verify.js';
import { colors as c } from '../reporters/output.js';
import { withSpinner } from '../reporters/spinner.js';
import { catalogFor, type CommandContext } from './context.js';

export async function verify(ctx: CommandContext, ids: string[], options: { writeLock?: boolean; json?: boolean; repeat?: string; only?: string; stage?: string }): Promise<number> {
  const repeat = options.repeat === undefined ? 1 : Number(options.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 100) {
    throw new KataError(`--repeat takes a whole number from 1 to 100, not "${options.repeat}"`, { code: 'BAD_OPTION', hint: 'kata verify <id> --repeat 10' });
  }
  const only = options.only?.split(',').map((s) => s.trim()).filter(Boolean);
  const catalog = await catalogFor(ctx);
  const katas = ids.length ? ids.map((id) => findKata(catalog, id, 'verify')) : catalog;
  const checks = [];
  for (const kata of katas.flatMap((k) => views(k, options.stage))) {
    const started = performance.now();
    const name = kata.stage ? `${kata.id} ${currentStageRef(kata)!.key}` : kata.id;
    const check = await withSpinner(ctx.out, options.json ? undefined : `Verifying ${name}`, () =>
      verifyKata(kata, catalog, { writeLock: options.writeLock, repeat, only }),
    );
    if (kata.stage) check.stage = kata.stage;
    checks.push(check);
    if (options.json) continue;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    ctx.out.line(`${check.problems.length ? c.red('✗') : c.green('✓')} ${name.padEnd(26)} ${summaryOf(check)}${c.dim(` (${seconds} s in all)`)}`);
    for (const problem of check.problems) ctx.out.line(`    ${problem.split('\n').join('\n    ')}`);
    for (const t of check.solution?.tests.filter((t) => t.status !== 'pass') ?? []) {
      ctx.out.line(c.dim(`    solution: ${t.name}: ${(t.message ?? '').split('\n').join(' ')}`));
    }
    for (const entry of check.corpus.filter((e) => e.ok && e.entry.startsWith('wrong/'))) {
      const more = entry.failedTests.length > 1 ? ` (+${entry.failedTests.length - 1})` : '';
      ctx.out.line(c.dim(`    ${entry.entry.padEnd(34)} caught by ${entry.failedTests[0]?.replace(/^hidden › /, '') ?? entry.status}${more}`));
    }
  }
  const failed = checks.filter((k) => k.problems.length);
  if (options.json) ctx.out.json({ ok: !failed.length, katas: checks.map(({ kata, stage, problems, starter, solution, solutionMs, corpus }) => ({ kata, ...(stage && { stage }), problems, starter: starter?.hidden, solution: solution?.hidden, solutionMs, corpus })) });
  else {
    const what = checks.some((check) => check.stage) ? 'katas and stages' : 'katas';
    ctx.out.line(failed.length ? c.red(`\n${failed.length} of ${checks.length} ${what} have problems.`) : c.green(`\nAll ${checks.length} ${what} verify.`));
  }
  return failed.length ? 1 : 0;
}

/** What is verified of a kata: itself, or each stage of a staged one (--stage n: that stage only). */
function views(kata: Kata, stage: string | undefined): Kata[] {
  if (!kata.stages) {
    if (stage !== undefined) throw new KataError(`${kata.id} has no stages, so --stage does not apply`, { code: 'BAD_OPTION', hint: `kata verify ${kata.id}` });
    return [kata];
  }
  if (stage === undefined) return kata.stages.map((_, i) => atStage(kata, i + 1));
  if (!/^\d+$/.test(stage)) throw new KataError(`--stage takes a stage number, 1 to ${kata.stages.length}; "${stage}" is not one`, { code: 'BAD_OPTION', hint: `kata verify ${kata.id} --stage 1` });
  return [atStage(kata, Number(stage))];
}

/** One line per kata: the reference, the starter and the corpus, as far as they were graded. */
function summaryOf(check: KataCheck): string {
  const parts: string[] = [];
  const g = check.solution;
  if (g && check.solutionMs.length) {
    const times = [...check.solutionMs].sort((a, b) => a - b).map((ms) => (ms / 1000).toFixed(1));
    const timing = times.length > 1 ? `${times.length} runs, ${times[0]}–${times[times.length - 1]} s` : `${times[0]} s`;
    parts.push(`solution ${g.hidden.passed}/${g.hidden.total} in ${timing}`);
  }
  if (check.starter) parts.push(`starter ${check.starter.hidden.passed}/${check.starter.hidden.total}`);
  const of = (kind: string) => check.corpus.filter((e) => e.entry.startsWith(`${kind}/`));
  const wrong = of('wrong');
  const alt = of('alt');
  if (wrong.length) parts.push(`wrong ${wrong.filter((e) => e.ok).length}/${wrong.length} caught`);
  if (alt.length) parts.push(`alt ${alt.filter((e) => e.ok).length}/${alt.length} pass`);
  return parts.join('; ');
}
