// The hidden suite's lock: hashes of every file in katas/<id>/hidden/ and the names of its tests.
// The grader refuses a hidden suite whose files do not match (it was edited or tampered with), and
// requires every locked test to be reported as run and passed.
// A staged kata graded at stage n has one part per stage 1..n (stages/<k>-<id>/hidden/, mounted in the
// judge at <k>-<id>/, each with its own lock) and, optionally, a shared part: its hidden/ at the root.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kata } from './catalog.js';
import { KataError } from './errors.js';
import { currentStageRef, isStaged, stagesOf } from './stages.js';
import { listFiles } from './workspace.js';

export interface HiddenLock {
  formatVersion: 1;
  files: Record<string, string>;
  /** `<file> > <full test name>`, sorted. */
  tests: string[];
}

/** A folder of hidden files, mounted at `mount` ('' or `<n>-<id>`) in the judge's copy, with its lock. */
export interface HiddenPart {
  dir: string;
  mount: string;
  lockFile: string;
}

export const testKey = (file: string, fullName: string) => `${file.split('\\').join('/')} > ${fullName}`;

/** The folders that make up the kata's hidden suite, as graded now (a staged kata: at its stage). */
export function hiddenParts(kata: Kata): HiddenPart[] {
  const whole: HiddenPart = { dir: join(kata.dir, 'hidden'), mount: '', lockFile: join(kata.dir, 'hidden.lock.json') };
  if (!isStaged(kata)) return [whole];
  const upTo = currentStageRef(kata)?.number ?? stagesOf(kata).length;
  const stages = stagesOf(kata)
    .slice(0, upTo)
    .map((ref) => ({ dir: join(ref.dir, 'hidden'), mount: ref.key, lockFile: join(ref.dir, 'hidden.lock.json') }));
  // The shared support is optional for a staged kata.
  return existsSync(whole.dir) ? [whole, ...stages] : stages;
}

const mounted = (part: HiddenPart, file: string) => (part.mount ? `${part.mount}/${file}` : file);

/** sha256 of every file of a part, by its path in the part. */
function hashPart(part: HiddenPart): Record<string, string> {
  const files: Record<string, string> = {};
  for (const file of listFiles(part.dir)) files[file.split('\\').join('/')] = createHash('sha256').update(readFileSync(join(part.dir, file))).digest('hex');
  return files;
}

export function hashHiddenFiles(kata: Kata): Record<string, string> {
  const files: Record<string, string> = {};
  for (const part of hiddenParts(kata)) for (const [file, hash] of Object.entries(hashPart(part))) files[mounted(part, file)] = hash;
  return files;
}

/** The lock of the suite as graded now: the parts' locks, their paths as mounted in the judge. */
export function readLock(kata: Kata): HiddenLock {
  const lock: HiddenLock = { formatVersion: 1, files: {}, tests: [] };
  for (const part of hiddenParts(kata)) {
    if (!existsSync(part.lockFile)) {
      throw new KataError(`the hidden suite of ${kata.id} has no lock file (${part.lockFile})`, {
        code: 'HIDDEN_SUITE_TAMPERED',
        hint: `kata verify ${kata.id} --write-lock   (kata authors only)`,
      });
    }
    const own = JSON.parse(readFileSync(part.lockFile, 'utf8')) as HiddenLock;
    for (const [file, hash] of Object.entries(own.files)) lock.files[mounted(part, file)] = hash;
    lock.tests.push(...own.tests.map((key) => mounted(part, key)));
  }
  lock.tests.sort();
  return lock;
}

/** Throws unless the hidden files on disk are exactly the locked ones. */
export function checkLock(kata: Kata, lock: HiddenLock): void {
  const actual = hashHiddenFiles(kata);
  const names = new Set([...Object.keys(actual), ...Object.keys(lock.files)]);
  const changed = [...names].filter((name) => actual[name] !== lock.files[name]);
  if (changed.length) {
    throw new KataError(`the hidden suite of ${kata.id} does not match its lock (changed: ${changed.join(', ')}); grading refused`, {
      code: 'HIDDEN_SUITE_TAMPERED',
      hint: 'restore the runner\'s files (git checkout katas/ && npm install); authors: kata verify --write-lock',
    });
  }
}

/** Writes each part's lock from the tests reported (keys as mounted in the judge). */
export function writeLock(kata: Kata, tests: string[]): HiddenLock {
  const parts = hiddenParts(kata);
  const partOf = (key: string) => parts.find((part) => part.mount && key.startsWith(`${part.mount}/`)) ?? parts.find((part) => !part.mount);
  for (const part of parts) {
    const own = tests.filter((key) => partOf(key) === part).map((key) => (part.mount ? key.slice(part.mount.length + 1) : key));
    writeFileSync(part.lockFile, `${JSON.stringify({ formatVersion: 1, files: hashPart(part), tests: own.sort() }, null, 2)}\n`);
  }
  return readLock(kata);
}
