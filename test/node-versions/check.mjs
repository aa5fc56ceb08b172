#!/usr/bin/env node
// `npm run check:node -- 24`: a fresh clone of this repository's HEAD, installed and tested with another
// Node major, fetched from the npm registry into a temp folder (the node-<platform>-<arch> package ships
// the binary and the headers node-gyp needs). Runs the README's install, `npm test`, and `kata verify`
// for a backend and an ML kata. Not part of `npm test`: run it before changing the supported Nodes.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const major = process.argv[2];
if (!/^\d+$/.test(major ?? '')) {
  console.error('usage: npm run check:node -- <major>   (e.g. 24 or 22)');
  process.exit(2);
}
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const katas = (process.env.CHECK_KATAS ?? 'flight-delays-api etl-to-sqlite tensors-101 penguin-classifier').split(/\s+/);
const temp = mkdtempSync(join(tmpdir(), `kata-node${major}-`));
const keep = process.env.KEEP === '1';
const platformPackage = `node-${process.platform}-${process.arch}`;
const steps = [];

function step(name, command, args, options = {}) {
  const started = performance.now();
  process.stdout.write(`\n── ${name}: ${command} ${args.join(' ')}\n`);
  const run = spawnSync(command, args, { stdio: 'inherit', ...options });
  const seconds = (performance.now() - started) / 1000;
  steps.push({ name, ok: run.status === 0, seconds });
  if (run.status !== 0) finish(`${name} failed (exit ${run.status ?? run.signal})`);
}

function finish(failure) {
  console.log(`\n── check:node ${major} summary (${process.platform}-${process.arch})`);
  for (const s of steps) console.log(`${s.ok ? '✓' : '✗'} ${s.name.padEnd(28)} ${s.seconds.toFixed(1).padStart(7)} s`);
  if (!keep) rmSync(temp, { recursive: true, force: true });
  else console.log(`kept ${temp}`);
  if (failure) {
    console.log(`✗ ${failure}`);
    process.exit(1);
  }
  console.log(`✓ Node ${major}: install, npm test and kata verify ${katas.join(', ')} passed`);
  process.exit(0);
}

const nodePrefix = join(temp, 'node');
step(`fetch Node ${major}`, 'npm', ['install', '--prefix', nodePrefix, '--no-save', '--no-audit', '--no-fund', `${platformPackage}@${major}`]);
const nodeHome = join(nodePrefix, 'node_modules', platformPackage);
const binDir = process.platform === 'win32' ? nodeHome : join(nodeHome, 'bin');
const env = {
  ...process.env,
  PATH: `${binDir}${process.platform === 'win32' ? ';' : ':'}${process.env.PATH}`,
  // node-gyp builds better-sqlite3 against these headers instead of downloading them.
  npm_config_nodedir: nodeHome,
  CI: 'true',
};
const version = execFileSync(join(binDir, 'node'), ['--version'], { encoding: 'utf8' }).trim();
console.log(`Node ${version} at ${binDir}`);

const clone = join(temp, 'clone');
step('fresh clone of HEAD', 'git', ['clone', '--quiet', repo, clone]);
step('npm install', 'npm', ['install', '--no-audit', '--no-fund'], { cwd: clone, env });
step('kata doctor', 'node', ['dist/runner/bin.js', 'doctor'], { cwd: clone, env });
step('npm test', 'npm', ['test'], { cwd: clone, env });
step(`kata verify (${katas.length} katas)`, 'node', ['dist/runner/bin.js', 'verify', ...katas], { cwd: clone, env });
finish();
