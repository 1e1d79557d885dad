import type { MetricStore, SampleEvent } from '../metrics/index.js';
import { evaluateThreshold, type RunTimeline, type ThresholdResult } from './evaluate.js';
import type { CompiledThreshold } from './parse.js';

/*
 * abortOnFail, live: after each sample the thresholds marked abortOnFail are evaluated on
 * the run so far (once `delayAbortEval` has passed since the start) and the first breach
 * calls onAbort once, with the reason. The caller stops the run; the breach is seen at the
 * first sample after it happens, so within one sample interval.
 *
 * A live check judges only data its final evaluation would also judge:
 *  - 'whole':   [start, now]
 *  - 'steady':  [steady start, now], once the steady window has begun
 *  - sliding L: the trailing window [now − L, now], once it lies inside the steady window
 * A window without samples never aborts (data may still come); the final evaluation fails it.
 */

export interface LiveTimeline {
  startMs: number;
  rampEndMs?: number;
  /** Ramp end + warm-up; until known, 'steady' and sliding thresholds are not checked live. */
  steadyStartMs?: number;
}

export interface SloAbort {
  metric: string;
  expression: string;
  window: string;
  observed: number | null;
  atMs: number;
  /** One line for users: which threshold broke, with what value. */
  reason: string;
  result: ThresholdResult;
}

export interface LiveSloMonitorOptions {
  /** The run's timeline as known now (ramp end may arrive later). */
  timeline: () => LiveTimeline;
  onAbort: (abort: SloAbort) => void;
  now?: () => number;
  /**
   * Samples closer together than this share one check, run when the interval is over
   * (a percentile over 300k values costs ~40 ms here). Default 200 ms.
   */
  minCheckIntervalMs?: number;
}

interface SampleSource {
  on(event: 'sample', listener: (event: SampleEvent) => void): unknown;
  off(event: 'sample', listener: (event: SampleEvent) => void): unknown;
}

export class LiveSloMonitor {
  private readonly thresholds: CompiledThreshold[];
  private readonly now: () => number;
  private lastCheckMs = Number.NEGATIVE_INFINITY;
  private source: SampleSource | undefined;
  private deferred: NodeJS.Timeout | undefined;
  private readonly listener = (event: SampleEvent) => {
    const minIntervalMs = this.options.minCheckIntervalMs ?? 200;
    const sinceLastMs = event.atMs - this.lastCheckMs;
    if (sinceLastMs >= minIntervalMs) {
      this.check(event.atMs);
      return;
    }
    // Too soon after the last check: check once when the interval is over, so a breach
    // that this sample shows is still caught within minCheckIntervalMs of it.
    this.deferred ??= setTimeout(() => {
      this.deferred = undefined;
      try {
        if (this.source) this.check(this.now());
      } catch {
        // onAbort threw: the abort is recorded in `aborted`; a timer must not crash the run.
      }
    }, minIntervalMs - sinceLastMs);
  };
  /** Set once a threshold broke. */
  aborted: SloAbort | undefined;

  constructor(
    compiled: readonly CompiledThreshold[],
    private readonly store: MetricStore,
    private readonly options: LiveSloMonitorOptions,
  ) {
    this.thresholds = compiled.filter((threshold) => threshold.abortOnFail);
    this.now = options.now ?? Date.now;
  }

  /** True when there is anything to watch. */
  get active(): boolean {
    return this.thresholds.length > 0;
  }

  /** Checks after every sample of a MetricsSampler (its 'sample' event). */
  attach(source: SampleSource): void {
    this.detach();
    if (!this.active) return;
    this.source = source;
    source.on('sample', this.listener);
  }

  detach(): void {
    this.source?.off('sample', this.listener);
    this.source = undefined;
    if (this.deferred) clearTimeout(this.deferred);
    this.deferred = undefined;
  }

  /** Evaluates the abortOnFail thresholds at `nowMs` (no throttling); returns the abort if one fired now. */
  check(nowMs = this.now()): SloAbort | undefined {
    if (this.aborted || !this.active) return undefined;
    this.lastCheckMs = nowMs;
    const timeline = this.options.timeline();
    for (const threshold of this.thresholds) {
      if (nowMs < timeline.startMs + threshold.delayAbortEvalMs) continue;
      const runTimeline = liveRunTimeline(threshold, timeline, nowMs);
      if (!runTimeline) continue;
      const result = evaluateThreshold(threshold, this.store, runTimeline);
      if (result.ok || result.observed === null) continue;
      const abort: SloAbort = {
        metric: threshold.metric,
        expression: threshold.expression,
        window: threshold.windowText,
        observed: result.observed,
        atMs: nowMs,
        reason: `abortOnFail: ${threshold.metric} ${threshold.expression} broke at ${new Date(nowMs).toISOString()}: ${result.message}`,
        result,
      };
      this.aborted = abort;
      this.detach();
      this.options.onAbort(abort);
      return abort;
    }
    return undefined;
  }
}

/** The window a threshold is judged over at `nowMs` while the run goes on (see the top); undefined: not yet. */
export function liveRunTimeline(
  threshold: CompiledThreshold,
  timeline: LiveTimeline,
  nowMs: number,
): RunTimeline | undefined {
  const steadyStartMs = timeline.steadyStartMs;
  if (threshold.window.kind === 'whole') return { startMs: timeline.startMs, endMs: nowMs };
  if (steadyStartMs === undefined || nowMs <= steadyStartMs) return undefined;
  if (threshold.window.kind === 'steady') return { startMs: timeline.startMs, steadyStartMs, endMs: nowMs };
  const fromMs = nowMs - threshold.window.lengthMs;
  if (fromMs < steadyStartMs) return undefined;
  // A steady range exactly one window long: the evaluator judges that one window.
  return { startMs: timeline.startMs, steadyStartMs: fromMs, endMs: nowMs };
}

/**
 * Every threshold judged on the run so far, for the live dashboard: the result, or undefined
 * while its window has not begun or holds no data. The final evaluation may differ.
 */
export function evaluateThresholdsSoFar(
  compiled: readonly CompiledThreshold[],
  store: MetricStore,
  timeline: LiveTimeline,
  nowMs: number,
): (ThresholdResult | undefined)[] {
  return compiled.map((threshold) => {
    const runTimeline = liveRunTimeline(threshold, timeline, nowMs);
    if (!runTimeline) return undefined;
    const result = evaluateThreshold(threshold, store, runTimeline);
    return result.observed === null ? undefined : result;
  });
}
