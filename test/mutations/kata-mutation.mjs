// npm run mutation -- <kata id> [--concurrency n]
// Mutation testing of one kata's hidden suite: StrykerJS mutates the kata's reference solution
// (katas/<id>/solution/) and runs the hidden suite on each mutant, in-process (the harness's in-process
// transport; see vitest.kata.config.mjs), one vitest run per mutant. A mutant the suite does not fail is a wrong solution it would
// pass. The report, katas/<id>/mutation.json, records the score and every survivor with the reason it is
// harmless (an equivalent mutant); a survivor without a reason is either a missing test or a reason owed.
// Reasons already written are kept across runs for survivors that are still there.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Stryker } from '@stryker-mutator/core';

const repo = join(import.meta.dirname, '..', '..');
const args = process.argv.slice(2);
const id = args.find((a) => !a.startsWith('--'));
const concurrencyAt = args.indexOf('--concurrency');
const concurrency = concurrencyAt >= 0 ? Number(args[concurrencyAt + 1]) : 2;
if (!id || !existsSync(join(repo, 'katas', id, 'kata.json'))) {
  console.error(`usage: npm run mutation -- <kata id> [--concurrency n]${id ? `\n"${id}" is not a kata in katas/` : ''}`);
  process.exit(2);
}
const reportFile = join(repo, 'katas', id, 'mutation.json');
const previous = existsSync(reportFile) ? JSON.parse(readFileSync(reportFile, 'utf8')) : { survivors: [] };
const reasons = new Map(previous.survivors.filter((s) => s.reason).map((s) => [s.key, s.reason]));

process.env.KATA_ID = id;
process.env.KATA_REPO_ROOT = repo;
const started = performance.now();
// The command runner: one whole vitest run per mutant, the mutant active from the start. (Stryker's
// vitest runner activates mutants per test and counts the tests of a failed beforeAll as skipped, not
// failed: a suite that builds the learner's app in beforeAll would let every such mutant "survive".)
const vitest = join(repo, 'node_modules', 'vitest', 'vitest.mjs');
const stryker = new Stryker({
  testRunner: 'command',
  commandRunner: { command: `node ${vitest} run --config test/mutations/vitest.kata.config.mjs --bail 1 --reporter dot` },
  coverageAnalysis: 'off',
  mutate: [`katas/${id}/solution/**/*.ts`],
  concurrency,
  reporters: ['progress'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  // ML suites train models: a mutant is given its own run's time and some, then counted as detected.
  timeoutMS: 20_000,
  timeoutFactor: 2,
  // Only what the suite needs is copied into Stryker's sandbox (node_modules is linked).
  ignorePatterns: ['/*', '!/runner', '!/katas', '/katas/*', `!/katas/${id}`, `/katas/${id}/wrong`, `/katas/${id}/alt`, '!/test', '/test/*', '!/test/mutations', '!/package.json', '!/tsconfig.json'],
  logLevel: 'warn',
});
const results = await stryker.runMutationTest();

const detected = new Set(['Killed', 'Timeout']);
const invalid = new Set(['CompileError', 'RuntimeError', 'Ignored']);
const valid = results.filter((m) => !invalid.has(m.status));
const score = valid.length ? valid.filter((m) => detected.has(m.status)).length / valid.length : 0;
const source = (file) => readFileSync(join(repo, file), 'utf8').split('\n');
const survivors = valid
  .filter((m) => !detected.has(m.status))
  .map((m) => {
    const file = relative(repo, m.fileName.startsWith('/') ? m.fileName : join(repo, m.fileName));
    const line = source(file)[m.location.start.line - 1] ?? '';
    const key = `${file}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName} → ${m.replacement}`;
    return {
      key,
      status: m.status,
      code: line.trim(),
      replacement: m.replacement,
      reason: reasons.get(key) ?? '',
    };
  });
const counts = Object.fromEntries([...new Set(results.map((m) => m.status))].map((s) => [s, results.filter((m) => m.status === s).length]));
const report = {
  kata: id,
  score: Math.round(score * 1000) / 10,
  mutants: results.length,
  counts,
  minutes: Math.round((performance.now() - started) / 6000) / 10,
  survivors,
};
writeFileSync(reportFile, `${JSON.stringify(report, null, 2)}\n`);
const owed = survivors.filter((s) => !s.reason);
console.log(`\n${id}: mutation score ${report.score} % of ${valid.length} valid mutants (${JSON.stringify(counts)}), ${report.minutes} min`);
console.log(`${survivors.length} survivor(s), ${owed.length} without a reason; report: ${relative(process.cwd(), reportFile)}`);
for (const s of owed) console.log(`  ${s.key}\n      ${s.code}`);
process.exit(score >= 0.9 && !owed.length ? 0 : 1);
