import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  cpuPressureBetween,
  cpuUtilizationBetween,
  parseCpuPressureSomeMicros,
  parseMeminfo,
  parseProcessStat,
  parseProcStat,
  parsePssBytes,
  parseRssBytes,
  parseSchedstat,
  processTree,
  readCpuSeconds,
  readHostCpu,
  readMemory,
  readSchedstat,
  runQueueWaitBetween,
  type SchedStat,
} from './proc.js';

// Two sets of recorded files, in fixtures/proc:
//  - stat-N.txt, pressure-cpu-N.txt, schedstat-N.txt, moments.json: by fixtures/record/proc.sh, a
//    hog and a working-then-sleeping shell confined to a cgroup with 20 % of one core, read twice
//    ~2 s apart.
//  - ffmpeg-viewer-N.*, odd-name.stat, meminfo, stat: from running viewers by
//    fixtures/record/proc-files.ts.
const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/proc/${name}`, import.meta.url), 'utf8');
const moments = JSON.parse(fixture('moments.json')) as { wallMicros: [number, number] };
const wallMicros = moments.wallMicros[1] - moments.wallMicros[0];

/** The fields of the all-CPU line, to check the parser against the raw text. */
function cpuFields(text: string): number[] {
  return (text.split('\n')[0] as string).split(/\s+/).slice(1).map(Number);
}

describe('/proc/stat', () => {
  it('sums the all-CPU line and takes idle + iowait as idle', () => {
    const fields = cpuFields(fixture('stat-1.txt'));
    expect(parseProcStat(fixture('stat-1.txt'))).toEqual({
      totalTicks: fields.slice(0, 8).reduce((a, b) => a + b, 0),
      idleTicks: (fields[3] as number) + (fields[4] as number),
    });
  });

  it('reads the host file recorded beside the viewers the same way', () => {
    // cpu  168965 75926 105734 326141 679 0 1000 0 0 0
    const fields = cpuFields(fixture('stat'));
    const total = 168965 + 75926 + 105734 + 326141 + 679 + 1000;
    expect(fields.slice(0, 8).reduce((a, b) => a + b, 0)).toBe(total);
    expect(parseProcStat(fixture('stat'))).toEqual({ totalTicks: total, idleTicks: 326141 + 679 });
    expect(parseProcStat('intr 1 2 3\n')).toBeUndefined();
  });

  it('leaves guest time out of the total: it is already inside user and nice', () => {
    expect(parseProcStat('cpu  10 0 0 80 10 0 0 0 5 5\n')).toEqual({ totalTicks: 100, idleTicks: 90 });
  });

  it('gives 1 − Δidle/Δtotal between two readings', () => {
    const before = parseProcStat(fixture('stat-1.txt'));
    const after = parseProcStat(fixture('stat-2.txt'));
    if (!before || !after) throw new Error('fixture not parsed');
    const utilization = cpuUtilizationBetween(before, after) as number;
    expect(utilization).toBeCloseTo(
      1 - (after.idleTicks - before.idleTicks) / (after.totalTicks - before.totalTicks),
      12,
    );
    expect(utilization).toBeGreaterThan(0);
    expect(utilization).toBeLessThan(1);
    expect(cpuUtilizationBetween(after, after)).toBeUndefined(); // no tick passed
    expect(cpuUtilizationBetween(after, before)).toBeUndefined(); // counters went back
  });

  it('gives the busy share of the recorded host file and a later reading', () => {
    const before = parseProcStat(fixture('stat'));
    if (!before) throw new Error('fixture not parsed');
    const after = { totalTicks: before.totalTicks + 200, idleTicks: before.idleTicks + 50 };
    expect(cpuUtilizationBetween(before, after)).toBe(0.75);
    expect(cpuUtilizationBetween(before, before)).toBeUndefined(); // callers read it as 0
  });

  it('rejects text without a cpu line', () => {
    expect(parseProcStat(fixture('pressure-cpu-1.txt'))).toBeUndefined();
  });
});

describe('/proc/pressure/cpu', () => {
  it('reads the some total (µs) and divides its increase by the wall time', () => {
    const before = parseCpuPressureSomeMicros(fixture('pressure-cpu-1.txt')) as number;
    const after = parseCpuPressureSomeMicros(fixture('pressure-cpu-2.txt')) as number;
    expect(fixture('pressure-cpu-1.txt')).toContain(`total=${before}`);
    const pressure = cpuPressureBetween(before, after, wallMicros) as number;
    expect(pressure).toBeCloseTo((after - before) / wallMicros, 12);
    // The hog was throttled by its quota most of the time: someone was always waiting.
    expect(pressure).toBeGreaterThan(0.3);
    expect(cpuPressureBetween(after, before, wallMicros)).toBeUndefined();
    expect(parseCpuPressureSomeMicros(fixture('stat-1.txt'))).toBeUndefined();
  });
});

describe('/proc/<pid>/schedstat', () => {
  it('reads run time, run-queue wait and timeslices', () => {
    const [run, wait, slices] = fixture('schedstat-1.txt').trim().split(' ').map(Number);
    expect(parseSchedstat(fixture('schedstat-1.txt'))).toEqual({
      runNs: run,
      waitNs: wait,
      timeslices: slices,
    });
    expect(parseSchedstat('garbage')).toBeUndefined();
  });

  it("reads a viewer's run and run-queue wait, in ns", () => {
    const sched = parseSchedstat(fixture('ffmpeg-viewer-0.schedstat')) as SchedStat;
    expect(sched.runNs / 1e9).toBeCloseTo(0.28678924, 9);
    expect(sched.waitNs / 1e9).toBeCloseTo(0.991758127, 9);
    expect(parseSchedstat('')).toBeUndefined();
  });

  it('averages the wait share over PIDs present in both readings', () => {
    const before = parseSchedstat(fixture('schedstat-1.txt')) as SchedStat;
    const after = parseSchedstat(fixture('schedstat-2.txt')) as SchedStat;
    const wallNs = wallMicros * 1000;
    const viewer = runQueueWaitBetween(new Map([[7, before]]), new Map([[7, after]]), wallNs);
    expect(viewer?.pids).toBe(1);
    expect(viewer?.share).toBeCloseTo((after.waitNs - before.waitNs) / wallNs, 12);
    // The confined viewer waited for its quota: far above what an unconfined one waits.
    expect(viewer?.share).toBeGreaterThan(0.1);

    // A PID seen only once, and one that went back (reused), are left out of the average.
    const idle: SchedStat = { runNs: 0, waitNs: 0, timeslices: 0 };
    const both = runQueueWaitBetween(
      new Map([
        [7, before],
        [8, idle],
        [9, after],
      ]),
      new Map([
        [7, after],
        [8, idle],
        [9, before],
        [10, after],
      ]),
      wallNs,
    );
    expect(both?.pids).toBe(2);
    expect(both?.share).toBeCloseTo((after.waitNs - before.waitNs) / wallNs / 2, 12);
    expect(runQueueWaitBetween(new Map(), new Map([[7, after]]), wallNs)).toBeUndefined();
  });
});

describe('/proc/<pid>/stat and memory, on recorded files', () => {
  it('reads pid, name, parent and own CPU ticks (utime + stime) of a viewer', () => {
    expect(parseProcessStat(fixture('ffmpeg-viewer-0.stat'))).toEqual({
      pid: 28883,
      comm: 'ffmpeg',
      state: 'S',
      ppid: 28306,
      cpuTicks: 14 + 13,
    });
    expect(parseProcessStat(fixture('ffmpeg-viewer-1.stat')).cpuTicks).toBe(14 + 12);
  });

  it("keeps a name holding ') (' whole and leaves the children's CPU out", () => {
    // cutime/cstime of this process are 18 and 31: they must not be counted.
    expect(parseProcessStat(fixture('odd-name.stat'))).toMatchObject({
      comm: 'odd) (name 1',
      state: 'R',
      ppid: 28306,
      cpuTicks: 9 + 5,
    });
  });

  it('reads PSS from smaps_rollup and RSS from status, in bytes', () => {
    expect(parsePssBytes(fixture('ffmpeg-viewer-0.smaps_rollup'))).toBe(15226 * 1024);
    expect(parseRssBytes(fixture('ffmpeg-viewer-0.status'))).toBe(54828 * 1024);
    // PSS splits the shared libraries among the viewers: well below RSS.
    expect(parsePssBytes(fixture('ffmpeg-viewer-1.smaps_rollup'))).toBeLessThan(
      parseRssBytes(fixture('ffmpeg-viewer-1.status')) as number,
    );
    expect(parsePssBytes(fixture('ffmpeg-viewer-0.status'))).toBeUndefined();
  });

  it('reads MemTotal and MemAvailable in bytes', () => {
    expect(parseMeminfo(fixture('meminfo'))).toEqual({
      memTotalBytes: 24683620 * 1024,
      memAvailableBytes: 22341564 * 1024,
    });
    expect(() => parseMeminfo('Cached: 1 kB\n')).toThrow(/MemTotal/);
  });
});

describe('/proc readers on this process', () => {
  it('read CPU, memory and the process tree; a gone process is undefined', () => {
    expect(readCpuSeconds(process.pid)).toBeGreaterThan(0);
    expect(readMemory(process.pid)?.bytes).toBeGreaterThan(1e6);
    expect(processTree(process.pid)[0]).toBe(process.pid);
    // PIDs above pid_max's default never exist.
    expect(readCpuSeconds(2 ** 22 + 1)).toBeUndefined();
    expect(readMemory(2 ** 22 + 1)).toBeUndefined();
    expect(readSchedstat(2 ** 22 + 1)).toBeUndefined();
  });

  it("read the host's CPU times", () => {
    const times = readHostCpu();
    expect(times.totalTicks).toBeGreaterThan(0);
    expect(times.idleTicks).toBeLessThanOrEqual(times.totalTicks);
  });
});
