import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { assertKataId, findKata, loadCatalog, type Kata } from '../../runner/core/catalog.js';
import { KataError } from '../../runner/core/errors.js';
import { tempDir } from '../helpers/tmp.js';

const manifest = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    formatVersion: 1,
    id: 'sum-delays',
    title: 'Sum delays',
    track: 'data',
    difficulty: 1,
    order: 1,
    prerequisites: [],
    summary: 'Sum them.',
    hints: ['one'],
    timeLimitMs: 10000,
    files: ['src/sum.ts'],
    ...over,
  });

async function errorOf(fn: () => unknown): Promise<KataError> {
  try {
    await fn();
  } catch (error) {
    return error as KataError;
  }
  throw new Error('expected an error');
}

describe('catalog', () => {
  test('loads katas in order', async () => {
    const dir = tempDir({
      'b-kata/kata.json': manifest({ id: 'b-kata', order: 2 }),
      'a-kata/kata.json': manifest({ id: 'a-kata', order: 5 }),
    });
    expect((await loadCatalog(dir)).map((k) => k.id)).toEqual(['b-kata', 'a-kata']);
  });

  test('a broken manifest names its file and every bad field', async () => {
    const dir = tempDir({ 'sum-delays/kata.json': manifest({ track: 'frontend', hints: [], difficulty: 9 }) });
    const error = await errorOf(() => loadCatalog(dir));
    expect(error.code).toBe('BAD_MANIFEST');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(join('sum-delays', 'kata.json'));
    expect(error.message).toMatch(/track: /);
    expect(error.message).toMatch(/hints: /);
    expect(error.message).toMatch(/difficulty: /);
  });

  test('invalid JSON and an id that does not match its folder are reported', async () => {
    expect((await errorOf(() => loadCatalog(tempDir({ 'x/kata.json': '{ nope' })))).message).toMatch(/kata\.json is not valid JSON/);
    expect((await errorOf(() => loadCatalog(tempDir({ 'other/kata.json': manifest() })))).message).toMatch(/id: "sum-delays" must match its folder name "other"/);
  });

  test('unknown ids get a suggestion; ids with paths are refused before any lookup', async () => {
    const catalog = [{ id: 'flight-delays-api' }, { id: 'penguin-classifier' }] as Kata[];
    const unknown = await errorOf(() => findKata(catalog, 'flight-delay-api'));
    expect(unknown.code).toBe('UNKNOWN_KATA');
    expect(unknown.message).toContain('did you mean "flight-delays-api"?');
    expect(unknown.hint).toBe('kata start flight-delays-api');
    expect((await errorOf(() => findKata(catalog, 'zzzzzzzzzzzz'))).message).not.toContain('did you mean');
    for (const bad of ['../etc', 'a/b', 'a\\b', '..', 'Flight']) expect((await errorOf(() => assertKataId(bad))).code).toBe('BAD_KATA_ID');
  });
});
