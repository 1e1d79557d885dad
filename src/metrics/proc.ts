import { readFile } from 'node:fs/promises';

/*
 * Linux /proc readings for the generator's own health: pure parsers of /proc/stat,
 * /proc/pressure/cpu and /proc/<pid>/schedstat, the ratios between two readings, and one
 * small async reader. Every figure is a delta between two readings, never a value since boot.
 */

/** The aggregate `cpu` line of /proc/stat, in clock ticks (USER_HZ). */
export interface CpuTimes {
  /** All fields summed (user … steal; guest time is already inside user/nice). */
  totalTicks: number;
  /** idle + iowait. */
  idleTicks: number;
}

/** Reads the first (all-CPU) `cpu ` line of /proc/stat; undefined when it is not there. */
export function parseProcStat(text: string): CpuTimes | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith('cpu '));
  if (!line) return undefined;
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  if (fields.length < 4 || fields.some((value) => !Number.isFinite(value))) return undefined;
  // user nice system idle iowait irq softirq steal guest guest_nice: guest* are counted in user/nice.
  const counted = fields.slice(0, 8);
  const totalTicks = counted.reduce((sum, value) => sum + value, 0);
  const idleTicks = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { totalTicks, idleTicks };
}

/** 1 − Δ(idle+iowait) / Δtotal; undefined when no tick passed (or the counters went back). */
export function cpuUtilizationBetween(before: CpuTimes, after: CpuTimes): number | undefined {
  const total = after.totalTicks - before.totalTicks;
  const idle = after.idleTicks - before.idleTicks;
  if (!(total > 0) || idle < 0) return undefined;
  return Math.min(1, Math.max(0, 1 - idle / total));
}

/** The `some … total=` field of /proc/pressure/cpu (µs some task waited for a CPU); undefined if absent. */
export function parseCpuPressureSomeMicros(text: string): number | undefined {
  const match = /^some\b.*\btotal=(\d+)/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** Δ(stall µs) / Δ(wall µs): the share of wall time some task waited for a CPU. */
export function cpuPressureBetween(
  beforeMicros: number,
  afterMicros: number,
  wallMicros: number,
): number | undefined {
  const stalled = afterMicros - beforeMicros;
  if (!(wallMicros > 0) || stalled < 0) return undefined;
  return Math.min(1, stalled / wallMicros);
}

/** /proc/<pid>/schedstat: time on a CPU, time runnable but waiting for one (run-queue), timeslices. */
export interface SchedStat {
  runNs: number;
  waitNs: number;
  timeslices: number;
}

export function parseSchedstat(text: string): SchedStat | undefined {
  const fields = text.trim().split(/\s+/).map(Number);
  if (fields.length < 3 || fields.some((value) => !Number.isFinite(value))) return undefined;
  return { runNs: fields[0] as number, waitNs: fields[1] as number, timeslices: fields[2] as number };
}

/**
 * The average share of wall time a process waited for a CPU: Σ Δwait over the PIDs present in
 * both readings / (Δwall × their number). Undefined when no PID is in both.
 */
export function runQueueWaitBetween(
  before: ReadonlyMap<number, SchedStat>,
  after: ReadonlyMap<number, SchedStat>,
  wallNs: number,
): { share: number; pids: number } | undefined {
  let waitedNs = 0;
  let pids = 0;
  for (const [pid, stat] of after) {
    const previous = before.get(pid);
    if (!previous || stat.waitNs < previous.waitNs) continue; // a new process reusing the PID
    waitedNs += stat.waitNs - previous.waitNs;
    pids++;
  }
  if (pids === 0 || !(wallNs > 0)) return undefined;
  return { share: Math.min(1, waitedNs / (wallNs * pids)), pids };
}

/** Reads a /proc file; undefined when it does not exist (a PID that exited, no PSI). */
export async function readProcFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Reads /proc/<pid>/schedstat for each PID, in parallel; PIDs gone meanwhile are left out. */
export async function readSchedstats(
  pids: readonly number[],
  procRoot = '/proc',
): Promise<Map<number, SchedStat>> {
  const stats = new Map<number, SchedStat>();
  await Promise.all(
    pids.map(async (pid) => {
      const text = await readProcFile(`${procRoot}/${pid}/schedstat`);
      const stat = text === undefined ? undefined : parseSchedstat(text);
      if (stat) stats.set(pid, stat);
    }),
  );
  return stats;
}
