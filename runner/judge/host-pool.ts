// The judge's pool of solution hosts. Starting a host (node, tsx, the sandbox, the kata's packages) takes
// longer than most hidden test files do, so the judge starts them ahead: while vitest sets up, and in
// watch mode between runs, while the learner edits. A test file's loadSolution leases one (see
// harness/host-process.ts); the pool, in the judge's main thread, relays the host's events to the test
// file's worker thread and the worker's messages to the host.
// Every host serves one lease only, and a run's leased hosts are killed when the run ends, whatever the
// suite did with them: nothing of one run reaches the next.
import { realpathSync, rmSync } from 'node:fs';
import type { Isolation } from '../core/isolation.js';
import { POOL_CHANNEL, POOL_ENV, spawnHostProcess, type HostProcess, type LeaseReply, type LeaseRequest } from '../harness/host-process.js';

/** More spares than this sit idle for nothing: a hidden suite has a few files, two run at a time. */
const maxSpares = 4;

interface Lease {
  host: HostProcess;
  channel: BroadcastChannel;
  open: boolean;
}

export class HostPool {
  private readonly spares: HostProcess[] = [];
  private readonly leased = new Set<Lease>();
  private readonly requests = new BroadcastChannel(POOL_CHANNEL);
  private leasesThisRun = 0;
  private readonly kataDir: string;

  constructor(
    kataDir: string,
    private readonly isolation: Isolation,
    /** How many hosts to have ready before the first run. */
    private target: number,
  ) {
    this.kataDir = realpathSync(kataDir);
    process.env[POOL_ENV] = '1';
    this.requests.onmessage = (message) => this.lease((message as MessageEvent<{ lease: string; kataDir: string }>).data);
    // The request channel must not keep the judge alive on its own.
    (this.requests as unknown as { unref?: () => void }).unref?.();
    this.fill();
  }

  /** Starts hosts until `target` spares are ready (or starting). A spare that died meanwhile is dropped. */
  fill(): void {
    this.dropExited();
    while (this.spares.length < Math.min(this.target, maxSpares)) this.spares.push(spawnHostProcess(this.kataDir, this.isolation));
  }

  private dropExited(): void {
    for (const host of this.spares.filter((h) => h.exited)) {
      this.spares.splice(this.spares.indexOf(host), 1);
      rmSync(host.tempDir, { recursive: true, force: true });
    }
  }

  private lease({ lease, kataDir }: { lease: string; kataDir: string }): void {
    this.leasesThisRun++;
    this.dropExited();
    const ownDir = realpathSync(kataDir) === this.kataDir;
    const host = (ownDir && this.spares.shift()) || spawnHostProcess(realpathSync(kataDir), this.isolation);
    const channel = new BroadcastChannel(`${POOL_CHANNEL}:${lease}`);
    const entry = { host, channel, open: true };
    this.leased.add(entry);
    // After the lease ended (the run is over), the host's last events (its exit) have nobody to go to.
    const reply = (message: LeaseReply) => entry.open && channel.postMessage(message);
    reply({ leased: { pid: host.pid, tempDir: host.tempDir, isolation: host.isolation } });
    // Its events so far (its start, its output) were kept for whoever leases it: they come first, in order.
    host.onEvent((event) => reply({ event }));
    channel.onmessage = (message) => {
      const request = (message as MessageEvent<LeaseRequest>).data;
      if ('send' in request) host.send(request.send);
      else if ('kill' in request) host.kill();
      else this.end(entry);
    };
  }

  private end(entry: Lease): void {
    entry.open = false;
    entry.channel.close();
    this.leased.delete(entry);
  }

  /**
   * A run has ended: every host it leased that is still up (a suite that forgot to close one, a file
   * stopped mid-test) and every spare it did not lease are killed with their temp folders, and waited
   * for, before the run reports: what runs after it is nobody's. The next run's spares, as many as this
   * run leased, start at `fill` (watch mode sends "warm" when it prepares the next run).
   */
  async endRun(): Promise<void> {
    const hosts = [...[...this.leased].map((entry) => entry.host), ...this.spares.splice(0)];
    for (const entry of [...this.leased]) this.end(entry);
    for (const host of hosts) if (!host.exited) host.kill();
    await Promise.race([Promise.all(hosts.map((host) => host.ended)), new Promise((resolve) => setTimeout(resolve, 5000))]);
    for (const host of hosts) rmSync(host.tempDir, { recursive: true, force: true });
    if (this.leasesThisRun) this.target = this.leasesThisRun;
    this.leasesThisRun = 0;
  }

  async close(): Promise<void> {
    await this.endRun();
    this.requests.close();
  }
}
