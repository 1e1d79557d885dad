// Test and bench helper: starves chosen processes of CPU on purpose, without touching the rest
// of the (shared) machine. A test-owned cgroup v1 `cpu` group (DESIGN.md: /sys/fs/cgroup/cpu)
// gets a quota of a fraction of one core, and a CPU hog the caller owns is put in it, so
// whatever else joins the group (the viewers) waits for a CPU. stop() stops the hog by PID,
// moves anything left back to the root group and removes the cgroup.
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type OwnedProcess, spawnOwned } from '../../system/index.js';
import type { ScenarioAction } from '../types.js';

const CPU_CGROUP_ROOT = '/sys/fs/cgroup/cpu';
const PERIOD_US = 100_000;

export interface CpuStarvation {
  path: string;
  hogs: OwnedProcess[];
  /** Moves a process (all its threads) into the starved group. */
  add(pid: number): void;
  /** PIDs in the group now. */
  members(): number[];
  stop(): Promise<void>;
}

/** A cgroup limited to `quotaPercent` % of one core with `hogs` busy loops in it. */
export function starveCpu(options: { quotaPercent: number; hogs?: number; name?: string }): CpuStarvation {
  const path = join(CPU_CGROUP_ROOT, options.name ?? `hls-swarm-starve-${process.pid}-${Date.now()}`);
  try {
    mkdirSync(path);
  } catch (error) {
    throw new Error(
      `cannot create the cgroup ${path} (${(error as Error).message}): the starvation test needs root and the cgroup v1 cpu controller at ${CPU_CGROUP_ROOT}`,
    );
  }
  writeFileSync(join(path, 'cpu.cfs_period_us'), String(PERIOD_US));
  writeFileSync(join(path, 'cpu.cfs_quota_us'), String(Math.round((PERIOD_US * options.quotaPercent) / 100)));
  const add = (pid: number) => {
    try {
      writeFileSync(join(path, 'cgroup.procs'), String(pid));
    } catch {} // the process exited meanwhile
  };
  const members = () =>
    readFileSync(join(path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  const hogs = Array.from({ length: options.hogs ?? 1 }, () =>
    spawnOwned('sh', ['-c', 'while :; do :; done'], { graceMs: 500, stdio: 'ignore' }),
  );
  for (const hog of hogs) add(hog.pid);
  return {
    path,
    hogs,
    add,
    members,
    async stop() {
      await Promise.all(hogs.map((hog) => hog.stop()));
      for (const pid of members()) {
        try {
          writeFileSync(join(CPU_CGROUP_ROOT, 'cgroup.procs'), String(pid));
        } catch {}
      }
      rmdirSync(path);
    },
  };
}

/** A scenario action at 0s that moves every viewer, present and future, into the starved group. */
export function confineViewers(starvation: CpuStarvation): ScenarioAction {
  return {
    name: 'confine the viewers to a starved cgroup',
    at: '0s',
    run({ swarm }) {
      swarm.on('clientStarted', (event) => starvation.add(event.pid));
      for (const pid of swarm.viewerPids?.() ?? []) starvation.add(pid);
    },
  };
}
