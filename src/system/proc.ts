import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/*
 * Linux /proc, read in one place so that each file format has exactly one parser: the
 * generator-health sampler (metrics) and calibration (swarm) both read host CPU and schedstat.
 * Parsers are pure (unit-tested on recorded files in fixtures/proc); readers return undefined
 * for a file that is not there, since a process may exit at any time. Compare two readings,
 * never a value since boot.
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

/** The host's CPU times now. */
export function readHostCpu(): CpuTimes {
  const times = parseProcStat(readFileSync('/proc/stat', 'utf8'));
  if (!times) throw new Error('/proc/stat has no cpu line');
  return times;
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

function readProcFileSync(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
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

/** /proc/<pid>/schedstat now; undefined when the process is gone. */
export function readSchedstat(pid: number): SchedStat | undefined {
  const text = readProcFileSync(`/proc/${pid}/schedstat`);
  return text === undefined ? undefined : parseSchedstat(text);
}

let clockTicksPerSecond: number | undefined;

/** USER_HZ, the unit of utime/stime in /proc/<pid>/stat (100 on every Linux we know of). */
export function clockTicks(): number {
  if (clockTicksPerSecond === undefined) {
    try {
      clockTicksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicksPerSecond = 100;
    }
  }
  return clockTicksPerSecond;
}

export interface ProcessStat {
  pid: number;
  /** The command name as the kernel keeps it (may hold spaces and parentheses). */
  comm: string;
  state: string;
  ppid: number;
  /** User + system CPU time of the process itself (not its waited-for children), in clock ticks. */
  cpuTicks: number;
}

/** Parses /proc/<pid>/stat. The comm field is read up to the LAST ')' since it may contain ') '. */
export function parseProcessStat(text: string): ProcessStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc/<pid>/stat line: ${text.slice(0, 80)}`);
  // Fields after the comm, numbered from 3 (state) as in proc(5): utime is 14, stime 15.
  const rest = text
    .slice(close + 2)
    .trim()
    .split(' ');
  const field = (number: number) => Number(rest[number - 3]);
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: field(4),
    cpuTicks: field(14) + field(15),
  };
}

/**
 * CPU seconds `pid` has used so far, or undefined when it is gone. From the run time of each of
 * its threads in /proc/<pid>/task/<tid>/schedstat (nanoseconds): utime + stime in
 * /proc/<pid>/stat come in clock ticks (10 ms), and a viewer using 0.2 % of a core gains only
 * 2-3 ticks in a 12 s window, too coarse to compare viewers. Falls back to the ticks where
 * schedstat is missing (a kernel without CONFIG_SCHEDSTATS).
 */
export function readCpuSeconds(pid: number): number | undefined {
  const text = readProcFileSync(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  const stat = parseProcessStat(text);
  if (stat.state === 'Z') return undefined;
  let runNs = 0;
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const sched = readProcFileSync(`/proc/${pid}/task/${task}/schedstat`);
      const parsed = sched === undefined ? undefined : parseSchedstat(sched);
      if (!parsed) return stat.cpuTicks / clockTicks();
      runNs += parsed.runNs;
    }
  } catch {
    return stat.cpuTicks / clockTicks();
  }
  return runNs / 1e9;
}

/** `pid` and every live descendant (nginx's workers, a shell's children), from /proc/<pid>/task/<tid>/children. */
export function processTree(pid: number): number[] {
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift() as number;
    if (found.includes(next)) continue;
    found.push(next);
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${next}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      const children = readProcFileSync(`/proc/${next}/task/${task}/children`) ?? '';
      for (const child of children.trim().split(/\s+/)) if (child) queue.push(Number(child));
    }
  }
  return found;
}

/** Memory of one process in bytes: PSS (shared pages split among their users) when the kernel gives it. */
export interface ProcMemory {
  bytes: number;
  source: 'pss' | 'rss';
}

function kilobytesField(text: string, name: string): number | undefined {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
  return match ? Number(match[1]) * 1024 : undefined;
}

/** PSS from /proc/<pid>/smaps_rollup (Linux >= 4.14). */
export function parsePssBytes(smapsRollup: string): number | undefined {
  return kilobytesField(smapsRollup, 'Pss');
}

/** VmRSS from /proc/<pid>/status: the fallback where smaps_rollup is missing or unreadable. */
export function parseRssBytes(status: string): number | undefined {
  return kilobytesField(status, 'VmRSS');
}

export function readMemory(pid: number): ProcMemory | undefined {
  const rollup = readProcFileSync(`/proc/${pid}/smaps_rollup`);
  const pss = rollup === undefined ? undefined : parsePssBytes(rollup);
  if (pss !== undefined) return { bytes: pss, source: 'pss' };
  const status = readProcFileSync(`/proc/${pid}/status`);
  const rss = status === undefined ? undefined : parseRssBytes(status);
  return rss === undefined ? undefined : { bytes: rss, source: 'rss' };
}

export interface HostMemory {
  memTotalBytes: number;
  memAvailableBytes: number;
}

export function parseMeminfo(text: string): HostMemory {
  const total = kilobytesField(text, 'MemTotal');
  const available = kilobytesField(text, 'MemAvailable') ?? kilobytesField(text, 'MemFree');
  if (total === undefined || available === undefined)
    throw new Error('/proc/meminfo has no MemTotal/MemAvailable');
  return { memTotalBytes: total, memAvailableBytes: available };
}

export function readHostMemory(): HostMemory {
  return parseMeminfo(readFileSync('/proc/meminfo', 'utf8'));
}
