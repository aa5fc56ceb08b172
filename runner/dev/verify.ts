// kata verify: the authors' check. For each kata: the manifest's files exist, prerequisites are real,
// orders are unique; the starter fails the hidden suite; the reference solution passes it and its own
// visible tests; every alternative correct solution (alt/<name>/) passes too, and every wrong solution
// (wrong/<name>/, one mistake each) fails, caught by a named hidden test. With --write-lock it first
// records the hidden suite's hashes and test names.
// A staged kata is verified stage by stage (each a view: atStage): the reference of stage n passes stages
// 1..n, the starting point of stage n (the reference of n-1 and stage n's starter) fails them, and the
// stage's wrong/ and alt/ are overlays on its reference.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import type { Kata } from '../core/catalog.js';
import { grade } from '../core/grader.js';
import { writeLock } from '../core/hidden-suite.js';
import type { GradeResult, Status } from '../core/results.js';
import { atStage, currentStageRef, referenceFiles, referenceLayers } from '../core/stages.js';
import { kataDirIn, listFiles, prepareRoot, startingPoint, writeFiles } from '../core/workspace.js';

/** A solution of the corpus: `wrong/<name>/` (with mistake.md) or `alt/<name>/` (with style.md). */
export interface CorpusEntry {
  kind: 'wrong' | 'alt';
  name: string;
  dir: string;
  /** The first line of mistake.md or style.md. */
  note: string;
}

export interface CorpusCheck {
  /** `wrong/<name>` or `alt/<name>`. */
  entry: string;
  note: string;
  status: Status;
  /** Right when a wrong solution fails and an alternative passes. */
  ok: boolean;
  /** The hidden tests that failed (wrong solutions: the tests that caught the mistake). */
  failedTests: string[];
  durationMs: number;
}

export interface KataCheck {
  kata: string;
  /** The stage verified, of a staged kata. */
  stage?: number;
  problems: string[];
  starter?: GradeResult;
  solution?: GradeResult;
  /** Grading time of each reference-solution run (more than one with `repeat`). */
  solutionMs: number[];
  corpus: CorpusCheck[];
}

export interface VerifyOptions {
  writeLock?: boolean;
  repeat?: number;
  /** Grade only these: `reference`, `starter`, `wrong`, `alt`, `wrong/<name>`, `alt/<name>` (prefixes). */
  only?: string[];
}

const NOTE_FILE = { wrong: 'mistake.md', alt: 'style.md' } as const;

/** The kata's corpus of wrong and alternative solutions, in name order. */
export function corpusOf(kata: Kata): CorpusEntry[] {
  const entries: CorpusEntry[] = [];
  for (const kind of ['alt', 'wrong'] as const) {
    const root = join(contentDir(kata), kind);
    if (!existsSync(root)) continue;
    for (const name of readdirSync(root).sort()) {
      const dir = join(root, name);
      if (!statSync(dir).isDirectory()) continue;
      const noteFile = join(dir, NOTE_FILE[kind]);
      const note = existsSync(noteFile) ? readFileSync(noteFile, 'utf8').trim().split('\n')[0].trim() : '';
      entries.push({ kind, name, dir, note });
    }
  }
  return entries;
}

/** The folder of a kata's own content: katas/<id>/, or for a stage view its stages/<n>-<id>/. */
const contentDir = (kata: Kata) => currentStageRef(kata)?.dir ?? kata.dir;

/** Problems a kata has on disk, before anything runs. */
export function staticProblems(kata: Kata, catalog: Kata[]): string[] {
  const problems: string[] = [];
  const own = contentDir(kata);
  const where = relative(kata.dir, own);
  const shown = (rel: string) => (where ? `${where}/${rel}` : rel);
  const has = (rel: string) => existsSync(join(own, rel));
  if (!existsSync(join(kata.dir, 'README.md'))) problems.push('README.md is missing');
  if (where && !has('README.md')) problems.push(`${shown('README.md')} (the stage's brief) is missing`);
  const start = startingPoint(kata);
  const reference = referenceFiles(kata);
  for (const file of kata.files) {
    if (!start.has(file)) problems.push(`${file} is in no starter (listed in files${where ? ', and not in the reference of the stage before' : ''})`);
    if (!reference.has(file)) problems.push(`${where ? `${file} is in the solution/ of no stage up to this one` : `solution/${file} is missing`} (listed in files)`);
  }
  const extra = [...reference.keys()].filter((f) => !kata.files.includes(f));
  if (extra.length) problems.push(`${shown('solution')}/ has files not listed in files: ${extra.join(', ')}`);
  problems.push(...copiedLayerFiles(kata));
  if (!listFiles(join(own, 'hidden')).some((f) => f.endsWith('.test.ts'))) problems.push(`${shown('hidden')}/ has no *.test.ts file`);
  if (!listFiles(join(own, 'tests')).some((f) => f.endsWith('.test.ts'))) problems.push(`${shown('tests')}/ has no visible *.test.ts file`);
  for (const id of kata.prerequisites) if (!catalog.some((k) => k.id === id)) problems.push(`prerequisite "${id}" is not a kata`);
  const sameOrder = catalog.filter((k) => k.id !== kata.id && k.order === kata.order);
  if (sameOrder.length) problems.push(`order ${kata.order} is also used by ${sameOrder.map((k) => k.id).join(', ')}`);
  problems.push(...corpusProblems(kata));
  return problems;
}

function corpusProblems(kata: Kata): string[] {
  const problems: string[] = [];
  const corpus = corpusOf(kata);
  for (const entry of corpus) {
    const where = `${entry.kind}/${entry.name}`;
    if (!entry.note) problems.push(`${where}/${NOTE_FILE[entry.kind]} is missing or empty: say in one line ${entry.kind === 'wrong' ? 'the mistake and the README rule it breaks' : 'how its style differs'}`);
    // At a stage an entry is an overlay on the reference: it holds the files that differ only.
    if (kata.stage === undefined) for (const file of kata.files) if (!existsSync(join(entry.dir, file))) problems.push(`${where}/${file} is missing (listed in files)`);
  }
  return problems;
}

/** A stage's solution/ holds what its stage adds or changes: a file equal to the one below it is a copy to drift. */
function copiedLayerFiles(kata: Kata): string[] {
  if (kata.stage === undefined || kata.stage === 1) return [];
  const own = referenceLayers(kata).at(-1)!;
  const below = referenceFiles(atStage(kata, kata.stage - 1));
  return listFiles(own)
    .filter((file) => below.has(file) && readFileSync(join(own, file)).equals(readFileSync(below.get(file)!)))
    .map((file) => `${relative(kata.dir, own)}/${file} is the same as the earlier stage's: delete it (a stage's solution/ holds only what it adds or changes)`);
}

/**
 * A scratch workspace holding the kata as a learner would have it, with `layers` (folders) copied in over
 * it, in order: the reference's layers, a corpus entry (at a stage, an overlay of the files that differ
 * on the stage's reference), or none (the starting point alone).
 */
function scratchKata(kata: Kata, layers: string[]): { root: string; dir: string } {
  const root = mkdtempSync(join(tmpdir(), `kata-verify-${kata.id}-`));
  prepareRoot(root);
  writeFiles(root, kata.id, startingPoint(kata), { force: false, command: '' });
  const dir = kataDirIn(root, kata.id);
  const notes: string[] = Object.values(NOTE_FILE);
  for (const layer of layers) cpSync(layer, dir, { recursive: true, filter: (src) => !notes.includes(basename(src)) });
  return { root, dir };
}

async function gradeScratch(kata: Kata, layers: string[], options: { unlocked?: boolean; includeVisible?: boolean } = {}) {
  const { root, dir } = scratchKata(kata, layers);
  try {
    return await grade({ kata, solutionDir: dir, includeVisible: options.includeVisible ?? layers.length > 0, unlocked: options.unlocked ?? false });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Grades files laid over the kata's whole reference, as a wrong/ entry of a stage is graded: the SQL
 * mutation run (test/mutations/sql-mutation.mjs) grades each mutated reference file this way.
 */
export async function gradeOnReference(kata: Kata, overlay: string): Promise<GradeResult> {
  return (await gradeScratch(kata, [...referenceLayers(kata), overlay], { includeVisible: false })).result;
}

const selected = (only: string[] | undefined, name: string) => !only?.length || only.some((o) => name === o || name.startsWith(`${o.replace(/\/$/, '')}/`));

export async function verifyKata(kata: Kata, catalog: Kata[], options: VerifyOptions = {}): Promise<KataCheck> {
  const check: KataCheck = { kata: kata.id, problems: staticProblems(kata, catalog), solutionMs: [], corpus: [] };
  if (check.problems.length) return check;
  const reference = referenceLayers(kata);

  if (options.writeLock) {
    const unlocked = await gradeScratch(kata, reference, { unlocked: true });
    if (unlocked.result.status !== 'pass') {
      check.solution = unlocked.result;
      check.problems.push(`the reference solution does not pass its hidden suite, so no lock was written${unlocked.result.message ? `: ${unlocked.result.message}` : ''}`);
      return check;
    }
    writeLock(kata, unlocked.reportedHidden);
  }

  // Repeated runs show whether a hidden suite is stable (ML katas: seeds and thresholds with margin).
  const repeat = Math.max(1, options.repeat ?? 1);
  if (selected(options.only, 'reference')) {
    for (let run = 1; run <= repeat; run++) {
      const solution = (await gradeScratch(kata, reference)).result;
      check.solutionMs.push(solution.durationMs);
      if (run === 1 || solution.status !== 'pass') check.solution = solution;
      const which = repeat > 1 ? ` (run ${run})` : '';
      if (solution.status !== 'pass') check.problems.push(`the reference solution does not pass${which}: ${solution.message ?? ''}`);
      if (solution.visible.failed) check.problems.push(`the reference solution fails ${solution.visible.failed} visible test(s)${which}`);
    }
  }
  if (selected(options.only, 'starter')) {
    check.starter = (await gradeScratch(kata, [])).result;
    if (check.starter.status === 'pass') check.problems.push('the starter passes the hidden suite; it must fail it');
  }

  for (const entry of corpusOf(kata)) {
    const name = `${entry.kind}/${entry.name}`;
    if (!selected(options.only, name)) continue;
    // Alternatives are graded as often as the reference: they must be as stable.
    for (let run = 1; run <= (entry.kind === 'alt' ? repeat : 1); run++) {
      const overlay = kata.stage === undefined ? [entry.dir] : [...reference, entry.dir];
      const result = (await gradeScratch(kata, overlay, { includeVisible: entry.kind === 'alt' })).result;
      const failedTests = result.tests.filter((t) => t.status !== 'pass' && !t.name.startsWith('visible')).map((t) => t.name);
      const ok = entry.kind === 'wrong' ? result.status !== 'pass' : result.status === 'pass' && !result.visible.failed;
      check.corpus.push({ entry: name, note: entry.note, status: result.status, ok, failedTests, durationMs: result.durationMs });
      const which = repeat > 1 && entry.kind === 'alt' ? ` (run ${run})` : '';
      if (!ok && entry.kind === 'wrong') check.problems.push(`${name} passes the hidden suite; it must fail it (${entry.note})`);
      if (!ok && entry.kind === 'alt') {
        // Each failed test with its message: the author has to tell a wrong README from a wrong alt.
        const failures = result.tests.filter((t) => t.status !== 'pass' && !t.name.startsWith('visible')).slice(0, 3);
        const shown = failures.map((t) => `\n  ${t.name}${t.message ? `: ${firstLine(t.message)}` : ''}`).join('');
        const why = result.status === 'pass' ? `fails ${result.visible.failed} visible test(s)` : `fails:${shown || ` ${result.message ?? result.status}`}${shown && result.message ? `\n  (${firstLine(result.message)})` : ''}`;
        check.problems.push(`${name} is correct but ${why}${which}`);
      }
    }
  }
  return check;
}

/** A message's first line, cut to 300 characters, for a one-line report. */
const firstLine = (message: string) => {
  const line = message.split('\n').find((l) => l.trim()) ?? '';
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
};
