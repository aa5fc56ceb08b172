// Mutation check for the grader's defences (not part of `npm test`: it takes several minutes).
// Each mutation removes one defence from the compiled runner in dist/, runs the adversarial tests that
// should catch it, and expects them to FAIL; the file is restored afterwards. A mutation whose tests
// still pass is a defence that no test guards. Run with `npm run mutate` after `npm run build`.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (file) => join(root, 'dist', 'runner', file);

const mutations = [
  { name: 'no time limit', file: dist('core/grader.js'), find: '}, kata.timeLimitMs);', replace: '}, 2 ** 31 - 1);', test: 'test/e2e/hostile.test.ts', filter: 'loop-at-import', timeout: 150 },
  { name: 'unhandled errors ignored', file: dist('core/verdict.js'), find: 'for (const error of report.unhandledErrors) {', replace: 'for (const error of []) {', test: 'test/e2e/hostile.test.ts', filter: 'unhandled rejection' },
  { name: 'missing hidden tests ignored', file: dist('core/verdict.js'), find: 'if (missing.length) {', replace: 'if (false) {', test: 'test/unit/verdict.test.ts', filter: 'never ran', source: true },
  { name: 'no guard in the hidden suite', file: dist('grader/child.js'), find: "setupFiles: suite.name === 'hidden' && job.guardEntry ? [job.guardEntry] : [],", replace: 'setupFiles: [],', test: 'test/e2e/hostile.test.ts', filter: 'patching expect' },
  { name: 'no guard (servers left open)', file: dist('grader/child.js'), find: "setupFiles: suite.name === 'hidden' && job.guardEntry ? [job.guardEntry] : [],", replace: 'setupFiles: [],', test: 'test/e2e/hostile.test.ts', filter: 'never closed' },
  { name: 'no lock check', file: dist('core/grader.js'), find: 'if (lock)\n        checkLock(kata, lock);', replace: '', test: 'test/e2e/hostile.test.ts', filter: 'rewriting the runner' },
  { name: 'no sweep of leftover processes', file: dist('core/process-tree.js'), find: 'for (const pid of markedProcesses(runId)) {', replace: 'for (const pid of []) {', test: 'test/e2e/hostile.test.ts', filter: 'outlives' },
  { name: 'no per-test output cap', file: dist('grader/report-reporter.js'), find: 'const outputCapPerTest = 500;', replace: 'const outputCapPerTest = 1e9;', test: 'test/e2e/hostile.test.ts', filter: 'megabytes' },
  { name: 'no heap cap', file: dist('grader/child.js'), find: 'execArgv: [`--max-old-space-size=${job.heapMb}`],\n            testTimeout', replace: 'execArgv: [],\n            testTimeout', test: 'test/e2e/hostile.test.ts', filter: 'memory bomb' },
  { name: 'Ctrl-C not handled', file: dist('commands/test.js'), find: "process.once('SIGINT', onSignal);", replace: '', test: 'test/e2e/hostile.test.ts', filter: 'Ctrl-C' },
  { name: 'writes outside a transaction', file: dist('core/progress-store.js'), find: "synchronous = FULL", replace: 'synchronous = OFF', test: 'test/e2e/store.test.ts', filter: 'kill -9', expectSurvives: true },
  { name: 'overwrite without --force', file: dist('core/workspace.js'), find: 'if (conflicts.length && !options.force) {', replace: 'if (false) {', test: 'test/e2e/loop.test.ts', filter: 'refuses to overwrite' },
  { name: 'corrupt store silently replaced', file: dist('core/progress-store.js'), find: "if (check !== 'ok')\n                throw new Error(String(check));", replace: '', test: 'test/e2e/store.test.ts', filter: 'damaged store' },
];

let unguarded = 0;
for (const m of mutations.filter((m) => !m.source)) {
  const original = readFileSync(m.file, 'utf8');
  if (!original.includes(m.find)) {
    console.log(`? ${m.name}: the code to mutate was not found in ${m.file}; update this table`);
    unguarded++;
    continue;
  }
  writeFileSync(m.file, original.replace(m.find, m.replace));
  try {
    const args = ['vitest', 'run', m.test, ...(m.filter ? ['-t', m.filter] : [])];
    const run = spawnSync('npx', args, { cwd: root, encoding: 'utf8', timeout: (m.timeout ?? 120) * 1000 });
    const failed = run.status !== 0;
    if (m.expectSurvives) console.log(`${failed ? '!' : '·'} ${m.name}: ${failed ? 'tests failed' : 'tests still pass (a kill -9 loses nothing even so: WAL keeps committed transactions)'}`);
    else {
      console.log(`${failed ? '✓' : '✗'} ${m.name}: ${failed ? 'caught' : 'NOT caught'} by ${m.test}${m.filter ? ` -t "${m.filter}"` : ''}`);
      if (!failed) unguarded++;
    }
  } finally {
    writeFileSync(m.file, original);
  }
}
console.log(unguarded ? `\n${unguarded} defence(s) not guarded by a test.` : '\nEvery defence is guarded by a test.');
process.exitCode = unguarded ? 1 : 0;
