// The hidden suite, pinned in the grading child's memory before any learner code runs. Test files and
// their helpers are loaded one after another during the run, and learner code (a solution imported by
// the first file, or a visible test) can reach the copy on disk: served from memory, a rewrite of the
// copy mid-run changes nothing that is graded.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Plugin } from 'vitest/config';

/** Reads every file under `root`; with `hashes`, refuses any file that is not exactly the locked one. */
export function pinSuite(root: string, hashes?: Record<string, string>): Map<string, string> {
  const pinned = new Map<string, string>();
  const files = (readdirSync(root, { recursive: true }) as string[]).filter((file) => statSync(join(root, file)).isFile());
  for (const file of files) {
    const bytes = readFileSync(join(root, file));
    const key = file.split('\\').join('/');
    if (hashes && hashes[key] !== createHash('sha256').update(bytes).digest('hex')) {
      throw new Error(`the hidden copy's ${key} does not match the lock; grading refused`);
    }
    pinned.set(resolve(root, file), bytes.toString('utf8'));
  }
  const missing = Object.keys(hashes ?? {}).filter((key) => !pinned.has(resolve(root, key)));
  if (missing.length) throw new Error(`the hidden copy lacks ${missing.join(', ')}; grading refused`);
  return pinned;
}

/** A vite plugin that loads pinned files from memory instead of from disk. */
export function pinnedSuitePlugin(pinned: Map<string, string>): Plugin {
  return {
    name: 'kata:pinned-hidden-suite',
    enforce: 'pre',
    load(id) {
      return pinned.get(resolve(id.split('?')[0]));
    },
  };
}
