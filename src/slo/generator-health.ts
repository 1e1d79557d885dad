import type { GeneratorSpec } from '../config/index.js';
import { type MetricStore, maximum, mean } from '../metrics/index.js';
import { type RunTimeline, steadyWindowRange, type ThresholdResult } from './evaluate.js';

/*
 * The saturation guard: was the load generator itself the bottleneck during the steady
 * window? Viewer latencies measured on a host whose viewers wait for a CPU measure that wait,
 * not the origin (on the 2-core machine a swarm reported p95 366 ms while nginx served in
 * < 1 ms). Each figure is the **average** of its gauge over the steady window (the window the
 * thresholds use); the event-loop delay is the **worst** interval's p99 and is reported only.
 * A figure this host cannot measure (no PSI, no viewer PIDs) is null and not judged.
 */

export interface GeneratorHealthJudgement {
  /** avg generator_cpu_utilization over the window; null when not measured. */
  cpuUtilization: number | null;
  /** avg generator_cpu_pressure. */
  cpuPressure: number | null;
  /** avg generator_viewer_cpu_wait. */
  viewerCpuWait: number | null;
  /** max of the per-interval p99 event-loop delays (seconds). */
  eventLoopDelayP99Seconds: number | null;
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

/** Trends in seconds measured by the viewers: what a slow generator inflates. */
export function isLatencyMetric(metric: string): boolean {
  const name = metric.replace(/\{.*$/, '');
  return /^(segment|manifest)_(ttfb|duration)$/.test(name) || name === 'startup_time';
}

const percent = (ratio: number) => `${Math.round(ratio * 100)} %`;

function gaugeValues(store: MetricStore, name: string, fromMs: number, toMs: number): Float64Array | undefined {
  const data = store.window(name, {}, fromMs, toMs);
  return data?.type === 'gauge' && data.count > 0 ? data.values : undefined;
}

function averageOf(store: MetricStore, name: string, fromMs: number, toMs: number): number | null {
  const values = gaugeValues(store, name, fromMs, toMs);
  return values ? mean(values) : null;
}

/** Judges the generator's health over the timeline's steady window against `limits`. */
export function judgeGeneratorHealth(
  store: MetricStore,
  timeline: RunTimeline,
  limits: GeneratorSpec,
): GeneratorHealthJudgement {
  const range = steadyWindowRange(timeline);
  if ('empty' in range)
    return {
      cpuUtilization: null,
      cpuPressure: null,
      viewerCpuWait: null,
      eventLoopDelayP99Seconds: null,
      saturated: false,
      breaches: [],
      limits,
      window: null,
    };
  const { fromMs, toMs } = range;
  const cpuUtilization = averageOf(store, 'generator_cpu_utilization', fromMs, toMs);
  const cpuPressure = averageOf(store, 'generator_cpu_pressure', fromMs, toMs);
  const viewerCpuWait = averageOf(store, 'generator_viewer_cpu_wait', fromMs, toMs);
  const loop = gaugeValues(store, 'generator_event_loop_delay', fromMs, toMs);
  const breaches: string[] = [];
  if (viewerCpuWait !== null && viewerCpuWait > limits.maxViewerCpuWait)
    breaches.push(
      `viewers waited ${percent(viewerCpuWait)} of the time for a CPU (limit ${percent(limits.maxViewerCpuWait)})`,
    );
  if (cpuUtilization !== null && cpuUtilization > limits.maxCpu)
    breaches.push(`CPU ${percent(cpuUtilization)} busy (limit ${percent(limits.maxCpu)})`);
  if (cpuPressure !== null && cpuPressure > limits.maxCpuPressure)
    breaches.push(
      `tasks waited for a CPU ${percent(cpuPressure)} of the time (PSI, limit ${percent(limits.maxCpuPressure)})`,
    );
  const saturated = breaches.length > 0;
  return {
    cpuUtilization,
    cpuPressure,
    viewerCpuWait,
    eventLoopDelayP99Seconds: loop ? maximum(loop) : null,
    saturated,
    breaches,
    ...(saturated
      ? {
          reason: `the load generator was saturated: ${breaches.join(', ')}; reduce clients, lower timedViewers, or shard the load`,
        }
      : {}),
    limits,
    window: { startMs: fromMs, endMs: toMs },
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
