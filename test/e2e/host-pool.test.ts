// The judge's pool of solution hosts (runner/judge/host-pool.ts): hosts are started ahead of their run,
// yet each run's hosts are its own, and none outlives its run — whatever the hidden suite did with them.
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { expect, test } from 'vitest';
import { bin, kata, kataEnv, testCatalog } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/** Solution hosts (host/main.js processes) serving the kata folder `dir`. */
function hostsOf(dir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return cmdline.includes(join('host', 'main.js')) && environ.includes(JSON.stringify(dir).slice(1, -1));
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function waitFor(read: () => string, pattern: RegExp, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (pattern.test(read())) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}; output so far:\n${read()}`);
}

test.runIf(process.platform === 'linux')('a hidden file that never closes its host passes, and no host of the run is left afterwards', async () => {
  const catalog = tempDir();
  cpSync(testCatalog, catalog, { recursive: true });
  // This is about cleaning up, not about time: a limit no loaded machine reaches.
  const manifest = join(catalog, 'mini-stats', 'kata.json');
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/"timeLimitMs":\s*\d+/, '"timeLimitMs": 60000'));
  // A suite with one host closed and one forgotten.
  writeFileSync(
    join(catalog, 'mini-stats', 'hidden', 'forgotten-host.test.ts'),
    "import { expect, test } from 'vitest';\nimport { loadSolution } from '@kata/harness';\n\ntest('the mean of 10 and 20, with a host left open', async () => {\n  const { module } = await loadSolution('src/stats.ts');\n  expect(await module.meanDelay([{ delay: 10 }, { delay: 20 }])).toBe(15);\n});\n",
  );
  expect((await kata(['verify', 'mini-stats', '--write-lock', '--only', 'reference'], { cwd: catalog, catalog })).code).toBe(0);
  const home = tempDir();
  await kata(['start', 'mini-stats'], { cwd: home, catalog });
  const dir = join(home, 'workspace', 'mini-stats');
  cpSync(join(catalog, 'mini-stats', 'solution', 'src', 'stats.ts'), join(dir, 'src', 'stats.ts'));
  const run = await kata(['test', 'mini-stats', '--json'], { cwd: home, catalog });
  const result = JSON.parse(run.stdout);
  expect(result.status, result.message).toBe('pass');
  expect(result.tests.filter((t: { name: string }) => t.name.startsWith('hidden'))).toHaveLength(4);
  expect(hostsOf(dir)).toEqual([]);
});

test.runIf(process.platform === 'linux')('watch starts the next run\'s hosts while the learner edits, each run gets fresh ones, and quitting ends them all', async () => {
  const home = tempDir();
  await kata(['start', 'mini-stats'], { cwd: home });
  const dir = join(home, 'workspace', 'mini-stats');
  const file = join(dir, 'src', 'stats.ts');
  // A learner module that counts its own loads in a global: a host reused across runs would count on.
  const counted = (n: number) =>
    `${readFileSync(join(testCatalog, 'mini-stats', 'solution', 'src', 'stats.ts'), 'utf8')}\n(globalThis as any).loads = ((globalThis as any).loads ?? 0) + 1;\nif ((globalThis as any).loads > 1) throw new Error('this host loaded the solution before');\n// save ${n}\n`;
  writeFileSync(file, counted(0));
  const watcher = execa(process.execPath, [bin, 'watch', 'mini-stats'], { cwd: home, reject: false, env: kataEnv(home) });
  let output = '';
  watcher.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const verdicts = () => String(output.split('Watching').length - 1);
  await waitFor(verdicts, /^1$/, 'the first verdict');
  // Between runs, spare hosts wait for the next one (started when it was prepared).
  for (let i = 0; i < 100 && !hostsOf(dir).length; i++) await new Promise((r) => setTimeout(r, 100));
  const spares = hostsOf(dir);
  expect(spares.length).toBeGreaterThan(0);
  writeFileSync(file, counted(1));
  await waitFor(verdicts, /^2$/, 'the second verdict');
  expect(output.match(/mini-stats passes/g)).toHaveLength(2);
  // The spares were used by the second run and are gone; new ones wait for the third.
  for (let i = 0; i < 100 && hostsOf(dir).some((pid) => spares.includes(pid)); i++) await new Promise((r) => setTimeout(r, 100));
  expect(hostsOf(dir).filter((pid) => spares.includes(pid))).toEqual([]);
  watcher.stdin!.write('q\n');
  expect((await watcher).exitCode).toBe(0);
  for (let i = 0; i < 50 && hostsOf(dir).length; i++) await new Promise((r) => setTimeout(r, 100));
  expect(hostsOf(dir)).toEqual([]);
});

/**
 * Verifies mini-stats's reference, with `exports` added to it, against one more hidden file made of
 * `lines`: the way to check what loadSolution's options do to a real host.
 */
async function verifyWithHiddenTest(exports: string, file: string, lines: string[]) {
  const catalog = tempDir();
  cpSync(testCatalog, catalog, { recursive: true });
  // About the host, not about time: a limit no loaded machine reaches.
  const manifest = join(catalog, 'mini-stats', 'kata.json');
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/"timeLimitMs":\s*\d+/, '"timeLimitMs": 60000'));
  const reference = join(catalog, 'mini-stats', 'solution', 'src', 'stats.ts');
  writeFileSync(reference, `${readFileSync(reference, 'utf8')}\n${exports}\n`);
  writeFileSync(join(catalog, 'mini-stats', 'hidden', file), ["import { expect, test } from 'vitest';", "import { loadSolution } from '@kata/harness';", '', ...lines, ''].join('\n'));
  return kata(['verify', 'mini-stats', '--write-lock', '--only', 'reference'], { cwd: catalog, catalog });
}

test.runIf(process.platform === 'linux')("loadSolution's env option: a host of its own with those variables added (TZ), never the harness's own", async () => {
  const run = await verifyWithHiddenTest('export const envOf = (name: string) => process.env[name];', 'time-zone.test.ts', [
    "test('the host runs with the environment it was given', async () => {",
    "  const { module, host } = await loadSolution('src/stats.ts', { env: { TZ: 'America/New_York', TMPDIR: '/nowhere', KATA_SOLUTION_DIR: '/nowhere' } });",
    '  try {',
    "    expect(await module.envOf('TZ')).toBe('America/New_York');",
    "    expect(await module.envOf('TMPDIR')).toBe(host.tempDir);",
    "    expect(await module.envOf('KATA_SOLUTION_DIR')).toBeUndefined();",
    '    expect(await module.meanDelay([{ delay: 10 }, { delay: 20 }])).toBe(15);',
    '  } finally {',
    '    await host.close();',
    '  }',
    '});',
  ]);
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
});

const holder = [
  "import { getHeapStatistics } from 'node:v8';",
  'export const heapLimitMb = () => getHeapStatistics().heap_size_limit / 2 ** 20;',
  '/** Holds about `mb` megabytes of small objects at once. */',
  'export const hold = (mb: number) => Array.from({ length: mb * 2 ** 14 }, (_, i) => ({ i, s: String(i) })).length;',
].join('\n');

test.runIf(process.platform === 'linux')("loadSolution's heapMb option: a host of its own whose heap is capped there", async () => {
  const run = await verifyWithHiddenTest(holder, 'heap.test.ts', [
    "test('a host started with heapMb: 64 has an old space 448 MB smaller than a default host, and holds 16 MB', async () => {",
    "  const capped = await loadSolution('src/stats.ts', { heapMb: 64 });",
    "  const usual = await loadSolution('src/stats.ts');",
    '  try {',
    // V8's limit is the old space plus the young generation, whose size differs between Node versions
    // (48 MB on Node 20, 192 MB on Node 24): the old spaces differ by exactly 512 - 64 = 448 MB.
    '    const difference = (await usual.module.heapLimitMb()) - (await capped.module.heapLimitMb());',
    '    expect(difference).toBeGreaterThan(440);',
    '    expect(difference).toBeLessThan(456);',
    '    expect(await capped.module.hold(16)).toBe(16 * 2 ** 14);',
    '  } finally {',
    '    await capped.host.close();',
    '    await usual.host.close();',
    '  }',
    '});',
  ]);
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
});

test.runIf(process.platform === 'linux')('a host that runs out of its capped heap fails the run with a message that names the cap', async () => {
  const run = await verifyWithHiddenTest(holder, 'heap.test.ts', [
    "test('holding 256 MB in a 64 MB heap', async () => {",
    "  const { module, host } = await loadSolution('src/stats.ts', { heapMb: 64 });",
    "  await expect(module.hold(256)).rejects.toThrow('ran out of memory');",
    '  await host.close().catch(() => undefined);',
    '});',
  ]);
  expect(run.code).toBe(1);
  expect(run.stdout).toContain("your code ran out of memory: the solution host's heap is capped at 64 MB");
});
