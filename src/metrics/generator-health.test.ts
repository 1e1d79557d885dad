import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as proc from '../system/proc.js';
import { GeneratorHealthSampler } from './generator-health.js';
import { MetricStore } from './store.js';

/*
 * The sampler over a /proc tree made of the two real readings of fixtures/proc (recorded by
 * fixtures/record/proc.sh), with the recorded wall times as its clock: the gauges are the
 * deltas between them.
 */
const fixtures = new URL('../../fixtures/proc/', import.meta.url).pathname;
const fixture = (name: string) => readFileSync(join(fixtures, name), 'utf8');
const moments = JSON.parse(fixture('moments.json')) as { wallMicros: [number, number] };
const VIEWER_PID = 4242;
const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A /proc root holding reading `n` (1 or 2) of the fixtures; `pressure: false` leaves PSI out. */
function procRootAt(root: string, n: 1 | 2, pressure = true): void {
  mkdirSync(join(root, 'pressure'), { recursive: true });
  mkdirSync(join(root, String(VIEWER_PID)), { recursive: true });
  copyFileSync(join(fixtures, `stat-${n}.txt`), join(root, 'stat'));
  copyFileSync(join(fixtures, `schedstat-${n}.txt`), join(root, String(VIEWER_PID), 'schedstat'));
  if (pressure) copyFileSync(join(fixtures, `pressure-cpu-${n}.txt`), join(root, 'pressure', 'cpu'));
}

async function sampleTwice(pressure: boolean) {
  const root = mkdtempSync(join(tmpdir(), 'hls-swarm-proc-'));
  roots.push(root);
  procRootAt(root, 1, pressure);
  const store = new MetricStore();
  const lines: string[] = [];
  let wallMicros = moments.wallMicros[0];
  const sampler = new GeneratorHealthSampler(store, {
    procRoot: root,
    viewerPids: () => [VIEWER_PID],
    intervalMs: 3_600_000, // only the readings of start() and stop()
    now: () => wallMicros / 1000,
    nowNs: () => BigInt(wallMicros) * 1000n,
    log: (line) => lines.push(line),
  });
  await sampler.start();
  procRootAt(root, 2, pressure);
  wallMicros = moments.wallMicros[1];
  await sampler.stop();
  const last = (name: string) => {
    const data = store.window(name, {}, 0, Number.MAX_SAFE_INTEGER);
    return data?.type === 'gauge' ? data.last : undefined;
  };
  return { store, lines, last, latest: sampler.latest() };
}

describe('GeneratorHealthSampler', () => {
  it('writes CPU, pressure and viewer-wait gauges from the deltas of two real readings', async () => {
    const { last, latest, lines } = await sampleTwice(true);
    const cpu = last('generator_cpu_utilization');
    const pressure = last('generator_cpu_pressure');
    const wait = last('generator_viewer_cpu_wait');
    // What the pure functions (src/system/proc.test.ts) give for the same two readings.
    const wallMicros = moments.wallMicros[1] - moments.wallMicros[0];
    const stat = (n: number) => proc.parseProcStat(fixture(`stat-${n}.txt`)) as proc.CpuTimes;
    const psi = (n: number) => proc.parseCpuPressureSomeMicros(fixture(`pressure-cpu-${n}.txt`)) as number;
    const sched = (n: number) =>
      new Map([[VIEWER_PID, proc.parseSchedstat(fixture(`schedstat-${n}.txt`)) as proc.SchedStat]]);
    expect(cpu).toBe(proc.cpuUtilizationBetween(stat(1), stat(2)));
    expect(pressure).toBe(proc.cpuPressureBetween(psi(1), psi(2), wallMicros));
    expect(wait).toBe(proc.runQueueWaitBetween(sched(1), sched(2), wallMicros * 1000)?.share);
    expect(wait).toBeGreaterThan(0.1); // the viewer was confined to 20 % of a core beside a hog
    expect(latest).toMatchObject({ cpuUtilization: cpu, cpuPressure: pressure, viewerCpuWait: wait });
    expect(lines).toEqual([]);
  });

  it('without PSI: no pressure gauge and one line saying so; the rest still measured', async () => {
    const { store, last, lines } = await sampleTwice(false);
    expect(store.has('generator_cpu_pressure')).toBe(true); // declared, so a threshold says "no samples"
    expect(last('generator_cpu_pressure')).toBeUndefined();
    expect(last('generator_viewer_cpu_wait')).toBeGreaterThan(0.1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/pressure\/cpu is not readable .*generator_cpu_pressure is not measured/);
  });
});
