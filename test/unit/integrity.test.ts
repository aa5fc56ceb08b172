// The runner's grading files against the hashes recorded at build (npm run build writes dist/integrity.json).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkIntegrity, integrityFile } from '../../runner/core/integrity.js';
import { tempDir } from '../helpers/tmp.js';

describe('runner integrity', () => {
  test('the build\'s record matches the files on disk', () => {
    expect(() => checkIntegrity()).not.toThrow();
  });

  test('a changed file is refused, by name, with the command that repairs it', () => {
    const record = JSON.parse(readFileSync(integrityFile, 'utf8')) as { files: Record<string, string> };
    const file = Object.keys(record.files).find((name) => name.endsWith('judge/child.js'))!;
    record.files[file] = '0'.repeat(64);
    const tampered = join(tempDir(), 'integrity.json');
    writeFileSync(tampered, JSON.stringify(record));
    expect(() => checkIntegrity(tampered)).toThrow(expect.objectContaining({ code: 'RUNNER_TAMPERED', message: expect.stringContaining(file), hint: expect.stringContaining('npm install') }));
  });

  test('a missing record is refused too', () => {
    expect(() => checkIntegrity(join(tempDir(), 'none.json'))).toThrow(expect.objectContaining({ code: 'RUNNER_TAMPERED' }));
  });
});
