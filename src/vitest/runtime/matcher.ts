import { expect } from 'vitest';
import { parseWith, type SloSpec, sloSchema } from '../../config/index.js';
import type { MetricStore } from '../../metrics/index.js';
import { formatThresholdLine, type ThresholdResultEntry, thresholdEntryFrom } from '../../report/index.js';
import type { RunResult } from '../../runner/index.js';
import { compileSlo, evaluateThresholds, type RunTimeline } from '../../slo/index.js';

/*
 * expect(run).toMeetSlo(thresholds?): evaluates thresholds (the scenario's own when none are
 * given) over a finished run's metrics, and lists every threshold with ✓/✗ and its observed
 * value in the failure message. `.not.toMeetSlo(...)` passes when at least one strict
 * threshold breaks — how a scenario asserts that a fault is detected.
 */

/** The input form of thresholds: `{ metric: 'p(95)<0.5' | [...] | { threshold, ... } }`. */
export type SloThresholdsInput = Record<string, unknown>;

export interface SloMatchers<R = unknown> {
  /** Every strict threshold holds over the run (the scenario's own thresholds when none are given). */
  toMeetSlo(thresholds?: SloThresholdsInput): R;
}

declare module 'vitest' {
  // biome-ignore lint/suspicious/noExplicitAny: the augmentation must repeat vitest's own declaration
  interface Matchers<T = any> extends SloMatchers<T> {}
}

/** What the matcher can evaluate: a RunResult, or a metrics sampler of an imperative test. */
interface SamplerLike {
  store: MetricStore;
  startedAtMs: number | undefined;
  stoppedAtMs?: number | undefined;
  rampCompleteAtMs?: number | undefined;
}

function isRunResult(value: unknown): value is RunResult {
  return (
    typeof value === 'object' &&
    value !== null &&
    'verdict' in value &&
    'thresholds' in value &&
    'report' in value
  );
}

function isSampler(value: unknown): value is SamplerLike {
  return typeof value === 'object' && value !== null && 'store' in value && 'startedAtMs' in value;
}

/** Evaluates `thresholds` over the subject; throws a readable error for a wrong subject. */
export function sloResultsFor(received: unknown, thresholds?: SloThresholdsInput): ThresholdResultEntry[] {
  if (thresholds === undefined) {
    if (isRunResult(received)) return received.thresholds;
    throw new TypeError(
      'toMeetSlo() without thresholds needs a RunResult (from scenario() or runScenario())',
    );
  }
  const slo: SloSpec = parseWith(sloSchema, thresholds, 'toMeetSlo thresholds');
  const compiled = compileSlo(slo);
  let store: MetricStore;
  let timeline: RunTimeline;
  if (isRunResult(received)) {
    if (!received.metrics || !received.window) {
      throw new TypeError(
        `toMeetSlo: the run has no metrics (verdict ${received.verdict}: ${received.report.reason ?? 'it never sampled'})`,
      );
    }
    store = received.metrics;
    timeline = {
      startMs: received.window.startMs,
      ...(received.window.steadyStartMs !== null ? { steadyStartMs: received.window.steadyStartMs } : {}),
      endMs: received.window.endMs,
    };
  } else if (isSampler(received)) {
    store = received.store;
    const startMs = received.startedAtMs ?? Date.now();
    timeline = {
      startMs,
      ...(received.rampCompleteAtMs !== undefined
        ? { rampEndMs: received.rampCompleteAtMs, steadyStartMs: received.rampCompleteAtMs }
        : {}),
      endMs: received.stoppedAtMs ?? Date.now(),
    };
  } else {
    throw new TypeError('toMeetSlo expects a RunResult (scenario()/runScenario()) or the `metrics` fixture');
  }
  return evaluateThresholds(compiled, store, timeline).map(thresholdEntryFrom);
}

expect.extend({
  toMeetSlo(received: unknown, thresholds?: SloThresholdsInput) {
    const results = sloResultsFor(received, thresholds);
    const failing = results.filter((result) => result.strict && !result.ok);
    const pass = failing.length === 0;
    const lines =
      results.map((result) => `  ${formatThresholdLine(result)}`).join('\n') || '  (no thresholds)';
    return {
      pass,
      message: () =>
        pass
          ? `expected at least one strict threshold to fail, but all held:\n${lines}`
          : `expected every strict threshold to hold; ${failing.length} failed:\n${lines}`,
    };
  },
});
