// npm run mutation:summary — every committed mutation report in one table: the score Stryker gives
// (detected / valid mutants), its survivors by the kind of their reason, and the score over the mutants
// that are not equivalent (an equivalent mutant is the same program: no suite can kill it, so the usual
// practice leaves it out of the denominator). A survivor whose reason is "outside the contract" stays in:
// it is a wrong solution the README allows, and the README is where to change that. "killed since" is a
// survivor a test added after the run now catches (its wrong/ twin fails), until a --survivors run moves it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { detectedCount, percent, validCount } from './counts.mjs';

const repo = join(import.meta.dirname, '..', '..');
const katas = join(repo, 'katas');
const reports = readdirSync(katas)
  .flatMap((id) => {
    const stages = join(katas, id, 'stages');
    const dirs = existsSync(stages) ? readdirSync(stages).map((s) => join(stages, s)) : [join(katas, id)];
    // sql-mutation.json: the SQL mutants of sql-mutation.mjs, which Stryker does not make.
    return dirs.flatMap((dir) => [join(dir, 'mutation.json'), join(dir, 'sql-mutation.json')]);
  })
  .filter((file) => existsSync(file));
console.log('report'.padEnd(40), 'score', ' valid', 'survivors', 'equivalent', 'outside', 'killed since', 'no reason', 'without equivalents');
for (const file of reports) {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  const valid = validCount(report.counts);
  const detected = detectedCount(report.counts);
  const kinds = (pattern) => report.survivors.filter((s) => pattern.test(s.reason)).length;
  const equivalent = kinds(/^equivalent/);
  const row = [
    relative(katas, file).replace(/\/?mutation\.json$/, '').replace(/\/sql-$/, ' (SQL)').padEnd(40),
    `${report.score}`.padStart(5),
    `${valid}`.padStart(6),
    `${report.survivors.length}`.padStart(9),
    `${equivalent}`.padStart(10),
    `${kinds(/^outside/)}`.padStart(7),
    `${kinds(/^killed since/)}`.padStart(12),
    `${kinds(/^$/)}`.padStart(9),
    `${percent(detected, valid - equivalent).toFixed(1)}`.padStart(19),
  ];
  console.log(row.join(' '));
}
