import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseProcessStat, processTree } from '../../system/index.js';
import { alive } from '../../system/test/processes.js';
import { readCalibration } from './cache.js';
import { calibrate } from './calibrate.js';

/*
 * A short real calibration: python origin (tiny profile, free port) booted by the calibration,
 * 6 ffmpeg viewers, a 3 s steady window. The figures vary with the machine's load, so only
 * broad plausibility is checked; what must hold exactly is that it cleans up after itself and
 * caches what it measured.
 */

const cacheDir = mkdtempSync(join(tmpdir(), 'hls-swarm-calibrate-int-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

function commOf(pid: number): string | undefined {
  try {
    return parseProcessStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).comm;
  } catch {
    return undefined;
  }
}

describe('calibrate (python origin, tiny profile)', () => {
  it('measures plausible costs, caches them, and leaves nothing running', async () => {
    const before = new Set(processTree(process.pid));
    const seen = new Map<number, string>();
    const watch = setInterval(() => {
      for (const pid of processTree(process.pid)) {
        if (before.has(pid) || seen.has(pid)) continue;
        const comm = commOf(pid);
        if (comm) seen.set(pid, comm);
      }
    }, 200);
    let outcome: Awaited<ReturnType<typeof calibrate>>;
    try {
      outcome = await calibrate({
        stream: { kind: 'profile', originKind: 'python', profile: 'tiny' },
        logLevel: 'trace',
        viewers: 6,
        steadySeconds: 3,
        cacheDir,
      });
    } finally {
      clearInterval(watch);
    }
    const { entry, estimate } = outcome;
    expect(outcome.fromCache).toBe(false);
    expect(entry.viewersMeasured).toBeGreaterThanOrEqual(3);
    // A start costs CPU (ffmpeg loads ~215 libraries, then reads its first segments).
    expect(entry.costs.startCpuSeconds).toBeGreaterThan(0.01);
    expect(entry.costs.startCpuSeconds).toBeLessThan(5);
    // A running viewer: above nothing, below a whole core (0.1-1 % measured here).
    for (const cores of [entry.costs.timedViewerCpuCores, entry.costs.untimedViewerCpuCores]) {
      expect(cores).toBeGreaterThan(0);
      expect(cores).toBeLessThan(0.5);
    }
    expect(entry.costs.viewerMemoryBytes).toBeGreaterThan(2e6);
    expect(entry.costs.viewerMemoryBytes).toBeLessThan(200e6);
    expect(entry.origin).toMatchObject({ kind: 'python' });
    expect(entry.origin?.fixedCores).toBeGreaterThan(0); // the generator
    expect(estimate.viewers).toBeGreaterThan(0);
    // How busy the host was: shares of the host's CPU and of the viewers' wall time.
    expect(entry.conditions?.hostCpuBusy).toBeGreaterThan(0);
    expect(entry.conditions?.hostCpuBusy).toBeLessThanOrEqual(1);
    expect(entry.conditions?.viewerCpuWaitShare).toBeGreaterThanOrEqual(0);
    expect(entry.conditions?.viewerCpuWaitShare).toBeLessThan(1);
    expect(estimate.startsPerSecond).toBeGreaterThan(0);
    expect(readCalibration(entry.key, cacheDir)).toEqual(entry);

    // ffmpeg viewers, the generator and python's http.server were all seen, and all are gone.
    const started = [...seen].filter(([, comm]) => comm === 'ffmpeg' || comm.startsWith('python'));
    expect(started.filter(([, comm]) => comm === 'ffmpeg').length).toBeGreaterThanOrEqual(7);
    expect(started.filter(([pid]) => alive(pid))).toEqual([]);

    // The second call is served from the cache, without measuring.
    const again = await calibrate({
      stream: { kind: 'profile', originKind: 'python', profile: 'tiny' },
      logLevel: 'trace',
      cacheDir,
    });
    expect(again.fromCache).toBe(true);
    expect(again.entry).toEqual(entry);
  });
});
