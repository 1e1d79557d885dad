import { formatBitrate, formatClock, formatSeconds } from './format.js';

/*
 * Live progress of a running scenario: one plain line at least every `progressInterval`,
 * readable in a terminal and in a CI log (no cursor movement, no colour needed).
 */

export type RunPhase = 'validating' | 'origin' | 'ramp' | 'warmup' | 'steady' | 'stopping' | 'done';

export interface ProgressUpdate {
  scenario: string;
  phase: RunPhase;
  /** Seconds since the swarm started (0 while the origin boots). */
  elapsedSeconds: number;
  /** Seconds the swarm is planned to run (duration or the sum of stages). */
  totalSeconds: number;
  clientsActive: number;
  clientsTarget: number;
  /** Segment requests per second over the last progress interval. */
  segmentsPerSecond: number;
  /** Failed requests since the start. */
  errorsTotal: number;
  /** Failed requests over the last progress interval. */
  errorsInInterval: number;
  /** p95 of segment download time over the last progress interval; null without segments. */
  segmentP95Seconds: number | null;
  throughputBytesPerSecond: number;
  restarts: number;
  stalledClients: number;
  /** Set when the origin reported a problem (e.g. a process died). */
  originProblem?: string;
  /** The load generator's latest health figures (ratios 0..1), when measured. */
  generator?: { cpuUtilization?: number; viewerCpuWait?: number; eventLoopDelaySeconds?: number };
}

const wholePercent = (ratio: number) => `${Math.round(ratio * 100)}%`;

/** One progress line, e.g. `[hls-swarm] smoke 12s/20s steady clients 3/3 seg/s 1.5 errors 0 p95 12ms 1.2 Mb/s`. */
export function formatProgress(update: ProgressUpdate): string {
  const parts = [
    `[hls-swarm] ${update.scenario}`,
    `${formatClock(update.elapsedSeconds)}/${formatClock(update.totalSeconds)}`,
    update.phase,
    `clients ${update.clientsActive}/${update.clientsTarget}`,
    `seg/s ${update.segmentsPerSecond.toFixed(1)}`,
    `errors ${update.errorsTotal}${update.errorsInInterval > 0 ? ` (+${update.errorsInInterval})` : ''}`,
    `p95 ${formatSeconds(update.segmentP95Seconds)}`,
    formatBitrate(update.throughputBytesPerSecond),
  ];
  if (update.restarts > 0) parts.push(`restarts ${update.restarts}`);
  if (update.stalledClients > 0) parts.push(`stalled ${update.stalledClients}`);
  const generator = update.generator;
  if (generator) {
    const figures = [
      generator.cpuUtilization !== undefined ? `cpu ${wholePercent(generator.cpuUtilization)}` : '',
      generator.viewerCpuWait !== undefined ? `wait ${wholePercent(generator.viewerCpuWait)}` : '',
      generator.eventLoopDelaySeconds !== undefined
        ? `loop ${formatSeconds(generator.eventLoopDelaySeconds)}`
        : '',
    ].filter(Boolean);
    if (figures.length > 0) parts.push(`gen ${figures.join(' ')}`);
  }
  if (update.originProblem) parts.push(`origin: ${update.originProblem}`);
  return parts.join('  ');
}
