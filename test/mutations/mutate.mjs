// Mutation check for the grader's defences (not part of `npm test`: it takes several minutes).
// Each mutation removes one defence from the compiled runner in dist/ (or from the source, for unit
// tests), runs the tests that should catch it, and expects them to FAIL; files are restored afterwards. A mutation whose tests
// still pass is a defence that no test guards. Run with `npm run mutate` after `npm run build`;
// `MUTATION=Ctrl-C npm run mutate` runs only the mutations whose name contains "Ctrl-C".
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (file) => join(root, 'dist', 'runner', file);

const mutations = [
  { name: 'no time limit', file: dist('core/grader.js'), find: '}, kata.timeLimitMs);', replace: '}, 2 ** 31 - 1);', test: 'test/e2e/hostile.test.ts', filter: 'loop-at-import', timeout: 150 },
  { name: 'unhandled errors ignored', file: dist('core/verdict.js'), find: 'for (const error of report.unhandledErrors) {', replace: 'for (const error of []) {', test: 'test/e2e/hostile.test.ts', filter: 'unhandled rejection' },
  // The unit tests import the source, so this one mutates runner/ rather than dist/.
  { name: 'missing hidden tests ignored', file: join(root, 'runner', 'core', 'verdict.ts'), find: 'if (missing.length) {', replace: 'if (false) {', test: 'test/unit/verdict.test.ts', filter: 'never ran' },
  { name: 'hidden suite read from disk mid-run', file: dist('judge/child.js'), find: 'plugins: pinned ? [pinnedSuitePlugin(pinned)] : [],', replace: 'plugins: [],', test: 'test/e2e/hostile.test.ts', filter: 'hidden copy mid-run' },
  // The judge/host separation: each defence of the sandbox and the host, removed in turn.
  { name: 'judge not kept warm in watch mode', file: dist('commands/watch.js'), find: 'includeVisible: true, judge });', replace: 'includeVisible: true });', test: 'test/e2e/learner-tools.test.ts', filter: 'same judge process' },
  { name: 'no sandbox', file: dist('core/isolation.js'), find: "if (env.KATA_ISOLATION === 'none')", replace: 'if (true)', test: 'test/e2e/hostile.test.ts', filter: "cannot write the runner" },
  { name: 'grading data readable in the sandbox', file: dist('core/isolation.js'), find: 'const dataDirs = [judgeFixturesDir, vegaDatasetsDir];', replace: 'const dataDirs = [];', test: 'test/e2e/hostile.test.ts', filter: 'get nothing in the sandbox' },
  { name: 'symlinked learner files graded', file: dist('core/workspace.js'), find: 'if (!inside(real, target)) {', replace: 'if (false) {', test: 'test/e2e/hostile.test.ts', filter: 'symlink to the reference' },
  { name: 'leftover processes not reported', file: dist('harness/remote.js'), find: 'if (left?.processes) {', replace: 'if (false) {', test: 'test/e2e/hostile.test.ts', filter: 'empty environment' },
  { name: 'leftover servers not reported', file: dist('harness/remote.js'), find: "if (left?.servers && this.isolation.kind !== 'in-process') {", replace: 'if (false) {', test: 'test/e2e/hostile.test.ts', filter: 'never closed' },
  { name: 'control sequences kept in names', file: dist('core/grader.js'), find: 'test.name = clean(test.name);', replace: '', test: 'test/e2e/hostile.test.ts', filter: 'forges task updates' },
  { name: 'no lock check', file: dist('core/grader.js'), find: 'if (lock)\n        checkLock(kata, lock);', replace: '', test: 'test/e2e/hostile.test.ts', filter: 'changed on disk' },
  // Output is capped twice (in the child's reporter and again when sanitised); remove both.
  { name: 'no output caps', edits: [
    { file: dist('judge/report-reporter.js'), find: 'const outputCapPerTest = 500;', replace: 'const outputCapPerTest = 1e9;' },
    { file: dist('core/verdict.js'), find: 'const messageCap = 500;', replace: 'const messageCap = 1e9;' },
  ], test: 'test/e2e/hostile.test.ts', filter: 'megabytes' },
  { name: 'no heap cap', file: dist('harness/remote.js'), find: '`--max-old-space-size=${hostHeapMb}`, hostEntry', replace: 'hostEntry', test: 'test/e2e/hostile.test.ts', filter: 'memory bomb' },
  // Both signs of a parent gone (the IPC channel, stdin) are removed together: either alone would do.
  { name: 'grading child outlives a killed kata', edits: [
    { file: dist('judge/child.js'), find: "process.on('disconnect', orphaned);", replace: '' },
    { file: dist('judge/child.js'), find: 'else if (started)\n        orphaned();', replace: '' },
  ], test: 'test/e2e/hostile.test.ts', filter: 'SIGKILL' },
  { name: 'Ctrl-C not handled', file: dist('commands/test.js'), find: 'process.once(signal, onSignal);', replace: '', test: 'test/e2e/hostile.test.ts', filter: 'Ctrl-C' },
  // synchronous=FULL guards against power loss, which no test here can cause: a kill -9 loses nothing
  // in WAL mode even without it. Listed so that the difference is measured, not assumed.
  { name: 'synchronous = OFF', file: dist('core/progress-store.js'), find: "synchronous = FULL", replace: 'synchronous = OFF', test: 'test/e2e/store.test.ts', filter: 'kill -9', expectSurvives: true },
  { name: 'no busy timeout', file: dist('core/progress-store.js'), find: 'timeout: 10_000', replace: 'timeout: 0', test: 'test/e2e/store.test.ts', filter: '20 writers' },
  // kata start leaves a started kata alone, and writeFiles refuses conflicts without force: remove both.
  { name: 'overwrite without --force', edits: [
    { file: dist('commands/start.js'), find: 'const alreadyStarted = !options.force && changed.length + unchanged.length > 0;', replace: 'const alreadyStarted = false;' },
    { file: dist('core/workspace.js'), find: 'if (conflicts.length && !options.force) {', replace: 'if (false) {' },
  ], test: 'test/e2e/loop.test.ts', filter: 'refuses to overwrite' },
  { name: 'corrupt store silently replaced', file: dist('core/progress-store.js'), find: "if (check !== 'ok')\n                throw new Error(String(check));", replace: '', test: 'test/e2e/store.test.ts', filter: 'damaged store' },
];

/** A mutated runner may leave grading processes behind (that is what some mutations remove): end them. */
function killStrayGraders() {
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      if (readFileSync(`/proc/${pid}/environ`).includes('KATA_GRADE_RUN=')) process.kill(Number(pid), 'SIGKILL');
    } catch {
      /* gone, or not ours */
    }
  }
}

// MUTATION=<part of a name> runs only the matching mutations.
const only = process.env.MUTATION;
let unguarded = 0;
for (const m of mutations.filter((m) => !only || m.name.includes(only))) {
  const edits = m.edits ?? [{ file: m.file, find: m.find, replace: m.replace }];
  const originals = edits.map((e) => readFileSync(e.file, 'utf8'));
  const missing = edits.find((e, i) => !originals[i].includes(e.find));
  if (missing) {
    console.log(`? ${m.name}: the code to mutate was not found in ${missing.file}; update this table`);
    unguarded++;
    continue;
  }
  edits.forEach((e, i) => writeFileSync(e.file, originals[i].replace(e.find, e.replace)));
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
    edits.forEach((e, i) => writeFileSync(e.file, originals[i]));
    killStrayGraders();
  }
}
console.log(unguarded ? `\n${unguarded} defence(s) not guarded by a test.` : '\nEvery defence is guarded by a test.');
process.exitCode = unguarded ? 1 : 0;
