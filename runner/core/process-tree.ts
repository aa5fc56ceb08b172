// Ending a grading child and everything it started. The child runs detached, as the leader of its own
// process group, so one signal to the group reaches vitest, its workers and any process a solution
// spawned. SIGTERM first; SIGKILL after a grace period for whatever ignores it.
export const killGraceMs = 2000;

function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(process.platform === 'win32' ? pid : -pid, signal);
    return true;
  } catch {
    return false; // already gone
  }
}

/** SIGTERM the group now and SIGKILL it after the grace period; resolves once SIGKILL was sent. */
export function killTree(pid: number, graceMs = killGraceMs): Promise<void> {
  signalGroup(pid, 'SIGTERM');
  return new Promise((done) => {
    const timer = setTimeout(() => {
      signalGroup(pid, 'SIGKILL');
      done();
    }, graceMs);
    timer.unref();
  });
}

/** SIGKILL whatever is left in the group at once (after a normal exit: leftovers a solution spawned). */
export function reapTree(pid: number): void {
  signalGroup(pid, 'SIGKILL');
}
