// A staged kata's stage n, laid out as the judge lays it out, for the in-process transport: the shared
// hidden/ at the top and each stage's hidden/ under <k>-<id>/ (stage suites import each other by those
// paths), and the reference as graded at stage n: the solution/ of stages 1..n, each over the earlier.
// Composed from the working folder on every run, so that a mutated file of StrykerJS's sandbox is the
// one graded.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Stage folders (`<k>-<id>`) of a staged kata, in order. */
export function stageKeys(root, id) {
  const { stages = [] } = JSON.parse(readFileSync(join(root, 'katas', id, 'kata.json'), 'utf8'));
  return stages.map((stage, i) => `${i + 1}-${stage.id}`);
}

/** Files of a folder, relative, recursively. */
const filesOf = (dir) => (existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath ?? e.path, e.name).slice(dir.length + 1)) : []);

/**
 * Which stages' tests grade stage n's reference: stage n's own, and those of each earlier stage whose
 * reference file stage n's replaces (stage 6 rewrites stage 5's service.ts, so stage 5's tests count).
 */
export function gradingStages(root, id, n) {
  const keys = stageKeys(root, id);
  const own = new Set(filesOf(join(root, 'katas', id, 'stages', keys[n - 1], 'solution')));
  return keys.slice(0, n).filter((key, i) => i === n - 1 || filesOf(join(root, 'katas', id, 'stages', key, 'solution')).some((f) => own.has(f)));
}

export function composeStage(root, id, n) {
  const keys = stageKeys(root, id);
  if (!Number.isInteger(n) || n < 1 || n > keys.length) throw new Error(`${id} has no stage ${n}: its stages are 1..${keys.length}`);
  // A folder of this run's own: StrykerJS runs its workers in one sandbox, and a shared folder that one
  // run deletes and copies again while another reads it fails that run (a mutant wrongly counted killed).
  mkdirSync(join(root, '.kata-mutation'), { recursive: true });
  const out = mkdtempSync(join(root, '.kata-mutation', `${id}-stage-${n}-`));
  process.once('exit', () => rmSync(out, { recursive: true, force: true }));
  const hidden = join(out, 'hidden');
  mkdirSync(hidden, { recursive: true });
  if (existsSync(join(root, 'katas', id, 'hidden'))) cpSync(join(root, 'katas', id, 'hidden'), hidden, { recursive: true });
  for (const key of keys.slice(0, n)) {
    const stageDir = join(root, 'katas', id, 'stages', key);
    cpSync(join(stageDir, 'hidden'), join(hidden, key), { recursive: true });
    cpSync(join(stageDir, 'solution'), join(out, 'solution'), { recursive: true, force: true });
  }
  return {
    solution: join(out, 'solution'),
    include: gradingStages(root, id, n).map((key) => `${join(out, 'hidden', key).slice(root.length + 1)}/**/*.test.ts`),
  };
}
