// The real catalog, as a new user meets it: start → failing test → the reference solution passes →
// progress shows it done. The two flagship katas, plus one newer kata of each track.
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { kata, repoRoot } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

test.each(['flight-delays-api', 'penguin-classifier', 'ingest-endpoint', 'linear-regression'])(
  '%s: start, fail on the starter, pass with the reference solution',
  async (id) => {
    const home = tempDir();
    const real = { cwd: home, catalog: null };
    const started = await kata(['start', id], real);
    expect(started.code, started.stderr).toBe(0);
    const dir = join(home, 'workspace', id);

    const failing = await kata(['test', id], real);
    expect(failing.code, failing.stdout + failing.stderr).toBe(1);
    expect(failing.stdout).toContain('does not pass yet');
    expect(failing.stdout).toMatch(/✗ /);

    const manifest = JSON.parse(readFileSync(join(repoRoot, 'katas', id, 'kata.json'), 'utf8')) as { files: string[] };
    for (const file of manifest.files) cpSync(join(repoRoot, 'katas', id, 'solution', file), join(dir, file));
    const passing = await kata(['test', id, '--json'], real);
    const result = JSON.parse(passing.stdout);
    expect(passing.code, result.message).toBe(0);
    expect(result.status).toBe('pass');
    expect(result.hidden.passed).toBe(result.hidden.total);

    const shown = await kata(['progress', '--json'], real);
    expect(shown.code, `kata progress --json: exit ${shown.code}\n${shown.stderr}`).toBe(0);
    const progress = JSON.parse(shown.stdout);
    const entry = progress.tracks.flatMap((t: { katas: { kataId: string }[] }) => t.katas).find((k: { kataId: string }) => k.kataId === id);
    expect(entry).toMatchObject({ status: 'done', attempts: 2 });
  },
);
