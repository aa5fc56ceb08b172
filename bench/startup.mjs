// Startup benchmark: `kata --help` and `kata list` against `node -e 0`, measured side by side in one
// run (interleaved, so machine noise hits all three alike). Budget: 3× `node -e 0` (DESIGN.md).
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'dist', 'runner', 'bin.js');
const runs = Number(process.env.BENCH_RUNS ?? 21);
const budget = 3;
const workspace = mkdtempSync(join(tmpdir(), 'kata-bench-'));

const subjects = {
  'node -e 0': ['-e', '0'],
  'kata --help': [bin, '--help'],
  'kata list': [bin, 'list'],
};

const times = Object.fromEntries(Object.keys(subjects).map((name) => [name, []]));
for (let i = 0; i < runs + 2; i++) {
  for (const [name, args] of Object.entries(subjects)) {
    const started = process.hrtime.bigint();
    const run = spawnSync(process.execPath, args, { env: { ...process.env, KATA_WORKSPACE: workspace, NO_COLOR: '1' }, stdio: 'pipe' });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (run.status !== 0) throw new Error(`${name} exited ${run.status}: ${run.stderr}`);
    if (i >= 2) times[name].push(ms); // the first two rounds warm the disk cache
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(times['node -e 0']);
console.log(`startup (${runs} interleaved runs each, median wall time)`);
let over = false;
for (const name of Object.keys(subjects)) {
  const ms = median(times[name]);
  const ratio = ms / base;
  const verdict = name === 'node -e 0' ? '' : ratio <= budget ? `  within ${budget}×` : `  OVER ${budget}×`;
  if (name !== 'node -e 0' && ratio > budget) over = true;
  console.log(`  ${name.padEnd(12)} ${ms.toFixed(1).padStart(7)} ms  ${ratio.toFixed(2)}×${verdict}`);
}
process.exitCode = over ? 1 : 0;
