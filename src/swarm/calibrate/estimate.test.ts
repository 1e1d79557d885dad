import { describe, expect, it } from 'vitest';
import { estimateCapacity, NO_LOCAL_ORIGIN, type ViewerCosts } from './estimate.js';
import { recordedCalibration } from './test/recorded.js';

const recorded = recordedCalibration;

const costs: ViewerCosts = {
  startCpuSeconds: 0.2,
  timedViewerCpuCores: 0.02,
  untimedViewerCpuCores: 0.01,
  nodeCpuCoresPerViewer: 0,
  viewerMemoryBytes: 10e6,
};
const GB = 1e9;

describe('estimateCapacity', () => {
  it('divides the CPU budget by the per-viewer cost, timed viewers first', () => {
    // 2 cores × 0.7 = 1.4 cores: 10 timed × 0.02 = 0.2, then 1.2 / 0.01 = 120 untimed.
    const estimate = estimateCapacity({
      costs,
      cores: 2,
      memAvailableBytes: 100 * GB,
      timedViewers: 10,
      origin: NO_LOCAL_ORIGIN,
    });
    expect(estimate).toMatchObject({ viewers: 130, cpuViewers: 130, limitedBy: 'cpu', cpuBudget: 0.7 });
    // 'all' timed: 1.4 / 0.02.
    expect(
      estimateCapacity({
        costs,
        cores: 2,
        memAvailableBytes: 100 * GB,
        timedViewers: 'all',
        origin: NO_LOCAL_ORIGIN,
      }).viewers,
    ).toBe(70);
    // More timed viewers than the budget holds: all of them are timed.
    expect(
      estimateCapacity({
        costs,
        cores: 2,
        memAvailableBytes: 100 * GB,
        timedViewers: 500,
        origin: NO_LOCAL_ORIGIN,
      }).viewers,
    ).toBe(70);
  });

  it("takes the local origin's fixed and per-viewer CPU and Node's share out of the budget", () => {
    const estimate = estimateCapacity({
      costs: { ...costs, nodeCpuCoresPerViewer: 0.01 },
      cores: 2,
      memAvailableBytes: 100 * GB,
      timedViewers: 0,
      origin: { fixedCores: 0.2, perViewerCores: 0.01 },
    });
    // (1.4 − 0.2) / (0.01 + 0.01 + 0.01) = 40
    expect(estimate.viewers).toBe(40);
    // Starts: (1.4 − 0.2) / 0.2 CPU-s = 6 per second.
    expect(estimate.startsPerSecond).toBeCloseTo(6, 9);
  });

  it('is bounded by memory: 70 % of MemAvailable over the per-viewer PSS', () => {
    const estimate = estimateCapacity({
      costs,
      cores: 64,
      memAvailableBytes: 1 * GB,
      timedViewers: 0,
      origin: NO_LOCAL_ORIGIN,
    });
    expect(estimate).toMatchObject({ viewers: 70, memoryViewers: 70, limitedBy: 'memory' });
  });

  it('is 0 when the origin alone takes the budget, and survives a cost measured as zero', () => {
    expect(
      estimateCapacity({
        costs,
        cores: 1,
        memAvailableBytes: GB,
        timedViewers: 0,
        origin: { fixedCores: 0.8, perViewerCores: 0 },
      }).viewers,
    ).toBe(0);
    const free = estimateCapacity({
      costs: { ...costs, timedViewerCpuCores: 0, untimedViewerCpuCores: 0, startCpuSeconds: 0 },
      cores: 2,
      memAvailableBytes: GB,
      timedViewers: 0,
      origin: NO_LOCAL_ORIGIN,
    });
    expect(Number.isFinite(free.viewers)).toBe(true);
    expect(free.limitedBy).toBe('memory');
  });

  it('reproduces the estimate a real calibration printed from its own measurements', () => {
    const estimate = estimateCapacity({
      costs: recorded.costs,
      cores: recorded.host.cores,
      memAvailableBytes: recorded.host.memAvailableBytes,
      timedViewers: recorded.timedViewers,
      origin: recorded.origin ?? NO_LOCAL_ORIGIN,
    });
    expect(estimate).toEqual(recorded.estimate);
    expect(estimate.viewers).toBeGreaterThan(0);
  });
});
