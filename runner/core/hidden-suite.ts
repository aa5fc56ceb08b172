// The hidden suite's lock: hashes of every file in katas/<id>/hidden/ and the names of its tests.
// The grader refuses a hidden suite whose files do not match (it was edited or tampered with), and
// requires every locked test to be reported as run and passed.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kata } from './catalog.js';
import { KataError } from './errors.js';
import { listFiles } from './workspace.js';

export interface HiddenLock {
  formatVersion: 1;
  files: Record<string, string>;
  /** `<file> > <full test name>`, sorted. */
  tests: string[];
}

export const lockFile = (kata: Kata) => join(kata.dir, 'hidden.lock.json');
export const hiddenDir = (kata: Kata) => join(kata.dir, 'hidden');
export const testKey = (file: string, fullName: string) => `${file.split('\\').join('/')} > ${fullName}`;

export function hashHiddenFiles(kata: Kata): Record<string, string> {
  const files: Record<string, string> = {};
  for (const file of listFiles(hiddenDir(kata))) {
    files[file.split('\\').join('/')] = createHash('sha256').update(readFileSync(join(hiddenDir(kata), file))).digest('hex');
  }
  return files;
}

export function readLock(kata: Kata): HiddenLock {
  const file = lockFile(kata);
  if (!existsSync(file)) {
    throw new KataError(`the hidden suite of ${kata.id} has no lock file (${file})`, {
      code: 'HIDDEN_SUITE_TAMPERED',
      hint: `kata verify ${kata.id} --write-lock   (kata authors only)`,
    });
  }
  return JSON.parse(readFileSync(file, 'utf8')) as HiddenLock;
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

export function writeLock(kata: Kata, tests: string[]): HiddenLock {
  const lock: HiddenLock = { formatVersion: 1, files: hashHiddenFiles(kata), tests: [...tests].sort() };
  writeFileSync(lockFile(kata), `${JSON.stringify(lock, null, 2)}\n`);
  return lock;
}
