// npm run mutation -- <kata id> [--stage n] [--concurrency n] [--survivors]
// Mutation testing of one kata's hidden suite: StrykerJS mutates the kata's reference solution
// (katas/<id>/solution/) and runs the hidden suite on each mutant, in-process (the harness's in-process
// transport; see vitest.kata.config.mjs), one vitest run per mutant. A mutant the suite does not fail is a wrong solution it would
// pass. The report, katas/<id>/mutation.json, records the score and every survivor with the reason it is
// harmless (an equivalent mutant); a survivor without a reason is either a missing test or a reason owed.
// Reasons already written are kept across runs for survivors that are still there.
// --survivors rechecks only the lines of the last report's survivors (minutes instead of a full run), after
// tests were added: the other mutants were killed by a suite that has only grown. It refuses when the
// reference changed under a survivor (its line no longer reads the same): then a full run is owed.
// A staged kata is measured one stage at a time (--stage n): the files stage n's reference adds or
// changes are mutated, and the tests of the stages that own those files grade them (staged-suite.mjs);
// the report is katas/<id>/stages/<n>-<stage>/mutation.json.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Stryker } from '@stryker-mutator/core';
import ts from 'typescript';
import { mutationArgs } from './args.mjs';
import { gradingStages } from './staged-suite.mjs';
import { detected, detectedCount, invalid, percent, validCount } from './counts.mjs';

const repo = join(import.meta.dirname, '..', '..');
const { id, stage, keys, concurrency, flag } = mutationArgs(repo, 'usage: npm run mutation -- <kata id> [--stage n] [--concurrency n] [--survivors]');
const kataDir = stage ? join('katas', id, 'stages', keys[stage - 1]) : join('katas', id);
const reportFile = join(repo, kataDir, 'mutation.json');
const previous = existsSync(reportFile) ? JSON.parse(readFileSync(reportFile, 'utf8')) : { survivors: [] };
const reasons = new Map(previous.survivors.filter((s) => s.reason).map((s) => [s.key, s.reason]));
if (stage) {
  process.env.KATA_STAGE = String(stage);
  console.log(`${id} stage ${stage}: mutating ${kataDir}/solution, graded by the tests of ${gradingStages(repo, id, stage).join(', ')}`);
}

const recheck = flag('--survivors');
const source = (file) => readFileSync(join(repo, file), 'utf8').split('\n');
const where = (key) => {
  const [file, line] = key.split(' ')[0].split(':');
  return { file, line: Number(line) };
};
if (recheck) {
  if (!previous.survivors.length) {
    console.error(`${relative(process.cwd(), reportFile)} lists no survivors to recheck`);
    process.exit(2);
  }
  const moved = previous.survivors.filter((s) => {
    const { file, line } = where(s.key);
    return (source(file)[line - 1] ?? '').trim() !== s.code;
  });
  if (moved.length) {
    console.error(`the reference changed since the last full run (${moved[0].key} no longer reads "${moved[0].code}"): run without --survivors`);
    process.exit(2);
  }
}
const parsedFiles = new Map();
/** A reference file's syntax tree, parsed once however many survivors it holds. */
function parsed(file) {
  if (!parsedFiles.has(file)) parsedFiles.set(file, ts.createSourceFile(file, readFileSync(join(repo, file), 'utf8'), ts.ScriptTarget.Latest, true));
  return parsedFiles.get(file);
}

/** The lines of a survivor's mutant: Stryker tests only the mutants that lie wholly inside a range, and a
 * mutant of `a && b` or of a block spans every line of it. The largest node that starts where the mutant
 * starts ends at or after the mutant's end. */
function spanOf(key) {
  const { file, line } = where(key);
  const column = Number(key.split(' ')[0].split(':')[2]);
  const sourceFile = parsed(file);
  const start = sourceFile.getPositionOfLineAndCharacter(line - 1, column - 1); // the report's lines and columns count from 1
  let end = start;
  const visit = (node) => {
    if (node.getStart(sourceFile) === start) end = Math.max(end, node.getEnd());
    if (node.pos <= start && start < node.end) ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return `${file}:${line}-${sourceFile.getLineAndCharacterOfPosition(end).line + 1}`;
}

const survivorLines = [...new Set(previous.survivors.map((s) => spanOf(s.key)))];

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
  mutate: recheck ? survivorLines : [`${kataDir}/solution/**/*.ts`],
  concurrency,
  reporters: ['progress'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
  // ML suites train models: a mutant is given its own run's time and some, then counted as detected.
  timeoutMS: 20_000,
  timeoutFactor: 2,
  // Only what the suite needs is copied into Stryker's sandbox (node_modules is linked).
  ignorePatterns: ['/*', '!/runner', '!/katas', '/katas/*', `!/katas/${id}`, `/katas/${id}/wrong`, `/katas/${id}/alt`, `/katas/${id}/stages/*/wrong`, `/katas/${id}/stages/*/alt`, '!/test', '/test/*', '!/test/mutations', '!/package.json', '!/tsconfig.json'],
  logLevel: 'warn',
});
const results = await stryker.runMutationTest();

const valid = results.filter((m) => !invalid.has(m.status));
const fileOf = (m) => relative(repo, m.fileName.startsWith('/') ? m.fileName : join(repo, m.fileName));
const startKey = (m) => `${fileOf(m)}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName} → ${m.replacement}`;
// Mutants that start at one place with the same mutator and replacement (`a && b` → true, and `a` → true)
// are told apart by where they end. A key from an older report, without its end, matches all of them.
const sharedStart = new Set(valid.map(startKey).filter((k, i, all) => all.indexOf(k) !== i));
const keyOf = (m) => (sharedStart.has(startKey(m)) ? `${startKey(m)} (to ${m.location.end.line}:${m.location.end.column})` : startKey(m));
const withoutEnd = (key) => key.replace(/ \(to \d+:\d+\)$/, '');
const survivors = valid
  .filter((m) => !detected.has(m.status))
  .map((m) => {
    const line = source(fileOf(m))[m.location.start.line - 1] ?? '';
    const key = keyOf(m);
    return {
      key,
      status: m.status,
      code: line.trim(),
      replacement: m.replacement,
      reason: reasons.get(key) ?? reasons.get(withoutEnd(key)) ?? '',
    };
  });
const tally = (list) => Object.fromEntries([...new Set(list.map((m) => m.status))].map((s) => [s, list.filter((m) => m.status === s).length]));
const minutes = Math.round((performance.now() - started) / 6000) / 10;
const report = recheck ? merged() : {
  kata: id,
  ...(stage ? { stage: keys[stage - 1] } : {}),
  score: percent(valid.filter((m) => detected.has(m.status)).length, valid.length),
  mutants: results.length,
  counts: tally(results),
  minutes,
  survivors,
};

/** The last full run's report, with the survivors that the recheck found killed moved to the detected
 * (and any mutant on those lines that the recheck saw survive, though the full run had detected it, moved back). */
function merged() {
  const both = (keys) => new Set(keys.flatMap((k) => [k, withoutEnd(k)]));
  const still = both(survivors.map((s) => s.key));
  const before = both(previous.survivors.map((s) => s.key));
  const tested = both(valid.map(keyOf));
  // A survivor the recheck did not test is kept as it was: only a mutant that ran and failed is killed.
  const untested = previous.survivors.filter((s) => !tested.has(s.key));
  for (const s of untested) console.warn(`not rechecked (no mutant with this key was tested): ${s.key}`);
  const gone = previous.survivors.filter((s) => tested.has(s.key) && !still.has(s.key));
  const fresh = survivors.filter((s) => !before.has(s.key) && !before.has(withoutEnd(s.key)));
  const counts = { ...previous.counts };
  const statusNow = new Map(valid.flatMap((m) => [[keyOf(m), m.status], [withoutEnd(keyOf(m)), m.status]]));
  for (const s of gone) {
    counts[s.status] -= 1;
    const now = statusNow.get(s.key); // Killed, or Timeout: on a loaded machine a slow run, not proof
    counts[now] = (counts[now] ?? 0) + 1;
    if (now === 'Timeout') console.warn(`detected by a timeout only (rerun on a quiet machine to be sure): ${s.key}`);
  }
  for (const s of fresh) {
    counts[(counts.Killed ?? 0) > 0 ? 'Killed' : 'Timeout'] -= 1;
    counts[s.status] = (counts[s.status] ?? 0) + 1;
  }
  const kept = [...previous.survivors.filter((s) => still.has(s.key) || !tested.has(s.key)).map((s) => survivors.find((n) => n.key === s.key) ?? { ...s, status: survivors.find((n) => withoutEnd(n.key) === s.key)?.status ?? s.status }), ...fresh];
  return {
    ...previous,
    score: percent(detectedCount(counts), validCount(counts)),
    counts: Object.fromEntries(Object.entries(counts).filter(([, c]) => c > 0)),
    recheck: { date: new Date().toISOString().slice(0, 10), lines: survivorLines.length, mutants: results.length, killed: gone.length, untested: untested.length, minutes },
    survivors: kept,
  };
}
writeFileSync(reportFile, `${JSON.stringify(report, null, 2)}\n`);
const owed = report.survivors.filter((s) => !s.reason);
if (recheck) console.log(`\n${id}${stage ? ` stage ${stage}` : ''}: rechecked ${results.length} mutants on ${survivorLines.length} survivor line(s) in ${minutes} min: ${report.recheck.killed} of ${previous.survivors.length} survivors now killed`);
console.log(`${recheck ? '' : '\n'}${id}${stage ? ` stage ${stage}` : ''}: mutation score ${report.score} % (${JSON.stringify(report.counts)})${recheck ? '' : `, ${minutes} min`}`);
console.log(`${report.survivors.length} survivor(s), ${owed.length} without a reason; report: ${relative(process.cwd(), reportFile)}`);
for (const s of owed) console.log(`  ${s.key}\n      ${s.code}`);
process.exit(report.score >= 90 && !owed.length ? 0 : 1);
