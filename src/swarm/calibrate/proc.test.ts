import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  hostBusyShare,
  parseHostCpu,
  parseMeminfo,
  parseProcessStat,
  parsePssBytes,
  parseRssBytes,
  parseSchedstatSeconds,
  processTree,
  readCpuSeconds,
  readMemory,
} from './proc.js';

// Recorded from running viewers by fixtures/record/proc-files.ts.
const fixture = (name: string) =>
  readFileSync(new URL(`../../../fixtures/proc/${name}`, import.meta.url), 'utf8');

describe('/proc parsers on recorded files', () => {
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

  it('reads run and run-queue wait seconds from schedstat', () => {
    const sched = parseSchedstatSeconds(fixture('ffmpeg-viewer-0.schedstat'));
    expect(sched.runSeconds).toBeCloseTo(0.28678924, 9);
    expect(sched.waitSeconds).toBeCloseTo(0.991758127, 9);
    expect(() => parseSchedstatSeconds('')).toThrow(/schedstat/);
  });

  it('reads MemTotal and MemAvailable in bytes', () => {
    expect(parseMeminfo(fixture('meminfo'))).toEqual({
      memTotalBytes: 24683620 * 1024,
      memAvailableBytes: 22341564 * 1024,
    });
    expect(() => parseMeminfo('Cached: 1 kB\n')).toThrow(/MemTotal/);
  });
});

describe('host CPU from /proc/stat', () => {
  it('counts every field but idle and iowait as busy', () => {
    // cpu  168965 75926 105734 326141 679 0 1000 0 0 0
    const total = 168965 + 75926 + 105734 + 326141 + 679 + 1000;
    expect(parseHostCpu(fixture('stat'))).toEqual({ busyTicks: total - 326141 - 679, totalTicks: total });
    expect(() => parseHostCpu('intr 1 2 3\n')).toThrow(/cpu line/);
  });

  it('gives the busy share between two readings', () => {
    const before = parseHostCpu(fixture('stat'));
    const after = { busyTicks: before.busyTicks + 150, totalTicks: before.totalTicks + 200 };
    expect(hostBusyShare(before, after)).toBe(0.75);
    expect(hostBusyShare(before, before)).toBe(0);
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
  });
});
