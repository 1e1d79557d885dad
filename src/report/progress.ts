import { formatBitrate, formatClock, formatPercent, formatSeconds } from './format.js';

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
  /* What only the live dashboard (dashboard.ts) shows; the plain line above leaves them out. */
  /** Playlist (manifest) requests per second over the last progress interval. */
  playlistsPerSecond?: number;
  /** p50 of segment download time over the last progress interval; null without segments. */
  segmentP50Seconds?: number | null;
  /** HTTP error responses since the start, by status code. */
  httpErrors?: Record<string, number>;
  /** The origin host's latest CPU utilisation (0..1), when its node exporter is sampled. */
  originCpuUtilization?: number;
  /** Player QoE of the run so far (docs/metrics.md#player-qoe). */
  qoe?: {
    rebufferRatio: number;
    rebufferEvents: number;
    videoStartFailures: number;
    /** p50 over the run's playback samples so far; absent before the first. */
    liveLatencyP50Seconds?: number;
  };
  /** The scenario's thresholds judged on the run so far, when it has any. */
  thresholds?: ThresholdsSoFar;
}

/** Thresholds judged on the data so far (a breach may still heal, or appear, by the end). */
export interface ThresholdsSoFar {
  total: number;
  /** Not judged yet: their window has not begun or holds no data. */
  pending: number;
  /** 'metric expression (observed)' of each threshold failing so far. */
  breached: string[];
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
  // QoE only when something happened, so a healthy run's line stays as short as ever.
  if (update.qoe && update.qoe.rebufferEvents > 0)
    parts.push(`rebuffering ${formatPercent(update.qoe.rebufferRatio)}`);
  if (update.qoe && update.qoe.videoStartFailures > 0)
    parts.push(`start failures ${update.qoe.videoStartFailures}`);
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
