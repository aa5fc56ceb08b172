// What `kata watch` watches: the learner's sources and tests only (the manifest's files, src/, tests/),
// through chokidar, which keeps watching a file that an editor replaces by rename (vim, Emacs, JetBrains'
// safe write, sed -i), unlike Node 20's recursive fs.watch. A burst of events counts as a change only if
// the content of those files differs from what was last graded, so files the learner's code writes
// while it runs (a log, a SQLite file, a saved model) never trigger another grade. Of the files watched,
// JSON under src/ and tests/ may be either: a learner's test data, or a model or cache the run saves
// there. A JSON file that changes while a grade runs is taken as the run's own, not as an edit.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { watch as chokidar } from 'chokidar';
import { listFiles } from './workspace.js';

// An editor's save is one burst within a few ms (vim's backup and write, JetBrains' temp file and rename);
// every ms here is added to the re-verdict.
export const debounceMs = 50;
const pollIntervalMs = 300;

/** Source and test files: what a learner edits. Data a run writes (.db, .log, models) is not among them. */
const sourceFile = /\.(ts|mts|cts|tsx|js|mjs|cjs|json)$/;

/** The files of `dir` that grading reads from the learner, relative to it. */
export function learnerFiles(dir: string, manifestFiles: string[]): string[] {
  const inFolder = (folder: string) => listFiles(join(dir, folder)).map((file) => join(folder, file)).filter((file) => sourceFile.test(file));
  return [...new Set([...manifestFiles.filter((file) => existsSync(join(dir, file))), ...inFolder('src'), ...inFolder('tests')])].sort();
}

/** JSON files under src/ and tests/ (not named by the manifest): data a run may write as well as read. */
const runData = (file: string, manifestFiles: string[]) => file.endsWith('.json') && !manifestFiles.some((named) => join(named) === file);

/**
 * A hash of those files' names and contents: equal fingerprints mean nothing to re-grade. `part` keeps
 * only the code (every file but runData) or only the data.
 */
export function fingerprint(dir: string, manifestFiles: string[], part?: 'code' | 'data'): string {
  const hash = createHash('sha256');
  const files = learnerFiles(dir, manifestFiles).filter((file) => part === undefined || (part === 'data') === runData(file, manifestFiles));
  for (const file of files) {
    try {
      hash.update(file).update('\0').update(readFileSync(join(dir, file))).update('\0');
    } catch {
      /* removed meanwhile: its absence is part of the fingerprint */
    }
  }
  return hash.digest('hex');
}

export interface LearnerWatcher {
  /** Call when a grade starts: its content is what later events are compared with. */
  graded(): void;
  /** Call when that grade has ended: JSON data it wrote meanwhile is its own, and starts no grade. */
  settled(): void;
  close(): Promise<void>;
}

/** Calls `onChange` once per burst of edits that changed the learner's files. */
export function watchLearnerFiles(dir: string, manifestFiles: string[], onChange: () => void, options: { poll?: boolean } = {}): LearnerWatcher {
  const now = () => ({ code: fingerprint(dir, manifestFiles, 'code'), data: fingerprint(dir, manifestFiles, 'data') });
  let last = now();
  let grading = false;
  let timer: NodeJS.Timeout | undefined;
  const watched = [...manifestFiles, 'src', 'tests'].map((path) => join(dir, path));
  const relevant = (path: string) => {
    const rel = relative(dir, path);
    if (manifestFiles.some((file) => join(file) === rel)) return true;
    const top = rel.split(sep)[0];
    return (top === 'src' || top === 'tests') && (sourceFile.test(rel) || !existsSync(path) || statSync(path).isDirectory());
  };
  const watcher = chokidar(watched, {
    ignoreInitial: true,
    ignored: (path: string) => /(^|[\\/])(node_modules|\.git)([\\/]|$)/.test(path),
    usePolling: Boolean(options.poll),
    interval: pollIntervalMs,
    atomic: true,
  });
  watcher.on('all', (_event, path) => {
    if (!relevant(path)) return;
    if (grading && runData(relative(dir, path), manifestFiles)) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      const current = now();
      // While a grade runs, only the code counts (an event on src/cache/, say, while the run saves there).
      if (current.code === last.code && (grading || current.data === last.data)) return;
      last = current;
      onChange();
    }, debounceMs);
  });
  return {
    graded: () => {
      grading = true;
      last = now();
    },
    settled: () => {
      grading = false;
      // Only the data: a save of the learner's code during the grade, still in its debounce, stays a change.
      last = { ...last, data: fingerprint(dir, manifestFiles, 'data') };
    },
    close: async () => {
      clearTimeout(timer);
      await watcher.close();
    },
  };
}
