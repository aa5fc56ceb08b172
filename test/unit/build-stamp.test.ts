import { rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { changedSources, recordBuildStamp } from '../../runner/core/build-stamp.js';
import { tempDir } from '../helpers/tmp.js';

test('a build is current until a source is changed, added or removed; editor files and fixture output do not count', () => {
  const root = tempDir({
    'package.json': '{}',
    'runner/cli.ts': 'export {};\n',
    'runner/core/a.ts': 'export const a = 1;\n',
    'fixtures/build/flights.json': '[]',
    'dist/.keep': '',
  });
  const stamp = join(root, 'dist', 'build-stamp.json');
  expect(changedSources(root, stamp)).toEqual(['dist/build-stamp.json']); // never built
  recordBuildStamp(root, stamp);
  expect(changedSources(root, stamp)).toEqual([]);

  // Touched but equal (a checkout that changed nothing), an editor's swap file, new fixture output.
  utimesSync(join(root, 'runner', 'cli.ts'), new Date(), new Date(Date.now() + 5000));
  writeFileSync(join(root, 'runner', '.cli.ts.swp'), 'x');
  writeFileSync(join(root, 'fixtures', 'build', 'more.json'), '[]');
  expect(changedSources(root, stamp)).toEqual([]);

  writeFileSync(join(root, 'runner', 'cli.ts'), 'export const changed = true;\n');
  writeFileSync(join(root, 'runner', 'core', 'new.ts'), '');
  rmSync(join(root, 'runner', 'core', 'a.ts'));
  expect(changedSources(root, stamp)).toEqual(['runner/cli.ts', 'runner/core/a.ts', 'runner/core/new.ts']);
});
