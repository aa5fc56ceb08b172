// Every kata of the catalog is met by a corpus of solutions written from its README alone: wrong ones
// (one mistake each) that its hidden suite must catch, and correct ones in other styles that it must pass.
// `kata verify` grades them; this checks that they are there. A staged kata has a corpus per stage.
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { loadCatalog } from '../../runner/core/catalog.js';
import { atStage } from '../../runner/core/stages.js';
import { corpusOf } from '../../runner/dev/verify.js';
import { repoRoot } from '../helpers/cli.js';

const MIN_WRONG = 10;
const MIN_ALT = 2;

const catalog = await loadCatalog(join(repoRoot, 'katas'));
const graded = catalog.flatMap((kata) =>
  kata.stages ? kata.stages.map((stage, i) => [`${kata.id} stage ${i + 1} (${stage.id})`, atStage(kata, i + 1)] as const) : [[kata.id, kata] as const],
);

test.each(graded)('%s has at least 10 wrong and 2 alternative solutions, each with its note', (_id, kata) => {
  const corpus = corpusOf(kata);
  expect(corpus.filter((e) => e.kind === 'wrong').length).toBeGreaterThanOrEqual(MIN_WRONG);
  expect(corpus.filter((e) => e.kind === 'alt').length).toBeGreaterThanOrEqual(MIN_ALT);
  expect(corpus.filter((e) => !e.note).map((e) => `${e.kind}/${e.name}`)).toEqual([]);
});
