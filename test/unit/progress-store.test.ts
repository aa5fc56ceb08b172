import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import type { KataError } from '../../runner/core/errors.js';
import { migrations, ProgressStore, schemaVersion } from '../../runner/core/progress-store.js';
import { repairStore } from '../../runner/core/repair.js';
import { garbleIndexPage } from '../helpers/damage.js';
import { tempDir } from '../helpers/tmp.js';

const attempt = (status: 'pass' | 'fail', kataId = 'sum-delays') => ({
  kataId, status, visiblePassed: 1, visibleTotal: 2, hiddenPassed: status === 'pass' ? 5 : 2, hiddenTotal: 5, durationMs: 1200,
});

function openError(file: string): KataError {
  try {
    ProgressStore.open(file).close();
  } catch (error) {
    return error as KataError;
  }
  throw new Error('expected the store to refuse to open');
}

describe('progress store', () => {
  test('records starts, attempts, hints and the first completion', () => {
    const file = join(tempDir(), '.kata', 'progress.db');
    const store = ProgressStore.open(file);
    store.recordStart('sum-delays', 1_000);
    expect(store.progress('sum-delays').status).toBe('in progress');
    expect(store.recordAttempt(attempt('fail'), 2_000).firstCompletion).toBe(false);
    store.recordHint('sum-delays', 0);
    store.recordHint('sum-delays', 0);
    expect(store.recordAttempt(attempt('pass'), 61_000).firstCompletion).toBe(true);
    expect(store.recordAttempt(attempt('pass'), 70_000).firstCompletion).toBe(false);
    expect(store.progress('sum-delays')).toMatchObject({ status: 'done', attempts: 3, hintsUsed: 1, timeToGreenMs: 60_000 });
    expect(store.progress('other').status).toBe('not started');
    store.close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(schemaVersion);
    db.close();
  });

  test('a read-only open of a missing store creates nothing', () => {
    const file = join(tempDir(), '.kata', 'progress.db');
    ProgressStore.open(file, { readonly: true }).close();
    expect(existsSync(file)).toBe(false);
  });

  test('an empty version-0 file is migrated forward', () => {
    const file = join(tempDir(), 'progress.db');
    new Database(file).close();
    const store = ProgressStore.open(file);
    store.recordStart('a');
    store.close();
    expect(new Database(file).pragma('user_version', { simple: true })).toBe(schemaVersion);
  });

  test('a version-1 store with records is migrated forward without losing any', () => {
    const file = join(tempDir(), 'progress.db');
    const v1 = new Database(file);
    v1.exec(migrations[0]);
    v1.pragma('user_version = 1');
    v1.prepare('INSERT INTO started VALUES (?, ?)').run('sum-delays', 1_000);
    v1.prepare(`INSERT INTO attempts (kata_id, at, status, visible_passed, visible_total, hidden_passed, hidden_total, duration_ms)
                VALUES ('sum-delays', 2000, 'pass', 1, 1, 5, 5, 900)`).run();
    v1.prepare('INSERT INTO completions VALUES (?, ?)').run('sum-delays', 2_000);
    v1.prepare('INSERT INTO hints VALUES (?, ?, ?)').run('sum-delays', 0, 1_500);
    v1.close();
    const store = ProgressStore.open(file);
    expect(store.progress('sum-delays')).toMatchObject({ status: 'done', attempts: 1, hintsUsed: 1, timeToGreenMs: 1_000 });
    store.recordAttempt(attempt('fail'));
    store.close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(schemaVersion);
    expect(db.prepare('SELECT runner_version FROM attempts ORDER BY id').all()).toEqual([{ runner_version: null }, { runner_version: expect.any(String) }]);
    db.close();
  });

  test('a version-2 store keeps its hints (as hints of katas without stages) and records stages from then on', () => {
    const file = join(tempDir(), 'progress.db');
    const v2 = new Database(file);
    v2.exec(migrations[0]);
    v2.exec(migrations[1]);
    v2.pragma('user_version = 2');
    v2.prepare('INSERT INTO hints VALUES (?, ?, ?)').run('sum-delays', 0, 1_500);
    v2.prepare('INSERT INTO hints VALUES (?, ?, ?)').run('sum-delays', 1, 1_600);
    v2.close();
    const store = ProgressStore.open(file);
    expect(store.hintsUsed('sum-delays')).toBe(2);
    expect(store.hintsUsed('sum-delays', 0)).toBe(2);
    // Hint 1 of stage 2 is not hint 1 of the kata without stages.
    store.recordHint('project', 0, 2_000, 2);
    store.recordHint('project', 0, 2_100, 2);
    store.recordHint('project', 0, 2_200, 3);
    expect([store.hintsUsed('project', 2), store.hintsUsed('project', 3), store.hintsUsed('project')]).toEqual([1, 1, 2]);
    // A pass of stage 2 passes stages 1 and 2; the kata is done only when its last stage passes.
    expect(store.recordAttempt({ ...attempt('pass'), kataId: 'project', stage: 2, lastStage: 3 })).toEqual({ firstCompletion: false });
    expect([...store.stagesPassed('project')].sort()).toEqual([1, 2]);
    expect(store.isDone('project')).toBe(false);
    expect(store.recordAttempt({ ...attempt('fail'), kataId: 'project', stage: 3, lastStage: 3 })).toEqual({ firstCompletion: false });
    expect(store.recordAttempt({ ...attempt('pass'), kataId: 'project', stage: 3, lastStage: 3 })).toEqual({ firstCompletion: true });
    expect(store.isDone('project')).toBe(true);
    store.reopenStage('project', 2);
    expect([...store.stagesPassed('project')]).toEqual([1]);
    expect(store.isDone('project')).toBe(false);
    store.close();
  });

  test('a store from a newer kata is refused and left untouched', () => {
    const file = join(tempDir(), 'progress.db');
    const db = new Database(file);
    db.pragma(`user_version = ${schemaVersion + 1}`);
    db.close();
    const before = readFileSync(file);
    const error = openError(file);
    expect(error.code).toBe('PROGRESS_TOO_NEW');
    expect(error.message).toContain(file);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  test('a corrupt store names the file and the repair command; it is never replaced', () => {
    const file = join(tempDir(), 'progress.db');
    writeFileSync(file, 'this is not a database, it is a text file that got here by accident');
    const error = openError(file);
    expect(error.code).toBe('PROGRESS_CORRUPT');
    expect(error.message).toContain(file);
    expect(error.hint).toContain('kata doctor --repair');
    expect(readFileSync(file, 'utf8')).toContain('not a database');
  });

  test('repair salvages the rows of a store it can still read', () => {
    const file = join(tempDir(), 'progress.db');
    const store = ProgressStore.open(file);
    store.recordAttempt(attempt('pass'));
    store.recordHint('sum-delays', 0);
    store.close();
    garbleIndexPage(file);
    expect(openError(file).code).toBe('PROGRESS_CORRUPT');
    const outcome = repairStore(file);
    expect(outcome.recovered).toMatchObject({ attempts: 1, hints: 1, completions: 1 });
    const repaired = ProgressStore.open(file);
    expect(repaired.progress('sum-delays')).toMatchObject({ status: 'done', attempts: 1, hintsUsed: 1 });
    repaired.close();
  });

  test('repair keeps the damaged file and leaves a working store', () => {
    const file = join(tempDir(), 'progress.db');
    const store = ProgressStore.open(file);
    store.recordAttempt(attempt('pass'));
    store.close();
    expect(repairStore(file).backup).toBeUndefined(); // healthy: nothing to do
    // Damage the first page's b-tree header, as a torn write or a bad disk would.
    const bytes = readFileSync(file);
    const damaged = Buffer.concat([bytes.subarray(0, 100), Buffer.alloc(20, 0xff), bytes.subarray(120)]);
    writeFileSync(file, damaged);
    expect(openError(file).code).toBe('PROGRESS_CORRUPT');
    const outcome = repairStore(file);
    expect(outcome.ok).toBe(true);
    expect(readFileSync(outcome.backup!).equals(damaged)).toBe(true);
    const repaired = ProgressStore.open(file);
    repaired.recordStart('after-repair');
    expect(repaired.progress('after-repair').status).toBe('in progress');
    repaired.close();
  });
});
