// The capstone, delay-service (issue 13's proof): from `kata start` through two stages of the real kata
// a learner meets. The starter fails stage 1; the reference passes it and unlocks stage 2 (its brief and
// starter appear); a regression in stage 1 (a blind wrong solution of stage 1) fails stage 2's run, under
// stage 1; fixed, stage 2 passes, and progress shows 2/6.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { kata, repoRoot } from '../helpers/cli.js';

const capstone = join(repoRoot, 'katas', 'delay-service');
const stage = (key: string) => join(capstone, 'stages', key);

describe('delay-service, stages 1 and 2', () => {
  let home = '';
  const folder = () => join(home, 'workspace', 'delay-service');
  const run = (args: string[]) => kata(args, { cwd: home, catalog: null });
  const gradeJson = async () => {
    const graded = await run(['test', 'delay-service', '--json']);
    return { code: graded.code, result: JSON.parse(graded.stdout) };
  };
  const hiddenFailures = (result: { tests: { name: string; status: string; task_id?: number }[] }) =>
    result.tests.filter((t) => t.name.startsWith('hidden') && t.status !== 'pass');
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'kata-test-'));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  test('start: stage 1 of 6, its brief and starter; the starter fails stage 1', async () => {
    const started = await run(['start', 'delay-service']);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toMatch(/stages\/1-ingest\.md \(stage 1 of 6/);
    expect(existsSync(join(folder(), 'stages', '1-ingest.md'))).toBe(true);
    expect(existsSync(join(folder(), 'src', 'api.ts'))).toBe(false);
    const { code, result } = await gradeJson();
    expect(code).toBe(1);
    expect(result.stage).toMatchObject({ current: 1, of: 6, id: 'ingest' });
    expect(result.stages).toHaveLength(1);
    expect(hiddenFailures(result).length).toBeGreaterThan(0);
    expect(hiddenFailures(result).every((t) => t.task_id === 1)).toBe(true);
  }, 300_000);

  test('the reference of stage 1 passes it and unlocks stage 2', async () => {
    cpSync(join(stage('1-ingest'), 'solution', 'src'), join(folder(), 'src'), { recursive: true });
    const passed = await run(['test', 'delay-service']);
    expect(passed.code, passed.stdout.slice(-3000)).toBe(0);
    expect(passed.stdout).toContain('Stage 2 of 6 unlocked');
    expect(existsSync(join(folder(), 'stages', '2-api.md'))).toBe(true);
    expect(existsSync(join(folder(), 'src', 'api.ts'))).toBe(true);
    expect((await run(['progress'])).stdout).toMatch(/delay-service 1\/6/);
  }, 300_000);

  test('a regression in stage 1 fails stage 2\'s run, under stage 1; fixed, stage 2 passes: 2/6', async () => {
    cpSync(join(stage('2-api'), 'solution', 'src', 'api.ts'), join(folder(), 'src', 'api.ts'));
    const regression = join(stage('1-ingest'), 'wrong', 'watermark-day-reloaded', 'src', 'ingest.ts');
    cpSync(regression, join(folder(), 'src', 'ingest.ts'));
    const { code, result } = await gradeJson();
    expect(code).toBe(1);
    expect(result.stage).toMatchObject({ current: 2, of: 6, id: 'api' });
    expect(result.stages.map((s: { stage: number }) => s.stage)).toEqual([1, 2]);
    expect(result.stages[0].passed).toBeLessThan(result.stages[0].total);
    expect(result.stages[1].passed).toBe(result.stages[1].total);
    expect(hiddenFailures(result).every((t) => t.task_id === 1)).toBe(true);

    cpSync(join(stage('1-ingest'), 'solution', 'src', 'ingest.ts'), join(folder(), 'src', 'ingest.ts'));
    const passed = await run(['test', 'delay-service']);
    expect(passed.code, passed.stdout.slice(-3000)).toBe(0);
    expect(passed.stdout).toContain('Stage 3 of 6 unlocked');
    const progress = await run(['progress']);
    expect(progress.stdout).toMatch(/delay-service 2\/6\s+stage 3 of 6/);
    expect(readFileSync(join(folder(), 'src', 'ingest.ts'), 'utf8')).toBe(readFileSync(join(stage('1-ingest'), 'solution', 'src', 'ingest.ts'), 'utf8'));
  }, 400_000);
});
