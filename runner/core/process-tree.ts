// Ending a grading child and everything it started. The child runs detached, as the leader of its own
// process group, so one signal to the group reaches vitest, its workers and any process a solution
// spawned. SIGTERM first; SIGKILL after a grace period for whatever ignores it. A process that left the
// group (setsid, detached spawn) still carries the run's marker in its environment, and is found by it.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export const killGraceMs = 2000;
/** Environment variable set on the grading child; every descendant inherits it unless it scrubs it. */
export const runMarker = 'KATA_GRADE_RUN';

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  if (process.platform === 'win32') {
    // Windows has no process groups to signal: taskkill ends the whole tree (/T), forcibly (/F).
    spawnSync('taskkill', ['/pid', String(pid), '/T', '/F'], { stdio: 'ignore' });
    return;
  }
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

/** PIDs of processes whose environment carries `KATA_GRADE_RUN=<runId>` (Linux /proc; elsewhere none). */
export function markedProcesses(runId: string): number[] {
  if (process.platform !== 'linux') return [];
  const needle = Buffer.from(`${runMarker}=${runId}\0`);
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/environ`).includes(needle)) found.push(pid);
    } catch {
      /* exited, or not ours to read */
    }
  }
  return found;
}

function sweep(runId: string, signal: NodeJS.Signals): void {
  for (const pid of markedProcesses(runId)) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/** SIGTERM the run now and SIGKILL it after the grace period; resolves once SIGKILL was sent. */
export function killTree(pid: number, runId: string, graceMs = killGraceMs): Promise<void> {
  signalGroup(pid, 'SIGTERM');
  sweep(runId, 'SIGTERM');
  return new Promise((done) => {
    const timer = setTimeout(() => {
      reapTree(pid, runId);
      done();
    }, graceMs);
    timer.unref();
  });
}

/** SIGKILL whatever is left of the run at once (after a normal exit: leftovers a solution spawned). */
export function reapTree(pid: number, runId: string): void {
  signalGroup(pid, 'SIGKILL');
  sweep(runId, 'SIGKILL');
}
