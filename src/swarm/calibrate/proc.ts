import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/*
 * Linux /proc readers for calibration: CPU time, memory and run-queue wait of one process, and
 * the host's memory. The parsers are pure (fed with recorded files in unit tests); the
 * readers return undefined when the process is gone, since viewers may exit at any time.
 */

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

/** /proc/<pid>/schedstat: time on a CPU and time waiting on a run queue, in seconds. */
export function parseSchedstatSeconds(text: string): { runSeconds: number; waitSeconds: number } {
  const [run, wait] = text.trim().split(/\s+/).map(Number);
  if (!Number.isFinite(run) || !Number.isFinite(wait)) throw new Error(`not a schedstat line: ${text}`);
  return { runSeconds: (run as number) / 1e9, waitSeconds: (wait as number) / 1e9 };
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds `pid` has used so far, or undefined when it is gone. From the run time of each of
 * its threads in /proc/<pid>/task/<tid>/schedstat (nanoseconds): utime + stime in
 * /proc/<pid>/stat come in clock ticks (10 ms), and a viewer using 0.2 % of a core gains only
 * 2-3 ticks in a 12 s window, too coarse to compare viewers. Falls back to the ticks where
 * schedstat is missing (a kernel without CONFIG_SCHEDSTATS).
 */
export function readCpuSeconds(pid: number): number | undefined {
  const text = readOrUndefined(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  const stat = parseProcessStat(text);
  if (stat.state === 'Z') return undefined;
  let runSeconds = 0;
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const sched = readOrUndefined(`/proc/${pid}/task/${task}/schedstat`);
      if (sched === undefined) return stat.cpuTicks / clockTicks();
      runSeconds += parseSchedstatSeconds(sched).runSeconds;
    }
  } catch {
    return stat.cpuTicks / clockTicks();
  }
  return runSeconds;
}

export function readMemory(pid: number): ProcMemory | undefined {
  const rollup = readOrUndefined(`/proc/${pid}/smaps_rollup`);
  const pss = rollup === undefined ? undefined : parsePssBytes(rollup);
  if (pss !== undefined) return { bytes: pss, source: 'pss' };
  const status = readOrUndefined(`/proc/${pid}/status`);
  const rss = status === undefined ? undefined : parseRssBytes(status);
  return rss === undefined ? undefined : { bytes: rss, source: 'rss' };
}

export function readSchedstat(pid: number): { runSeconds: number; waitSeconds: number } | undefined {
  const text = readOrUndefined(`/proc/${pid}/schedstat`);
  return text === undefined ? undefined : parseSchedstatSeconds(text);
}

export function readHostMemory(): HostMemory {
  return parseMeminfo(readFileSync('/proc/meminfo', 'utf8'));
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
      const children = readOrUndefined(`/proc/${next}/task/${task}/children`) ?? '';
      for (const child of children.trim().split(/\s+/)) if (child) queue.push(Number(child));
    }
  }
  return found;
}

/** Busy and total clock ticks of the whole host since boot, from /proc/stat's `cpu` line (idle + iowait are not busy). */
export function parseHostCpu(procStat: string): { busyTicks: number; totalTicks: number } {
  const line = procStat.split('\n').find((entry) => entry.startsWith('cpu '));
  if (!line) throw new Error('/proc/stat has no cpu line');
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const totalTicks = fields.reduce((sum, value) => sum + value, 0);
  return { busyTicks: totalTicks - (fields[3] ?? 0) - (fields[4] ?? 0), totalTicks };
}

export function readHostCpu(): { busyTicks: number; totalTicks: number } {
  return parseHostCpu(readFileSync('/proc/stat', 'utf8'));
}

/** Share of the host's CPU that was busy between two readHostCpu() readings. */
export function hostBusyShare(
  before: { busyTicks: number; totalTicks: number },
  after: { busyTicks: number; totalTicks: number },
): number {
  const total = after.totalTicks - before.totalTicks;
  return total > 0 ? (after.busyTicks - before.busyTicks) / total : 0;
}
