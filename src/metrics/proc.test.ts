import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  cpuPressureBetween,
  cpuUtilizationBetween,
  parseCpuPressureSomeMicros,
  parseProcStat,
  parseSchedstat,
  runQueueWaitBetween,
  type SchedStat,
} from './proc.js';

// Recorded by fixtures/record/proc.sh: a hog and a working-then-sleeping shell confined to a
// cgroup with 20 % of one core, read twice ~2 s apart.
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
