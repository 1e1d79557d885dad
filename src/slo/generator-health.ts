import { type GeneratorSpec, parseDurationMs } from '../config/index.js';
import { type MetricStore, mean } from '../metrics/index.js';
import { type RunTimeline, steadyWindowRange, type ThresholdResult } from './evaluate.js';

/*
 * The saturation guard: was the load generator itself the bottleneck during the steady
 * window? Viewer latencies measured on a host whose viewers wait for a CPU, or whose event
 * loop stamps their log lines late, measure that wait, not the origin (on the 2-core machine
 * a swarm reported p95 366 ms while nginx served in < 1 ms). Each figure is the **average** of
 * its gauge over the steady window (the window the thresholds use), so one slow second does
 * not condemn a run. A figure this host cannot measure (no PSI, no viewer PIDs) is null and
 * not judged.
 */

export interface GeneratorHealthJudgement {
  /** avg generator_cpu_utilization over the window; null when not measured. */
  cpuUtilization: number | null;
  /** avg generator_cpu_pressure. */
  cpuPressure: number | null;
  /** avg generator_viewer_cpu_wait. */
  viewerCpuWait: number | null;
  /** avg of the per-interval p99 event-loop delays (seconds). */
  eventLoopDelayP99Seconds: number | null;
  /** avg of the per-interval p99 lateness of the light viewers' scheduler (seconds); null without light viewers. */
  lightSchedulerLatenessP99Seconds: number | null;
  /** A limit was exceeded. */
  saturated: boolean;
  /** One phrase per exceeded limit, e.g. 'CPU 97 % busy (limit 90 %)'. */
  breaches: string[];
  /** Set when saturated: the sentence the verdict and the summary show. */
  reason?: string;
  limits: GeneratorSpec;
  /** The window judged (epoch ms); null when the steady window is empty. */
  window: { startMs: number; endMs: number } | null;
}

type Figure =
  | 'viewerCpuWait'
  | 'eventLoopDelayP99Seconds'
  | 'lightSchedulerLatenessP99Seconds'
  | 'cpuUtilization'
  | 'cpuPressure';

const percent = (ratio: number) => `${Math.round(ratio * 100)} %`;
const milliseconds = (seconds: number) => `${Math.round(seconds * 1000)} ms`;

/** In the order the reason names them: the generator's own figures first, then the host's. */
const CHECKS: ReadonlyArray<{
  figure: Figure;
  metric: string;
  limit: (limits: GeneratorSpec) => number;
  phrase: (value: number, limit: number) => string;
}> = [
  {
    figure: 'viewerCpuWait',
    metric: 'generator_viewer_cpu_wait',
    limit: (limits) => limits.maxViewerCpuWait,
    phrase: (value, limit) =>
      `viewers waited ${percent(value)} of the time for a CPU (limit ${percent(limit)})`,
  },
  {
    figure: 'eventLoopDelayP99Seconds',
    metric: 'generator_event_loop_delay',
    limit: (limits) => parseDurationMs(limits.maxEventLoopDelay, 'generator.maxEventLoopDelay') / 1000,
    phrase: (value, limit) =>
      `the event loop that timestamps viewer logs ran ${milliseconds(value)} late (p99, limit ${milliseconds(limit)})`,
  },
  {
    // Light viewers' reloads and downloads start from this scheduler: late tasks are late requests.
    figure: 'lightSchedulerLatenessP99Seconds',
    metric: 'generator_light_scheduler_lateness',
    limit: (limits) => parseDurationMs(limits.maxEventLoopDelay, 'generator.maxEventLoopDelay') / 1000,
    phrase: (value, limit) =>
      `the light viewers' scheduler ran ${milliseconds(value)} late (p99, limit ${milliseconds(limit)})`,
  },
  {
    figure: 'cpuUtilization',
    metric: 'generator_cpu_utilization',
    limit: (limits) => limits.maxCpu,
    phrase: (value, limit) => `CPU ${percent(value)} busy (limit ${percent(limit)})`,
  },
  {
    figure: 'cpuPressure',
    metric: 'generator_cpu_pressure',
    limit: (limits) => limits.maxCpuPressure,
    phrase: (value, limit) =>
      `tasks waited for a CPU ${percent(value)} of the time (PSI, limit ${percent(limit)})`,
  },
];

/** Trends in seconds measured by the viewers: what a slow generator inflates. */
export function isLatencyMetric(metric: string): boolean {
  const name = metric.replace(/\{.*$/, '');
  return /^(segment|manifest)_(ttfb|duration)$/.test(name) || name === 'startup_time';
}

function averageOf(store: MetricStore, name: string, fromMs: number, toMs: number): number | null {
  const data = store.window(name, {}, fromMs, toMs);
  return data?.type === 'gauge' && data.count > 0 ? mean(data.values) : null;
}

/** Judges the generator's health over the timeline's steady window against `limits`. */
export function judgeGeneratorHealth(
  store: MetricStore,
  timeline: RunTimeline,
  limits: GeneratorSpec,
): GeneratorHealthJudgement {
  const figures: Record<Figure, number | null> = {
    viewerCpuWait: null,
    eventLoopDelayP99Seconds: null,
    lightSchedulerLatenessP99Seconds: null,
    cpuUtilization: null,
    cpuPressure: null,
  };
  const range = steadyWindowRange(timeline);
  const breaches: string[] = [];
  if (!('empty' in range)) {
    for (const check of CHECKS) {
      const value = averageOf(store, check.metric, range.fromMs, range.toMs);
      figures[check.figure] = value;
      const limit = check.limit(limits);
      if (value !== null && value > limit) breaches.push(check.phrase(value, limit));
    }
  }
  const saturated = breaches.length > 0;
  return {
    cpuUtilization: figures.cpuUtilization,
    cpuPressure: figures.cpuPressure,
    viewerCpuWait: figures.viewerCpuWait,
    eventLoopDelayP99Seconds: figures.eventLoopDelayP99Seconds,
    lightSchedulerLatenessP99Seconds: figures.lightSchedulerLatenessP99Seconds,
    saturated,
    breaches,
    ...(saturated
      ? {
          reason: `the load generator was saturated: ${breaches.join(', ')}; reduce clients, lower timedViewers, or shard the load`,
        }
      : {}),
    limits,
    window: 'empty' in range ? null : { startMs: range.fromMs, endMs: range.toMs },
  };
}

/**
 * Marks every latency threshold `unreliable` when the generator was saturated. All of them,
 * whatever their window: 'whole' contains the steady window and sliding windows lie inside it.
 */
export function markUnreliableLatency(
  results: readonly ThresholdResult[],
  judgement: GeneratorHealthJudgement,
): ThresholdResult[] {
  if (!judgement.saturated) return [...results];
  return results.map((result) => (isLatencyMetric(result.metric) ? { ...result, unreliable: true } : result));
}
