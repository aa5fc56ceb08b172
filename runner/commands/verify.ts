// kata verify [id…]: for authors — every reference solution passes its hidden suite, every starter fails.
import { findKata } from '../core/catalog.js';
import { KataError } from '../core/errors.js';
import { verifyKata } from '../dev/verify.js';
import { colors as c } from '../reporters/output.js';
import { withSpinner } from '../reporters/spinner.js';
import { catalogFor, type CommandContext } from './context.js';

export async function verify(ctx: CommandContext, ids: string[], options: { writeLock?: boolean; json?: boolean; repeat?: string }): Promise<number> {
  const repeat = options.repeat === undefined ? 1 : Number(options.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 100) {
    throw new KataError(`--repeat takes a whole number from 1 to 100, not "${options.repeat}"`, { code: 'BAD_OPTION', hint: 'kata verify <id> --repeat 10' });
  }
  const catalog = await catalogFor(ctx);
  const katas = ids.length ? ids.map((id) => findKata(catalog, id, 'verify')) : catalog;
  const checks = [];
  for (const kata of katas) {
    const started = performance.now();
    const check = await withSpinner(ctx.out, options.json ? undefined : `Verifying ${kata.id}`, () =>
      verifyKata(kata, catalog, { writeLock: options.writeLock, repeat }),
    );
    checks.push(check);
    if (options.json) continue;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (!check.problems.length) {
      const s = check.starter!.hidden;
      const g = check.solution!;
      const times = [...check.solutionMs].sort((a, b) => a - b).map((ms) => (ms / 1000).toFixed(1));
      const timing = times.length > 1 ? `${times.length} runs, ${times[0]}–${times[times.length - 1]} s` : `${times[0]} s`;
      ctx.out.line(
        `${c.green('✓')} ${kata.id.padEnd(26)} solution ${g.hidden.passed}/${g.hidden.total} in ${timing}; starter ${s.passed}/${s.total} in ${(check.starter!.durationMs / 1000).toFixed(1)} s${c.dim(` (${seconds} s in all)`)}`,
      );
    } else {
      ctx.out.line(`${c.red('✗')} ${kata.id}`);
      for (const problem of check.problems) ctx.out.line(`    ${problem.split('\n').join('\n    ')}`);
      for (const t of check.solution?.tests.filter((t) => t.status !== 'pass') ?? []) {
        ctx.out.line(c.dim(`    solution: ${t.name}: ${(t.message ?? '').split('\n').join(' ')}`));
      }
    }
  }
  const failed = checks.filter((k) => k.problems.length);
  if (options.json) ctx.out.json({ ok: !failed.length, katas: checks.map(({ kata, problems, starter, solution, solutionMs }) => ({ kata, problems, starter: starter?.hidden, solution: solution?.hidden, solutionMs })) });
  else ctx.out.line(failed.length ? c.red(`\n${failed.length} of ${checks.length} katas have problems.`) : c.green(`\nAll ${checks.length} katas verify.`));
  return failed.length ? 1 : 0;
}
