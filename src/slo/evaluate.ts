import {
  catalogueEntry,
  interpolatedPercentileInPlace,
  type MetricSource,
  type MetricStore,
  type MetricType,
  maximum,
  mean,
  minimum,
  type WindowData,
} from '../metrics/index.js';
import { aggregationProblem, type ComparisonOperator, type CompiledThreshold } from './parse.js';

/*
 * Evaluation is a pure function of the compiled thresholds, the store and the run's
 * timeline. `ok: true` means the threshold held; a metric that does not exist, or has no
 * samples in the window, fails and says so.
 */

export interface RunTimeline {
  startMs: number;
  /** When the ramp ended (the swarm's rampComplete). */
  rampEndMs?: number;
  /** Start of the steady window: ramp end + warm-up. Default rampEndMs, else startMs. */
  steadyStartMs?: number;
  endMs: number;
}

export interface ThresholdResult {
  /** The metric key as written. */
  metric: string;
  expression: string;
  /** 'steady', 'whole' or the sliding length as written. */
  window: string;
  /** The aggregated value (the worst window's, for sliding windows); null when there was none. */
  observed: number | null;
  /** true: the threshold held. */
  ok: boolean;
  /** false: reported without failing the run. */
  strict: boolean;
  abortOnFail: boolean;
  message: string;
  /** The window judged (the worst one for sliding windows). */
  windowStartMs?: number;
  windowEndMs?: number;
  /** Values (trend/rate) or points (gauge/counter) in that window. */
  samples: number;
  /** Sliding windows: how many were judged and how many failed. */
  windowsEvaluated?: number;
  windowsFailed?: number;
  /** A latency threshold judged while the load generator was saturated (src/slo/generator-health.ts). */
  unreliable?: boolean;
}

type Observation =
  | { kind: 'value'; observed: number; samples: number }
  | { kind: 'missing'; reason: string; samples: number };

export function compare(observed: number, operator: ComparisonOperator, bound: number): boolean {
  switch (operator) {
    case '<':
      return observed < bound;
    case '<=':
      return observed <= bound;
    case '>':
      return observed > bound;
    case '>=':
      return observed >= bound;
    case '==':
      return observed === bound;
    case '!=':
      return observed !== bound;
  }
}

function describeAggregation(threshold: CompiledThreshold): string {
  return threshold.aggregation === 'p' ? `p(${threshold.percentile})` : threshold.aggregation;
}

/** Aggregates one window's data as the threshold asks. */
export function observe(threshold: CompiledThreshold, data: WindowData): Observation {
  const problem = aggregationProblem(data.type as MetricType, threshold, threshold.metricName);
  if (problem) return { kind: 'missing', reason: problem, samples: data.count };
  switch (data.type) {
    case 'trend': {
      if (data.count === 0) return { kind: 'missing', reason: 'no samples in the window', samples: 0 };
      const values = data.values;
      let observed: number;
      switch (threshold.aggregation) {
        case 'p':
          // window() returned a copy this evaluation owns: select in place.
          observed = interpolatedPercentileInPlace(values, threshold.percentile ?? 50);
          break;
        case 'med':
          observed = interpolatedPercentileInPlace(values, 50);
          break;
        case 'avg':
          observed = mean(values);
          break;
        case 'min':
          observed = minimum(values);
          break;
        case 'max':
          observed = maximum(values);
          break;
        default:
          observed = data.count;
      }
      return { kind: 'value', observed, samples: data.count };
    }
    case 'rate': {
      if (data.total === 0) return { kind: 'missing', reason: 'no samples in the window', samples: 0 };
      const scale = catalogueEntry(threshold.metricName)?.rateScale ?? 1;
      return { kind: 'value', observed: (data.hits / data.total) * scale, samples: data.total };
    }
    case 'counter': {
      if (data.count === 0 && !data.zeroBased)
        return { kind: 'missing', reason: 'no samples in the window', samples: 0 };
      if (threshold.aggregation === 'rate') {
        if (data.durationSeconds <= 0)
          return { kind: 'missing', reason: 'the window has no length', samples: 0 };
        return { kind: 'value', observed: data.increase / data.durationSeconds, samples: data.count };
      }
      return { kind: 'value', observed: data.increase, samples: data.count };
    }
    case 'gauge': {
      if (data.count === 0) return { kind: 'missing', reason: 'no samples in the window', samples: 0 };
      const values = data.values;
      const observed =
        threshold.aggregation === 'value'
          ? (data.last as number)
          : threshold.aggregation === 'min'
            ? minimum(values)
            : threshold.aggregation === 'max'
              ? maximum(values)
              : mean(values);
      return { kind: 'value', observed, samples: data.count };
    }
  }
}

const MISSING_SOURCE: Record<MetricSource, string> = {
  swarm: 'no swarm was attached to the sampler',
  generator: 'no swarm was attached to the sampler, or this host cannot measure it (see docs/metrics.md)',
  nginx: 'nothing scraped an nginx-exporter: the origin offered none',
  'nginx-access-log':
    'the origin gave no JSON access log on this machine; the nginx origin writes one (and the container origin on a local engine), the vm origin does not',
  node: 'nothing scraped a node-exporter: the origin offered none',
};

function whyMissing(name: string): string {
  const entry = catalogueEntry(name);
  return entry ? MISSING_SOURCE[entry.source] : 'no scrape target exposed it and nothing recorded it';
}

/** Observes one threshold over [fromMs, toMs]. */
export function observeWindow(
  threshold: CompiledThreshold,
  store: MetricStore,
  fromMs: number,
  toMs: number,
): Observation {
  if (!store.has(threshold.metricName))
    return {
      kind: 'missing',
      reason: `metric ${JSON.stringify(threshold.metricName)} does not exist in this run (${whyMissing(threshold.metricName)})`,
      samples: 0,
    };
  const data = store.window(threshold.metricName, threshold.labels, fromMs, toMs);
  if (!data)
    return {
      kind: 'missing',
      reason:
        Object.keys(threshold.labels).length === 0
          ? 'no samples in the window'
          : `no series of ${threshold.metric} matches the labels ${JSON.stringify(threshold.labels)}`,
      samples: 0,
    };
  return observe(threshold, data);
}

/** Larger is worse for < and <=, smaller for > and >=; for == and != only failing matters. */
function worseThan(operator: ComparisonOperator, a: number, b: number): boolean {
  if (operator === '<' || operator === '<=') return a > b;
  if (operator === '>' || operator === '>=') return a < b;
  return false;
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Number(value.toPrecision(6)).toString();
}

function formatTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

/** The [from, to] a window kind covers on a timeline, or the reason it is empty. */
export function windowRange(
  threshold: CompiledThreshold,
  timeline: RunTimeline,
): { fromMs: number; toMs: number } | { empty: string } {
  if (threshold.window.kind === 'whole') return { fromMs: timeline.startMs, toMs: timeline.endMs };
  return steadyWindowRange(timeline);
}

/** The steady window of a timeline (ramp end + warm-up → end), or the reason it is empty. */
export function steadyWindowRange(
  timeline: RunTimeline,
): { fromMs: number; toMs: number } | { empty: string } {
  const steadyStartMs = timeline.steadyStartMs ?? timeline.rampEndMs ?? timeline.startMs;
  if (steadyStartMs >= timeline.endMs)
    return {
      empty:
        `the steady window is empty: ramp + warm-up end at ${formatTime(steadyStartMs)}, the run ended at ${formatTime(timeline.endMs)}; ` +
        "use window: 'whole' or run longer",
    };
  return { fromMs: steadyStartMs, toMs: timeline.endMs };
}

/** Start times of the sliding windows of `lengthMs` covering [fromMs, toMs]; every one must hold. */
export function slidingWindowStarts(fromMs: number, toMs: number, lengthMs: number): number[] {
  if (toMs - fromMs <= lengthMs) return [fromMs];
  const stepMs = Math.min(1000, lengthMs / 2);
  const starts: number[] = [];
  for (let start = fromMs; start + lengthMs <= toMs; start += stepMs) starts.push(start);
  const last = toMs - lengthMs;
  if ((starts.at(-1) as number) < last) starts.push(last);
  return starts;
}

/** Evaluates one threshold after a run (or on the run so far). */
export function evaluateThreshold(
  threshold: CompiledThreshold,
  store: MetricStore,
  timeline: RunTimeline,
): ThresholdResult {
  const base = {
    metric: threshold.metric,
    expression: threshold.expression,
    window: threshold.windowText,
    strict: threshold.strict,
    abortOnFail: threshold.abortOnFail,
  };
  const aggregation = describeAggregation(threshold);
  const range = windowRange(threshold, timeline);
  if ('empty' in range) return { ...base, observed: null, ok: false, samples: 0, message: range.empty };
  const span = (from: number, to: number) => `${formatTime(from)}–${formatTime(to)}`;

  if (threshold.window.kind !== 'sliding') {
    const observation = observeWindow(threshold, store, range.fromMs, range.toMs);
    const windowed = { ...base, windowStartMs: range.fromMs, windowEndMs: range.toMs };
    if (observation.kind === 'missing')
      return {
        ...windowed,
        observed: null,
        ok: false,
        samples: observation.samples,
        message: `FAILED: ${observation.reason} (${threshold.windowText} window ${span(range.fromMs, range.toMs)})`,
      };
    const ok = compare(observation.observed, threshold.operator, threshold.bound);
    return {
      ...windowed,
      observed: observation.observed,
      ok,
      samples: observation.samples,
      message:
        `${aggregation}=${formatNumber(observation.observed)} over the ${threshold.windowText} window ` +
        `(${span(range.fromMs, range.toMs)}, ${observation.samples} samples) ${ok ? 'holds' : 'breaks'} ` +
        `${threshold.expression}`,
    };
  }

  // Sliding: every window of this length in the steady range must hold; report the worst.
  const lengthMs = threshold.window.lengthMs;
  let evaluated = 0;
  let failed = 0;
  let empty = 0;
  let worst: { observed: number; fromMs: number; toMs: number; samples: number; ok: boolean } | undefined;
  let lastMissing: string | undefined;
  for (const fromMs of slidingWindowStarts(range.fromMs, range.toMs, lengthMs)) {
    const toMs = Math.min(range.toMs, fromMs + lengthMs);
    const observation = observeWindow(threshold, store, fromMs, toMs);
    if (observation.kind === 'missing') {
      empty++;
      lastMissing = observation.reason;
      continue;
    }
    evaluated++;
    const ok = compare(observation.observed, threshold.operator, threshold.bound);
    if (!ok) failed++;
    const candidate = { observed: observation.observed, fromMs, toMs, samples: observation.samples, ok };
    if (
      !worst ||
      (worst.ok && !ok) ||
      (worst.ok === ok && worseThan(threshold.operator, candidate.observed, worst.observed))
    )
      worst = candidate;
  }
  const counts = { windowsEvaluated: evaluated, windowsFailed: failed };
  if (!worst)
    return {
      ...base,
      ...counts,
      observed: null,
      ok: false,
      samples: 0,
      windowStartMs: range.fromMs,
      windowEndMs: range.toMs,
      message: `FAILED: ${lastMissing ?? 'no samples'} in any ${threshold.windowText} window of ${span(range.fromMs, range.toMs)}`,
    };
  const ok = failed === 0;
  const skipped = empty > 0 ? `, ${empty} windows without samples skipped` : '';
  return {
    ...base,
    ...counts,
    observed: worst.observed,
    ok,
    samples: worst.samples,
    windowStartMs: worst.fromMs,
    windowEndMs: worst.toMs,
    message:
      `worst ${threshold.windowText} window ${span(worst.fromMs, worst.toMs)}: ${aggregation}=${formatNumber(worst.observed)} ` +
      `(${worst.samples} samples); ${failed} of ${evaluated} windows break ${threshold.expression}${skipped}`,
  };
}

/** Evaluates every threshold; one result each, in order. */
export function evaluateThresholds(
  compiled: readonly CompiledThreshold[],
  store: MetricStore,
  timeline: RunTimeline,
): ThresholdResult[] {
  return compiled.map((threshold) => evaluateThreshold(threshold, store, timeline));
}

/** True when every strict threshold held (the release gate). */
export function thresholdsPassed(results: readonly ThresholdResult[]): boolean {
  return results.every((result) => result.ok || !result.strict);
}
