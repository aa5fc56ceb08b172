// Whether dist/ was built from the sources now in this clone. `npm run build` records each source file's
// size, mtime and hash in dist/build-stamp.json; every command compares them before it loads anything
// else, so that after a `git pull` the old build never runs against the new katas/. Comparing costs a
// stat per file (about 100); only a file whose mtime moved is read and hashed.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { KataError } from './errors.js';
import { distDir, runnerRoot } from './paths.js';

export const buildStampFile = join(distDir, 'build-stamp.json');

/** What the build reads: the runner's and the fixture pipelines' sources, the bindings, and what npm installs from. */
const sourceDirs = ['runner', 'fixtures', 'bindings'];
const sourceFiles = ['package.json', 'package-lock.json', 'tsconfig.json'];
/** Under fixtures/: build/ is the pipelines' output, not a source. */
const skipped = new Set(['fixtures/build', 'node_modules']);
/** Source files only: an editor's swap or backup file beside them is no reason to rebuild. */
const sourceFile = /^[^.].*\.(ts|mts|cts|js|mjs|cjs|json)$/;

interface Stamp {
  formatVersion: 1;
  files: Record<string, { size: number; mtimeMs: number; sha256: string }>;
}

function sources(root: string): string[] {
  const out: string[] = sourceFiles.filter((file) => existsSync(join(root, file)));
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = `${rel}/${entry.name}`;
      if (skipped.has(path) || entry.name === 'node_modules') continue;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && sourceFile.test(entry.name)) out.push(path);
    }
  };
  for (const dir of sourceDirs) if (existsSync(join(root, dir))) walk(dir);
  return out.sort();
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Run by `npm run build`, after tsc. */
export function recordBuildStamp(root = runnerRoot, file = buildStampFile): number {
  const files: Stamp['files'] = {};
  for (const rel of sources(root)) {
    const stat = statSync(join(root, rel));
    files[rel] = { size: stat.size, mtimeMs: stat.mtimeMs, sha256: sha256(join(root, rel)) };
  }
  writeFileSync(file, `${JSON.stringify({ formatVersion: 1, files } satisfies Stamp, null, 1)}\n`);
  return Object.keys(files).length;
}

/** The sources that differ from the ones dist/ was built from (all of them, when there is no record). */
export function changedSources(root = runnerRoot, file = buildStampFile): string[] {
  let recorded: Stamp['files'];
  try {
    recorded = (JSON.parse(readFileSync(file, 'utf8')) as Stamp).files;
  } catch {
    return [relative(root, file)];
  }
  const current = sources(root);
  const changed = Object.keys(recorded).filter((rel) => !current.includes(rel));
  for (const rel of current) {
    const was = recorded[rel];
    if (!was) {
      changed.push(rel);
      continue;
    }
    const stat = statSync(join(root, rel));
    if (stat.size !== was.size) changed.push(rel);
    else if (stat.mtimeMs !== was.mtimeMs && sha256(join(root, rel)) !== was.sha256) changed.push(rel);
  }
  return changed.sort();
}

/** Throws, with the one command that brings dist/ up to date, when it was built from other sources. */
export function checkBuildIsCurrent(root = runnerRoot, file = buildStampFile): void {
  const changed = changedSources(root, file);
  if (!changed.length) return;
  const shown = changed.slice(0, 3).join(', ') + (changed.length > 3 ? ` and ${changed.length - 3} more` : '');
  throw new KataError(`kata's build is older than its sources (${shown} changed since dist/ was built, after a git pull?); nothing was run`, {
    code: 'STALE_BUILD',
    hint: `cd ${/\s/.test(root) ? JSON.stringify(root) : root} && npm install   (installs what changed and rebuilds kata; then run your command again)`,
  });
}
