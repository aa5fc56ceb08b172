// Grading benchmark, measured side by side in one run on this machine:
//  1. `kata test` on a backend kata against a bare `vitest run` of the same hidden files (budget 1.3×),
//     once as a learner runs it (their visible tests/ first, which the bare run does not have) and once
//     with the hidden suite alone, which is the like-for-like comparison;
//  2. the re-verdict time in watch mode: from a save to the new verdict on screen (budget 0.5× the cold
//     bare run: the judge stays warm, only the solution hosts and the visible run are new);
//  3. each ML kata's grading time on the pure-JS backend (budget 10 s).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bin, fmt, kataSync, median, root, solvedWorkspace, timed } from './lib.mjs';

const runs = Number(process.env.BENCH_RUNS ?? 5);
// BENCH_ONLY=test,watch,ml runs some of the sections; the watch ratio needs the test section's bare run.
const only = (name) => !process.env.BENCH_ONLY || process.env.BENCH_ONLY.split(',').includes(name);
let bareMedian;
const backendKata = process.env.BENCH_BACKEND_KATA ?? 'flight-delays-api';

// 1. kata test vs bare vitest
if (only('test') || only('watch')) {
  const { workspace, dir } = solvedWorkspace(backendKata);
  const hiddenOnly = solvedWorkspace(backendKata);
  rmSync(join(hiddenOnly.dir, 'tests'), { recursive: true });
  const bare = mkdtempSync(join(tmpdir(), 'kata-bench-bare-'));
  cpSync(join(root, 'katas', backendKata, 'hidden'), join(bare, 'hidden'), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(bare, 'node_modules'));
  writeFileSync(
    join(bare, 'vitest.config.mjs'),
    `export default { resolve: { alias: { '@kata/harness': ${JSON.stringify(join(root, 'dist', 'runner', 'harness', 'index.js'))} } },
       test: { root: ${JSON.stringify(join(bare, 'hidden'))}, include: ['**/*.test.ts'], pool: 'forks', maxWorkers: 1, reporters: ['dot'] } };\n`,
  );
  const env = { ...process.env, KATA_SOLUTION_DIR: dir, KATA_FIXTURES_DIR: join(root, 'fixtures', 'build'), NO_COLOR: '1' };
  const kataTimes = [];
  const hiddenTimes = [];
  const noTypesTimes = [];
  const bareTimes = [];
  for (let i = 0; i < runs + 1; i++) {
    const k = timed(() => kataSync(['test', backendKata], { KATA_WORKSPACE: workspace }));
    if (k.result.code !== 0) throw new Error(`kata test failed:\n${k.result.stdout}`);
    const h = timed(() => kataSync(['test', backendKata], { KATA_WORKSPACE: hiddenOnly.workspace }));
    if (h.result.code !== 0) throw new Error(`kata test (hidden only) failed:\n${h.result.stdout}`);
    // The type check (shown, not graded) runs beside the grade at nice 10 and the command waits for it.
    const t = timed(() => kataSync(['test', backendKata], { KATA_WORKSPACE: workspace, KATA_TYPECHECK: '0' }));
    if (t.result.code !== 0) throw new Error(`kata test (no type check) failed:\n${t.result.stdout}`);
    const b = timed(() => spawnSync(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', join(bare, 'vitest.config.mjs')], { cwd: bare, env, encoding: 'utf8' }));
    if (b.result.status !== 0) throw new Error(`bare vitest failed:\n${b.result.stdout}${b.result.stderr}`);
    if (i > 0) {
      kataTimes.push(k.ms);
      hiddenTimes.push(h.ms);
      noTypesTimes.push(t.ms);
      bareTimes.push(b.ms);
    }
  }
  const line = (label, times) => {
    const ratio = median(times) / median(bareTimes);
    return `  ${label.padEnd(34)} ${fmt(median(times))}  ${ratio.toFixed(2)}×  ${ratio <= 1.3 ? 'within 1.3×' : 'OVER 1.3×'}`;
  };
  bareMedian = median(bareTimes);
  console.log(`kata test ${backendKata} vs bare vitest run of its hidden files (${runs} interleaved runs, median)`);
  console.log(`  ${'bare vitest run (hidden files)'.padEnd(34)} ${fmt(median(bareTimes))}  1.00×`);
  console.log(line('kata test, hidden suite alone', hiddenTimes));
  console.log(line('kata test, visible tests + hidden', kataTimes));
  console.log(line('  the same without the type check', noTypesTimes));
}

// 2. watch re-verdict
if (only('watch')) {
  const { workspace, dir, manifest } = solvedWorkspace(backendKata);
  const watcher = spawn(process.execPath, [bin, 'watch', backendKata], { env: { ...process.env, KATA_WORKSPACE: workspace, NO_COLOR: '1' } });
  let output = '';
  watcher.stdout.on('data', (chunk) => (output += chunk));
  // The verdict line (grade.ts: "✓ <kata> passes (…)"), then the type check's section (shown, not graded),
  // then "Watching": the screen is complete.
  const count = (pattern) => (output.match(pattern) ?? []).length;
  const waitFor = async (pattern, n) => {
    while (count(pattern) < n) await new Promise((r) => setTimeout(r, 10));
  };
  const verdictLine = /^✓ .* passes \(/gm;
  await waitFor(/Watching/g, 1);
  const times = [];
  const completeTimes = [];
  for (let i = 0; i < runs; i++) {
    // A learner reads the verdict and edits before saving again; meanwhile the next run warms up.
    await new Promise((r) => setTimeout(r, 2000));
    // A real edit: watch re-grades only when the content of the learner's files changed.
    const file = join(dir, manifest.files[0]);
    const edited = `${readFileSync(file, 'utf8').replace(/\n\/\/ bench save \d+\n$/, '\n')}// bench save ${i}\n`;
    const started = performance.now();
    writeFileSync(file, edited);
    await waitFor(verdictLine, i + 2);
    times.push(performance.now() - started);
    await waitFor(/Watching/g, i + 2);
    completeTimes.push(performance.now() - started);
  }
  watcher.stdin.write('q\n');
  const ratio = median(times) / bareMedian;
  console.log(`watch on ${backendKata} (${runs} saves, median), against the cold bare run:`);
  console.log(`  save → verdict printed            ${fmt(median(times))}  ${ratio.toFixed(2)}×  ${ratio <= 0.5 ? 'within 0.5×' : 'OVER 0.5×'}`);
  console.log(`  save → type check shown, Watching ${fmt(median(completeTimes))}  ${(median(completeTimes) / bareMedian).toFixed(2)}×  (information, not graded)`);
}

// 3. ML katas: as a learner runs `kata test` (their example tests, then the hidden suite), and the
// hidden suite alone (the grade itself: train + holdout evaluation).
if (only('ml')) {
  const ml = readdirSync(join(root, 'katas'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => JSON.parse(readFileSync(join(root, 'katas', d.name, 'kata.json'), 'utf8')))
    .filter((k) => k.track === 'ml')
    .sort((a, b) => a.order - b.order);
  const n = Math.min(runs, 3);
  console.log(`ML katas: grading time of the reference solution on the pure-JS cpu backend (budget 10 s; median of ${n})`);
  console.log(`  ${'kata'.padEnd(20)} ${'kata test'.padStart(9)}  ${'hidden alone'.padStart(12)}`);
  const grade = (workspace, id) => {
    const result = JSON.parse(kataSync(['test', id, '--json'], { KATA_WORKSPACE: workspace }).stdout);
    if (result.status !== 'pass') throw new Error(`${id} did not pass: ${result.message}`);
    return result;
  };
  for (const k of ml) {
    const full = solvedWorkspace(k.id);
    const hiddenOnly = solvedWorkspace(k.id);
    rmSync(join(hiddenOnly.dir, 'tests'), { recursive: true });
    const fullTimes = [];
    const hiddenTimes = [];
    let metric = '';
    for (let i = 0; i < n; i++) {
      fullTimes.push(grade(full.workspace, k.id).durationMs);
      const result = grade(hiddenOnly.workspace, k.id);
      hiddenTimes.push(result.durationMs);
      metric = (result.metrics ?? []).map((m) => `${m.name} ${m.value.toFixed(3)}`).join(', ');
    }
    const worst = Math.max(median(fullTimes), median(hiddenTimes));
    console.log(
      `  ${k.id.padEnd(20)} ${fmt(median(fullTimes)).padStart(9)}  ${fmt(median(hiddenTimes)).padStart(12)}  ${worst <= 10_000 ? 'within 10 s' : 'OVER 10 s'}${metric ? `  (${metric})` : ''}`,
    );
  }
}
