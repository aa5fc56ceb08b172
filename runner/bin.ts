#!/usr/bin/env node
// Entry point: the only place that sets the process's exit code.
import { checkBuildIsCurrent } from './core/build-stamp.js';
import { KataError } from './core/errors.js';
import { printError } from './reporters/error.js';
import { processOutput } from './reporters/output.js';

// Supported: Node 20.5+ and 22+ (each has a better-sqlite3 build, see bindings/better-sqlite3). Say so
// before anything native loads, rather than fail later inside a binding.
const [major, minor] = process.versions.node.split('.').map(Number);
if ((major === 20 && minor < 5) || major < 20 || major === 21) {
  process.stderr.write(`kata supports Node.js 20.5+, 22 and 24; this is ${process.version}.\n  → install Node.js 24 LTS (or 22), then run npm install\n`);
  process.exit(2);
}

// After a `git pull`, dist/ is the old runner while katas/ is already the new one: run neither.
try {
  checkBuildIsCurrent();
} catch (error) {
  if (!(error instanceof KataError)) throw error;
  printError(processOutput, error);
  process.exit(error.exitCode);
}

// `kata list | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const { main } = await import('./cli.js');
process.exitCode = await main(process.argv);
