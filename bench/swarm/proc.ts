import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';

/* What the bench reads from /proc and the OS: CPU seconds per process, memory, the machine. */

const CLOCK_TICKS_PER_SECOND = 100;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const log = (line: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

export function memAvailableMiB(): number {
  const match = /MemAvailable:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'));
  return Math.round(Number(match?.[1] ?? 0) / 1024);
}

function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** PIDs of processes in process group `pgid` named `comm` (or any name). */
export function groupMembers(pgid: number, comm?: string): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,comm='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, group, name]) => Number(group) === pgid && (!comm || name === comm))
    .map(([pid]) => Number(pid));
}

/** CPU seconds of each PID that can still be read. */
export type CpuSnapshot = Map<number, number>;

/** Sum of CPU seconds over PIDs; those that vanished count what they had at the first reading. */
export function cpuSnapshot(pids: Iterable<number>): CpuSnapshot {
  const snapshot: CpuSnapshot = new Map();
  for (const pid of pids) {
    const seconds = cpuSecondsOf(pid);
    if (seconds !== undefined) snapshot.set(pid, seconds);
  }
  return snapshot;
}

export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): number {
  let total = 0;
  for (const [pid, end] of after) total += end - (before.get(pid) ?? 0);
  return total;
}

export function nodeCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  freeMemoryGiB: number;
  loadavg: number[];
  kernel: string;
  node: string;
}

export function machine(): Machine {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    freeMemoryGiB: Number((freemem() / 2 ** 30).toFixed(1)),
    loadavg: loadavg().map((value) => Number(value.toFixed(2))),
    kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(),
    node: process.version,
  };
}
