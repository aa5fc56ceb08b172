// The runner's grading files, checked before every grading run against hashes recorded at build (as the
// hidden suite is checked against its lock): the compiled runner (judge, harness, host), and the
// packages grading rests on. Learner code in the sandbox cannot write them at all; this catches the
// machine where no sandbox ran, or a tree changed by hand.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { KataError } from './errors.js';
import { distDir, runnerNodeModules, runnerRoot } from './paths.js';

export const integrityFile = join(distDir, 'integrity.json');

/** Folders whose every file is recorded. */
const graded = [
  join(distDir, 'runner'),
  ...['vitest/dist', '@vitest/runner/dist', '@vitest/expect/dist', 'birpc/dist', 'tsx/dist'].map((dir) => join(runnerNodeModules, dir)),
];

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name));
}

function hashAll(): Record<string, string> {
  const hashes: Record<string, string> = {};
  for (const file of graded.flatMap(filesUnder).sort()) {
    hashes[relative(runnerRoot, file).split('\\').join('/')] = createHash('sha256').update(readFileSync(file)).digest('hex');
  }
  return hashes;
}

/** Run by `npm run build`, after tsc. */
export function recordIntegrity(): number {
  const files = hashAll();
  writeFileSync(integrityFile, `${JSON.stringify({ formatVersion: 1, files }, null, 1)}\n`);
  return Object.keys(files).length;
}

const repair = 'npm install   (reinstalls the packages and rebuilds dist/; from a git clone, git checkout . first)';

/** Throws, naming the first files that differ, unless every grading file is the one recorded at build. */
export function checkIntegrity(record = integrityFile): void {
  if (!existsSync(record)) {
    throw new KataError(`the runner's grading files have no record (${relative(runnerRoot, record)} is missing)`, { code: 'RUNNER_TAMPERED', hint: repair });
  }
  const recorded = (JSON.parse(readFileSync(record, 'utf8')) as { files: Record<string, string> }).files;
  const actual = hashAll();
  const changed = [...new Set([...Object.keys(recorded), ...Object.keys(actual)])].filter((file) => recorded[file] !== actual[file]);
  if (changed.length) {
    const shown = changed.slice(0, 5).join(', ') + (changed.length > 5 ? ` and ${changed.length - 5} more` : '');
    throw new KataError(`the runner's grading files were changed since they were built (${shown}); grading refused`, { code: 'RUNNER_TAMPERED', hint: repair });
  }
}
