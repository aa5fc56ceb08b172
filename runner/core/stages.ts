// Staged katas: one learner folder that grows over several stages (issue: "A real project, in stages").
// A stage's content lives in katas/<id>/stages/<n>-<stage id>/ (README.md, starter/, tests/, hidden/,
// hidden.lock.json, solution/, wrong/, alt/). Grading stage n runs the hidden suites of stages 1..n in one
// judge; passing it unlocks stage n+1. The learner's current stage is kept in the progress store.
import { join } from 'node:path';
import type { Kata } from './catalog.js';
import { KataError } from './errors.js';
import type { Stage } from './manifest.js';
import { listFiles } from './workspace.js';

export interface StageRef {
  /** 1-based. */
  number: number;
  stage: Stage;
  /** `<n>-<id>`: its folder under stages/, its brief's name in the learner folder and its mount in the judge. */
  key: string;
  /** katas/<id>/stages/<key>/ */
  dir: string;
}

export const isStaged = (kata: Kata): boolean => Boolean(kata.stages?.length);

export function stagesOf(kata: Kata): StageRef[] {
  return (kata.stages ?? []).map((stage, i) => {
    const key = `${i + 1}-${stage.id}`;
    return { number: i + 1, stage, key, dir: join(kata.dir, 'stages', key) };
  });
}

/** Stage n of a staged kata; a number out of range is a usage error that lists the stages. */
export function stageRef(kata: Kata, n: number): StageRef {
  const stages = stagesOf(kata);
  const ref = stages[n - 1];
  if (!Number.isInteger(n) || !ref) {
    const known = stages.map((s) => `${s.number} ${s.stage.id}`).join(', ');
    throw new KataError(
      stages.length ? `${kata.id} has no stage ${n}: its stages are ${known}` : `${kata.id} has no stages`,
      { code: 'BAD_OPTION', hint: stages.length ? `kata progress   (shows your current stage of ${kata.id})` : `kata reset ${kata.id}` },
    );
  }
  return ref;
}

/** The kata as graded at stage n: the files of stages 1..n, the hints of stage n. */
export function atStage(kata: Kata, n: number): Kata {
  const upTo = stagesOf(kata).slice(0, stageRef(kata, n).number);
  return { ...kata, stage: n, files: [...new Set(upTo.flatMap((s) => s.stage.files))], hints: upTo[n - 1].stage.hints };
}

/** The stage a kata view is graded at, or undefined for a kata without stages. */
export const currentStageRef = (kata: Kata): StageRef | undefined => (kata.stage === undefined ? undefined : stageRef(kata, kata.stage));

/**
 * The reference solution as layers, each later one over the earlier: solution/, or at stage n the
 * solution/ of each stage 1..n, each holding only the files its stage adds or changes (so a fix to stage
 * 1's reference is made once).
 */
export function referenceLayers(kata: Kata): string[] {
  const ref = currentStageRef(kata);
  if (!ref) return [join(kata.dir, 'solution')];
  return stagesOf(kata).slice(0, ref.number).map((s) => join(s.dir, 'solution'));
}

/** The reference's files: each path (relative, `/`-separated) and the file of the topmost layer that has it. */
export function referenceFiles(kata: Kata): Map<string, string> {
  const files = new Map<string, string>();
  for (const layer of referenceLayers(kata)) for (const file of listFiles(layer)) files.set(file.split('\\').join('/'), join(layer, file));
  return files;
}

/** Where the starter files come from: starter/, or for a stage the starter/ of each stage 1..n. */
export function starterDirs(kata: Kata): string[] {
  const ref = currentStageRef(kata);
  if (!ref) return [join(kata.dir, 'starter')];
  return stagesOf(kata).slice(0, ref.number).map((s) => join(s.dir, 'starter'));
}

/** Which stage a hidden test file belongs to (its path in the judge starts with `<n>-<id>/`). */
export function stageOfFile(file: string): number | undefined {
  const match = /^(\d+)-[a-z0-9-]+\//.exec(file.split('\\').join('/'));
  return match ? Number(match[1]) : undefined;
}

/** The learner's current stage from the stages passed: the first not passed, or the last once all are. */
export function currentStage(kata: Kata, passed: ReadonlySet<number>): number {
  const total = kata.stages?.length ?? 0;
  let n = 1;
  while (n < total && passed.has(n)) n++;
  return n;
}

/** The brief of a stage as the learner's folder holds it. */
export const briefPath = (ref: StageRef): string => join('stages', `${ref.key}.md`);
