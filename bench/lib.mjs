// Shared helpers for the benchmarks: a scratch workspace holding a kata's reference solution, the
// kata CLI, and medians. Benchmarks print numbers and ratios; they never assert timings in tests.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const bin = join(root, 'dist', 'runner', 'bin.js');

export function kataSync(args, env = {}) {
  const run = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** A temporary workspace where `id` is started and its reference solution copied in. */
export function solvedWorkspace(id) {
  const workspace = mkdtempSync(join(tmpdir(), `kata-bench-${id}-`));
  const started = kataSync(['start', id], { KATA_WORKSPACE: workspace });
  if (started.code !== 0) throw new Error(`kata start ${id} failed: ${started.stderr}`);
  const manifest = JSON.parse(readFileSync(join(root, 'katas', id, 'kata.json'), 'utf8'));
  for (const file of manifest.files) cpSync(join(root, 'katas', id, 'solution', file), join(workspace, id, file));
  return { workspace, dir: join(workspace, id), manifest };
}

export function timed(fn) {
  const started = process.hrtime.bigint();
  const result = fn();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, result };
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
