// The sandbox that the learner's code runs in (the solution host and the visible tests). On Linux with
// user namespaces: `unshare` gives it its own user, mount, network and PID namespaces. Inside, every
// mount is read-only except the kata folder and a temp folder, the runner's katas/ and the grading data
// (hiddenFromLearner) are hidden under empty mounts, there is no network (only a loopback), and the process is PID 1 of its namespace, so when it ends, or the judge
// kills it, every process it started ends too. Mounts are locked by a second user namespace, so the
// code inside cannot remount them writable. Elsewhere (macOS, Windows, kernels without user namespaces)
// the code runs without a sandbox, and the result says so.
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { sep } from 'node:path';
import { judgeFixturesDir, katasDir, vegaDatasetsDir } from './paths.js';

export type IsolationKind = 'namespaces' | 'none';

export interface Isolation {
  kind: IsolationKind;
  /** One line for `kata doctor` and the --json result. */
  detail: string;
}

export interface SandboxPaths {
  /** Folders the code may write to (the kata folder, its temp folder). */
  writable: string[];
  /** Folders the code may not even read (hiddenFromLearner). */
  hidden: string[];
}

/**
 * What learner code (the solution host, the visible tests) may not read: the catalogs (hidden suites,
 * reference solutions; `catalogs` adds the one in use, unless the kata folder lies inside it) and the
 * grading data: the fixtures only the judge reads, and vega-datasets, whose full files hold every
 * holdout's labels. Real paths, as the sandbox mounts over them; only those that exist.
 */
export function hiddenFromLearner(kataDir: string, catalogs: string[] = []): string[] {
  const dataDirs = [judgeFixturesDir, vegaDatasetsDir];
  const catalogDirs = [katasDir, ...catalogs].filter((dir) => !kataDir.startsWith(dir + sep));
  return [...new Set([...catalogDirs, ...dataDirs].filter((dir) => existsSync(dir)).map((dir) => realpathSync(dir)))];
}

/** Said wherever no sandbox runs: what learner code could then read. */
const dataReadable = 'your code can read the grading data (holdout files, vega-datasets)';

const unshareArgs = ['--user', '--map-root-user', '--mount', '--net', '--pid', '--fork', '--kill-child', '--mount-proc'];

// Runs as root of the first user namespace: bind the writable folders to themselves (their own mounts
// keep rw), hide the hidden ones under empty tmpfs, bring up loopback, make every other mount read-only,
// then enter a second user namespace (which locks all of it) and exec the command. The working folder
// (the kata folder) is entered again by its path: the one inherited still points below the bind mount,
// at the read-only mount, so relative writes ('run.log', new Database('cache.db')) failed with EROFS.
const setupScript = `
set -e
nw=$1; nh=$2; shift 2
i=0; while [ $i -lt $nw ]; do mount --bind "$1" "$1"; shift; i=$((i+1)); done
i=0; while [ $i -lt $nh ]; do mount -t tmpfs -o ro,size=4k kata-hidden "$1"; shift; i=$((i+1)); done
ip link set lo up 2>/dev/null || true
for m in $(awk '{print $5}' /proc/self/mountinfo | sort -u); do
  case "$m" in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*) continue ;; esac
  skip=0
  for w in $KATA_SANDBOX_RW; do [ "$m" = "$w" ] && skip=1; done
  [ $skip = 1 ] || mount -o remount,bind,ro "$m" 2>/dev/null || true
done
cd "$(pwd -P)" 2>/dev/null || true
exec unshare --user --map-root-user --mount -- "$@"
`;

let detected: Isolation | undefined;

/** Which isolation this machine gives; `KATA_ISOLATION=none` turns it off (to compare, or to debug). */
export function detectIsolation(env: NodeJS.ProcessEnv = process.env): Isolation {
  if (env.KATA_ISOLATION === 'none') return { kind: 'none', detail: `none (turned off by KATA_ISOLATION=none): ${dataReadable}` };
  if (detected) return detected;
  if (process.platform !== 'linux') {
    detected = { kind: 'none', detail: `none (no sandbox on ${process.platform}: your code runs as you, with network and your files): ${dataReadable}` };
  } else if (!existsSync('/usr/bin/unshare') && !existsSync('/bin/unshare')) {
    detected = { kind: 'none', detail: `none (util-linux unshare is not installed): ${dataReadable}` };
  } else {
    const probe = spawnSync('unshare', [...unshareArgs, '--', 'sh', '-c', `${setupScript}`, 'kata-sandbox', '0', '0', 'true'], {
      stdio: 'ignore',
      timeout: 5000,
      env: { ...env, KATA_SANDBOX_RW: '' },
    });
    detected = probe.status === 0
      ? { kind: 'namespaces', detail: 'Linux namespaces (user, mount, network, PID): read-only runner files, katas and grading data hidden, no network, whole tree killed at the end' }
      : { kind: 'none', detail: `none (this kernel does not allow unprivileged user namespaces): ${dataReadable}` };
  }
  return detected;
}

/** The command line that runs `command` inside the sandbox (or as it is, without one). */
export function sandboxed(command: string[], paths: SandboxPaths, isolation = detectIsolation()): { file: string; args: string[]; env: Record<string, string> } {
  if (isolation.kind === 'none') return { file: command[0], args: command.slice(1), env: {} };
  const hidden = paths.hidden.filter((dir) => existsSync(dir));
  return {
    file: 'unshare',
    args: [...unshareArgs, '--', 'sh', '-c', setupScript, 'kata-sandbox', String(paths.writable.length), String(hidden.length), ...paths.writable, ...hidden, ...command],
    env: { KATA_SANDBOX_RW: paths.writable.join(' ') },
  };
}
