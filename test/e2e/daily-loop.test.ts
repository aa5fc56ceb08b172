// The learner's daily loop with `kata test` and `kata watch` (issue 12): the learner's own tests alone,
// a filter on test names, whole messages, syntax and type errors, a slow ML solution at the time limit,
// progress on and off a terminal, watch moving on to the next kata after a pass, and (on the real
// flight-delays-api) a one-field difference shown with both values.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bin, kata, kataEnv, mlCatalog, repoRoot, testCatalog } from '../helpers/cli.js';

const miniStats = join(testCatalog, 'mini-stats');
const solution = readFileSync(join(miniStats, 'solution', 'src', 'stats.ts'), 'utf8');
const starter = readFileSync(join(miniStats, 'starter', 'src', 'stats.ts'), 'utf8');

/**
 * A workspace kept for all the tests of a describe block (each sets the learner's file it needs), with
 * its own copy of the test catalog: mini-stats with a time limit no loaded machine reaches, since these
 * tests are not about it, and a second kata that needs it (for watch moving on).
 */
function sharedHome(): { home: string; catalog: string } {
  const shared = { home: '', catalog: '' };
  beforeAll(() => {
    shared.home = mkdtempSync(join(tmpdir(), 'kata-test-'));
    shared.catalog = join(shared.home, 'catalog');
    const copy = (id: string, changes: Record<string, unknown>) => {
      cpSync(miniStats, join(shared.catalog, id), { recursive: true });
      const manifest = JSON.parse(readFileSync(join(miniStats, 'kata.json'), 'utf8'));
      writeFileSync(join(shared.catalog, id, 'kata.json'), JSON.stringify({ ...manifest, timeLimitMs: 60_000, ...changes }));
    };
    copy('mini-stats', {});
    copy('mini-stats-2', { id: 'mini-stats-2', title: 'Mini stats, again', order: 2, prerequisites: ['mini-stats'] });
  });
  afterAll(() => rmSync(shared.home, { recursive: true, force: true }));
  return shared;
}

async function waitFor(read: () => string, pattern: RegExp, what: string): Promise<void> {
  for (let i = 0; i < 900; i++) {
    if (pattern.test(read())) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}; output so far:\n${read()}`);
}

const attempts = async (home: string, catalog: string) =>
  JSON.parse((await kata(['progress', '--json'], { cwd: home, catalog })).stdout).tracks[0].katas[0].attempts as number;

describe('kata test --visible, -t and --verbose', () => {
  const shared = sharedHome();
  const file = () => join(shared.home, 'workspace', 'mini-stats', 'src', 'stats.ts');

  test('--visible runs only the learner\'s own tests, with no hidden suite, and records nothing', async () => {
    const { home, catalog } = shared;
    expect((await kata(['start', 'mini-stats'], { cwd: home, catalog })).code).toBe(0);
    const failing = await kata(['test', 'mini-stats', '--visible'], { cwd: home, catalog });
    expect(failing.code, failing.stdout).toBe(1);
    expect(failing.stdout).toContain('Your tests (tests/): 0/1 passed');
    expect(failing.stdout).toContain('✗ your tests do not pass yet');
    expect(failing.stdout).toContain('Not recorded: the hidden suite did not run. The kata is graded by kata test mini-stats.');
    expect(failing.stdout).not.toMatch(/Hidden suite|hidden suite is running/);

    writeFileSync(file(), solution);
    const json = await kata(['test', 'mini-stats', '--visible', '--json'], { cwd: home, catalog });
    expect(json.code).toBe(0);
    const result = JSON.parse(json.stdout);
    expect(result).toMatchObject({ status: 'pass', selection: { visibleOnly: true }, visible: { passed: 1, total: 1 }, hidden: { total: 0 } });
    expect(result.tests.map((t: { name: string }) => t.name)).toEqual(['visible › the mean of two delays']);
    expect(await attempts(home, catalog)).toBe(0);
  });

  test('-t runs only the tests whose name matches, and records nothing', async () => {
    const { home, catalog } = shared;
    writeFileSync(file(), starter);
    const one = await kata(['test', 'mini-stats', '-t', 'no rows'], { cwd: home, catalog });
    expect(one.code, one.stdout).toBe(0);
    expect(one.stdout).toContain('Hidden suite, -t "no rows": 1/1 passed');
    expect(one.stdout).toContain('✓ the selected tests pass');
    expect(one.stdout).toContain('Not recorded: only some tests ran.');

    const failing = JSON.parse((await kata(['test', 'mini-stats', '--filter', 'real flights', '--json'], { cwd: home, catalog })).stdout);
    expect(failing).toMatchObject({ status: 'fail', selection: { pattern: 'real flights' }, hidden: { passed: 0, total: 1 } });
    expect(failing.tests.map((t: { name: string }) => t.name)).toEqual(['hidden › meanDelay > over 2,000 real flights']);

    const none = await kata(['test', 'mini-stats', '-t', 'no such test'], { cwd: home, catalog });
    expect(none.code).toBe(1);
    expect(none.stdout).toContain('no test matches -t "no such test", neither in the hidden suite nor in yours');
    const invalid = await kata(['test', 'mini-stats', '-t', '('], { cwd: home, catalog });
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('is not a valid regular expression');
    expect(await attempts(home, catalog)).toBe(0);
  });

  test('--verbose explains every failure with whole messages', async () => {
    const { home, catalog } = shared;
    // A received value far longer than a message's share of the cap: its end is cut, unless --verbose.
    writeFileSync(file(), solution.replace('return Math.round', `return ${JSON.stringify(`${'x'.repeat(400)}END-OF-VALUE`)} as never;\n  return Math.round`));
    const short = await kata(['test', 'mini-stats'], { cwd: home, catalog });
    expect(short.code).toBe(1);
    expect(short.stdout).toContain('… (cut)');
    expect(short.stdout).not.toContain('END-OF-VALUE');
    const verbose = await kata(['test', 'mini-stats', '--verbose'], { cwd: home, catalog });
    expect(verbose.code).toBe(1);
    expect(verbose.stdout).toContain(`${'x'.repeat(400)}END-OF-VALUE`);
    expect(verbose.stdout).not.toContain('(cut)');
  });
});

describe('failure messages show what differs', () => {
  // The issue's case, on the real kata: one field of one route differs, deep inside a long object whose
  // start is identical. The terminal and --json must show that field with both values.
  test('a one-field difference in a route shows that field and both values, in the terminal and in --json', async () => {
    const home = mkdtempSync(join(tmpdir(), 'kata-test-'));
    try {
      const real = { cwd: home, catalog: null };
      expect((await kata(['start', 'flight-delays-api'], real)).code).toBe(0);
      const reference = readFileSync(join(repoRoot, 'katas', 'flight-delays-api', 'solution', 'src', 'app.ts'), 'utf8');
      const offByOne = reference.replace('max_delay_min: empty ? null : t.max_delay_min,', 'max_delay_min: empty ? null : t.max_delay_min + 1,');
      expect(offByOne).not.toBe(reference);
      writeFileSync(join(home, 'workspace', 'flight-delays-api', 'src', 'app.ts'), offByOne);
      const only = ['-t', 'gives the route totals'];
      const run = await kata(['test', 'flight-delays-api', ...only], real);
      expect(run.code, run.stdout).toBe(1);
      const shown = run.stdout.match(/-\s+"max_delay_min": (\d+),?\n\s*\+\s+"max_delay_min": (\d+)/);
      expect(shown, run.stdout).not.toBeNull();
      expect(Number(shown![2])).toBe(Number(shown![1]) + 1);
      // Only what differs: the route's other fields are not repeated.
      expect(run.stdout).not.toMatch(/[-+]\s+"avg_delay_min"/);
      const json = JSON.parse((await kata(['test', 'flight-delays-api', ...only, '--json'], real)).stdout);
      const failed = json.tests.filter((t: { status: string }) => t.status === 'fail');
      expect(failed.length).toBe(1);
      expect(failed[0].message).toMatch(new RegExp(`-\\s+"max_delay_min": ${shown![1]},?\\n\\s*\\+\\s+"max_delay_min": ${shown![2]}`));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('syntax and type errors', () => {
  const shared = sharedHome();
  const file = () => join(shared.home, 'workspace', 'mini-stats', 'src', 'stats.ts');

  test('code that does not parse gets one code frame, not a line per test that did not run', async () => {
    const { home, catalog } = shared;
    await kata(['start', 'mini-stats'], { cwd: home, catalog });
    cpSync(join(repoRoot, 'test', 'fixtures', 'solutions', 'syntax-error.ts'), file());
    const run = await kata(['test', 'mini-stats'], { cwd: home, catalog });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('your code does not parse, so no test could run:');
    expect(run.stdout).toContain('src/stats.ts:6:2: Declaration or statement expected.');
    expect(run.stdout).toMatch(/> 6 \| \}\}\n\s+\|  \^/);
    expect(run.stdout).not.toMatch(/did not run|Transform failed|PARSE_ERROR/);
    expect(await attempts(home, catalog)).toBe(1);
    // With the type check on, the checker beside the grade finds it first and stops the run: the same frame.
    const beside = JSON.parse((await kata(['test', 'mini-stats', '--json'], { cwd: home, catalog, env: { KATA_TYPECHECK: '1' } })).stdout);
    expect(beside).toMatchObject({ status: 'error', tests: [] });
    expect(beside.message).toContain('src/stats.ts:6:2: Declaration or statement expected.\n');
    expect(beside.typecheck).toBeUndefined();
  });

  test('type errors are shown in their own section, not graded, and carried in --json', async () => {
    const { home, catalog } = shared;
    writeFileSync(file(), `${solution}\nexport const rounding: number = 'two decimals';\n`);
    const env = { KATA_TYPECHECK: '1' };
    const run = await kata(['test', 'mini-stats'], { cwd: home, catalog, env });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain('✓ mini-stats passes');
    expect(run.stdout).toMatch(/Type check \(not graded\): 1 type error\n {2}! src\/stats\.ts:\d+:14 TS2322 Type 'string' is not assignable to type 'number'\./);

    // One hidden test is enough to see it in --json; --visible (fast) and --no-typecheck leave it out.
    const json = JSON.parse((await kata(['test', 'mini-stats', '-t', 'no rows', '--json'], { cwd: home, catalog, env })).stdout);
    expect(json.status).toBe('pass');
    expect(json.typecheck).toMatchObject({ graded: false, status: 'errors', errors: [{ file: 'src/stats.ts', code: 'TS2322', column: 14 }] });
    for (const flags of [['--visible'], ['-t', 'no rows', '--no-typecheck']]) {
      const off = await kata(['test', 'mini-stats', ...flags], { cwd: home, catalog, env });
      expect(off.code, off.stdout).toBe(0);
      expect(off.stdout).not.toContain('Type check');
    }
  });
});

describe('an ML kata: a slow solution, and progress while it trains', () => {
  const shared = sharedHome();
  const file = () => join(shared.home, 'workspace', 'mini-train', 'src', 'model.ts');
  const reference = readFileSync(join(mlCatalog, 'mini-train', 'solution', 'src', 'model.ts'), 'utf8');

  test('a slow solution at the time limit: the sections that finished are kept, train() and the limit are named', async () => {
    const { home } = shared;
    expect((await kata(['start', 'mini-train'], { cwd: home, catalog: mlCatalog })).code).toBe(0);
    // Correct, but a million epochs: it would finish, long after the kata's 20 s.
    writeFileSync(file(), reference.replace('epochs: options.epochs ?? 20', 'epochs: 1_000_000'));
    const run = await kata(['test', 'mini-train'], { cwd: home, catalog: mlCatalog });
    expect(run.code).toBe(1);
    // Off a terminal: one line per phase, so the run is never silent.
    expect(run.stdout).toContain('▸ the hidden suite is running (2 tests)');
    expect(run.stdout).toContain('▸ training: train(), 1000000 epochs');
    expect(run.stdout.split('\n').filter((line) => line.startsWith('▸ ')).length).toBeLessThan(6);
    expect(run.stdout).toContain('Your tests (tests/): 1/1 passed');
    expect(run.stdout).toMatch(
      /the hidden suite was stopped at 20 s, the kata's time limit: train\(\) was still running \(for [\d.]+ s, at epoch \d+ of 1000000, called from the beforeAll(\/afterAll)? hook of train\.test\.ts\)/,
    );
    expect(run.stdout).toContain('did not start before the time limit');
    expect(run.stdout).not.toMatch(/infinite loop|every test must run/);
  }, 120_000);

  test("a failing test's output shows the learner's own lines, not tfjs's advice to install tfjs-node", async () => {
    const { home } = shared;
    if (!existsSync(file())) expect((await kata(['start', 'mini-train'], { cwd: home, catalog: mlCatalog })).code).toBe(0);
    // Its own file, removed after: the next test counts one visible test that passes.
    const extra = join(home, 'workspace', 'mini-train', 'tests', 'output.test.ts');
    writeFileSync(
      extra,
      [
        "import * as tf from '@tensorflow/tfjs';",
        "import { expect, test } from 'vitest';",
        "test('logs, then fails', async () => {",
        "  await tf.setBackend('cpu');",
        '  tf.tensor([1, 2]).dataSync(); // the cpu backend advises tfjs-node on its first use',
        "  console.log('my own line');",
        '  expect(1).toBe(2);',
        '});',
      ].join('\n'),
    );
    try {
      const run = await kata(['test', 'mini-train', '--visible'], { cwd: home, catalog: mlCatalog });
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/✗ logs, then fails[\s\S]*output: my own line/);
      expect(run.stdout).not.toContain('TensorFlow.js in Node.js');
    } finally {
      rmSync(extra);
    }
  }, 120_000);

  test.skipIf(process.platform !== 'linux' || !existsSync('/usr/bin/script'))(
    'on a terminal, a live line shows each section\'s tests done / total, the call running, and the epoch and loss while it trains',
    async () => {
      const { home } = shared;
      // The reference, with a pause after each epoch: on a quiet machine 20 epochs of it end between two
      // frames of the live line, and the epoch would never be drawn.
      if (!existsSync(file())) expect((await kata(['start', 'mini-train'], { cwd: home, catalog: mlCatalog })).code).toBe(0);
      const paced = reference.replace('verbose: 0', 'verbose: 0, callbacks: { onEpochEnd: () => new Promise((done) => setTimeout(done, 150)) }');
      expect(paced).not.toBe(reference);
      writeFileSync(file(), paced);
      // Not a test of the time limit: a copy of the catalog whose limit no loaded machine reaches.
      const relaxed = join(home, 'ml-catalog');
      cpSync(mlCatalog, relaxed, { recursive: true });
      const manifest = JSON.parse(readFileSync(join(relaxed, 'mini-train', 'kata.json'), 'utf8'));
      writeFileSync(join(relaxed, 'mini-train', 'kata.json'), JSON.stringify({ ...manifest, timeLimitMs: 60_000 }));
      const env: Record<string, string> = { ...process.env, ...kataEnv(home, relaxed), CI: '', TERM: 'xterm' } as Record<string, string>;
      delete env.NO_COLOR;
      // script(1) gives the run a terminal; its output is what the learner would have seen.
      const run = await execa('script', ['-qfec', `stty cols 200; ${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} test mini-train`, '/dev/null'], { env, extendEnv: false, reject: false, timeout: 120_000 });
      const screen = String(run.stdout).replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
      expect(run.exitCode, screen.slice(-2000)).toBe(0);
      const frames = screen.split('\r');
      expect(frames.some((frame) => /hidden suite 0\/2/.test(frame)), screen.slice(0, 3000)).toBe(true);
      expect(frames.some((frame) => /your tests \d\/1/.test(frame))).toBe(true);
      expect(frames.some((frame) => /train\(\) \d+ s · epoch \d+\/20 loss [\d.e-]+/.test(frame)), screen.slice(0, 3000)).toBe(true);
      // The harness's reportCurve, drawn once training has ended.
      expect(screen).toMatch(/loss\s+\S+\s+[\d.]+ → [\d.e-]+ over 20 epochs/);
      expect(screen).toContain('✓ mini-train passes');
    },
    120_000,
  );
});

describe('kata watch moves on after a pass', () => {
  const shared = sharedHome();

  test('n starts the next kata and watches it; h asks for another hint with a key, not a command', async () => {
    const { home, catalog } = shared;
    await kata(['start', 'mini-stats'], { cwd: home, catalog });
    writeFileSync(join(home, 'workspace', 'mini-stats', 'src', 'stats.ts'), solution);
    const watcher = execa(process.execPath, [bin, 'watch', 'mini-stats'], { cwd: home, reject: false, env: { ...kataEnv(home, catalog), KATA_TYPECHECK: '1' } });
    let output = '';
    watcher.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(() => output, /mini-stats passes[\s\S]*Watching/, 'the first verdict');
    expect(output).toContain('Next: press n to start mini-stats-2 — ');
    expect(output).toContain('n next kata (mini-stats-2)');
    // The type check's section (not graded) comes with the verdict, before the watch line.
    expect(output).toMatch(/Type check \(not graded\): no type errors\n\nWatching/);

    watcher.stdin!.write('h\n');
    await waitFor(() => output, /Hint 1 of 2/, 'a hint');
    expect(output).toContain('press h for another');
    expect(output).not.toContain('Another one: kata hint');

    watcher.stdin!.write('n\n');
    await waitFor(() => output, /Mini stats, again is ready in[\s\S]*mini-stats-2 does not pass yet[\s\S]*Watching \S*mini-stats-2/, 'the next kata, started and graded');
    expect(existsSync(join(home, 'workspace', 'mini-stats-2', 'src', 'stats.ts'))).toBe(true);
    expect(output).toContain('Fix it and save to run again, or press h for a hint.');
    watcher.stdin!.write('q\n');
    expect((await watcher).exitCode).toBe(0);
  }, 180_000);
});
