/*
 * How many viewers this host can drive, from a calibration's per-viewer costs (pure).
 *
 * Budgets: 70 % of the cores and 70 % of MemAvailable. Viewers fetch in step (every new
 * segment wakes them all at once), so a host busy 70 % on average is already queueing them at
 * each segment boundary; the rest is room for those bursts, the metrics sampler and the
 * exporters. Memory is measured as PSS at the calibration's small fleet, where each viewer
 * carries a larger share of the shared libraries than in a big one: the estimate errs low, and
 * 30 % of MemAvailable stays for the page cache the origin serves from.
 */

export const CPU_BUDGET = 0.7;
export const MEMORY_BUDGET = 0.7;

/** What a calibration measured, per viewer, on this host (the cached part). */
export interface ViewerCosts {
  /** CPU-seconds one viewer start costs: the ffmpeg until its first segment, plus Node's share (spawn, parsing). */
  startCpuSeconds: number;
  /** Fraction of a core a running viewer uses whose log is read as it arrives (a timed viewer). */
  timedViewerCpuCores: number;
  /** … whose log is read every second (an untimed viewer). */
  untimedViewerCpuCores: number;
  /** Fraction of a core Node uses per running viewer (reading and parsing its log). */
  nodeCpuCoresPerViewer: number;
  /** PSS (or RSS) of one running viewer, in bytes. */
  viewerMemoryBytes: number;
}

/** The origin's CPU on this host while it serves viewers; zeros when it runs elsewhere. */
export interface OriginCpu {
  /** Generator and exporters: independent of the audience. */
  fixedCores: number;
  /** The HTTP server (nginx, python), per viewer it serves. */
  perViewerCores: number;
}

export const NO_LOCAL_ORIGIN: OriginCpu = { fixedCores: 0, perViewerCores: 0 };

export interface EstimateInput {
  costs: ViewerCosts;
  cores: number;
  memAvailableBytes: number;
  /** The scenario's swarm.timedViewers (timed viewers cost more: their log is read as it arrives). */
  timedViewers: number | 'all';
  origin: OriginCpu;
  cpuBudget?: number;
  memoryBudget?: number;
}

export interface CapacityEstimate {
  /** Viewers this host can run with the headroom above. */
  viewers: number;
  limitedBy: 'cpu' | 'memory';
  cpuViewers: number;
  memoryViewers: number;
  /** Viewer starts per second the CPU budget sustains with nothing else running. */
  startsPerSecond: number;
  cpuBudget: number;
  memoryBudget: number;
}

/** Guards a division by a cost measured as zero (a viewer that used less than a clock tick). */
const MIN_COST = 1e-6;

/** Viewers the CPU budget holds: timed viewers first (the swarm picks them among all), then untimed. */
function cpuViewers(input: EstimateInput, budgetCores: number): number {
  const { costs, origin } = input;
  const shared = costs.nodeCpuCoresPerViewer + origin.perViewerCores;
  const timedCost = Math.max(MIN_COST, costs.timedViewerCpuCores + shared);
  const untimedCost = Math.max(MIN_COST, costs.untimedViewerCpuCores + shared);
  const available = budgetCores - origin.fixedCores;
  if (available <= 0) return 0;
  if (input.timedViewers === 'all') return Math.floor(available / timedCost);
  const timed = input.timedViewers;
  if (timed * timedCost >= available) return Math.floor(available / timedCost);
  return timed + Math.floor((available - timed * timedCost) / untimedCost);
}

export function estimateCapacity(input: EstimateInput): CapacityEstimate {
  const cpuBudget = input.cpuBudget ?? CPU_BUDGET;
  const memoryBudget = input.memoryBudget ?? MEMORY_BUDGET;
  const budgetCores = input.cores * cpuBudget;
  const byCpu = cpuViewers(input, budgetCores);
  const byMemory = Math.floor(
    (input.memAvailableBytes * memoryBudget) / Math.max(1, input.costs.viewerMemoryBytes),
  );
  const startCores = Math.max(0, budgetCores - input.origin.fixedCores);
  return {
    viewers: Math.max(0, Math.min(byCpu, byMemory)),
    limitedBy: byCpu <= byMemory ? 'cpu' : 'memory',
    cpuViewers: byCpu,
    memoryViewers: byMemory,
    startsPerSecond: startCores / Math.max(MIN_COST, input.costs.startCpuSeconds),
    cpuBudget,
    memoryBudget,
  };
}
