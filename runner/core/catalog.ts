// The catalog: every kata folder under katas/, validated and in order. Validated manifests are cached
// by file size and mtime, so `kata list` does not load the schema library unless a manifest changed.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { closest, distance } from 'fastest-levenshtein';
import { KataError } from './errors.js';
import { kataIdPattern } from './kata-id.js';
import type { Manifest } from './manifest.js';
import { katasDir as defaultKatasDir, runnerRoot } from './paths.js';

export interface Kata extends Manifest {
  /** Absolute path of katas/<id>/. */
  dir: string;
  /** A staged kata as graded at this stage (see stages.ts: atStage); undefined for the kata as a whole. */
  stage?: number;
}

type Cache = Record<string, { signature: string; manifest: Manifest }>;

const cacheFile = (katasDir: string) =>
  join(runnerRoot, 'node_modules', '.cache', 'kata', `catalog-${createHash('sha1').update(katasDir).digest('hex').slice(0, 12)}.json`);

function readCache(file: string): Cache {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Cache;
  } catch {
    return {};
  }
}

export async function loadCatalog(katasDir: string = defaultKatasDir): Promise<Kata[]> {
  if (!existsSync(katasDir)) return [];
  const dirs = readdirSync(katasDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(katasDir, entry.name, 'kata.json')))
    .map((entry) => join(katasDir, entry.name));
  const file = cacheFile(katasDir);
  const cache = readCache(file);
  const fresh: Cache = {};
  const katas: Kata[] = [];
  for (const dir of dirs) {
    const stat = statSync(join(dir, 'kata.json'));
    const signature = `${stat.size}:${stat.mtimeMs}`;
    const cached = cache[dir];
    const kata = cached?.signature === signature ? { ...cached.manifest, dir } : await loadKata(dir);
    fresh[dir] = { signature, manifest: withoutDir(kata) };
    katas.push(kata);
  }
  if (JSON.stringify(fresh) !== JSON.stringify(cache)) {
    try {
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, JSON.stringify(fresh));
    } catch {
      /* a read-only install still works, only without the cache */
    }
  }
  return katas.sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
}

function withoutDir({ dir: _dir, stage: _stage, ...manifest }: Kata): Manifest {
  return manifest;
}

export async function loadKata(dir: string): Promise<Kata> {
  const { describeIssues, manifestSchema } = await import('./manifest.js');
  const file = join(dir, 'kata.json');
  const shown = relative(runnerRoot, file) || file;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new KataError(`${shown} is not valid JSON: ${(cause as Error).message}`, { code: 'BAD_MANIFEST', cause });
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = describeIssues(parsed.error).map((line) => `  ${line}`).join('\n');
    throw new KataError(`${shown} has problems:\n${problems}`, { code: 'BAD_MANIFEST' });
  }
  const folder = dir.split(/[\\/]/).pop();
  if (parsed.data.id !== folder) {
    throw new KataError(`${shown}: id: "${parsed.data.id}" must match its folder name "${folder}"`, { code: 'BAD_MANIFEST' });
  }
  return { ...parsed.data, dir };
}

/** Checks an id typed by a user before it is used in any path. */
export function assertKataId(id: string): void {
  if (!kataIdPattern.test(id)) {
    throw new KataError(`"${id}" is not a kata id: ids are lowercase words joined by dashes, with no paths`, {
      code: 'BAD_KATA_ID',
      hint: 'kata list',
    });
  }
}

/** The kata with this id; a near miss is suggested as the command the user meant (`kata <verb> <id>`). */
export function findKata(catalog: Kata[], id: string, verb = 'start'): Kata {
  assertKataId(id);
  const kata = catalog.find((k) => k.id === id);
  if (kata) return kata;
  const ids = catalog.map((k) => k.id);
  const suggestion = ids.length ? closest(id, ids) : undefined;
  const near = suggestion && distance(id, suggestion) <= Math.max(3, Math.floor(id.length / 3));
  throw new KataError(`there is no kata "${id}"${near ? `; did you mean "${suggestion}"?` : ''}`, {
    code: 'UNKNOWN_KATA',
    hint: near ? `kata ${verb} ${suggestion}` : 'kata list',
  });
}
