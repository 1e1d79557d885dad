/*
 * SLO configuration errors: thrown by compileSlo at config time, before any origin starts.
 * Messages are for users (the CLI and the Vitest plugin print them without a stack).
 */
import { HlsSwarmError } from '../system/index.js';

/** Base of every SLO configuration error; `metric` is the key as written in `slo`. */
export class SloConfigError extends HlsSwarmError {
  override name = 'SloConfigError';
  readonly code: string = 'HLS_SWARM_SLO_CONFIG';
  constructor(
    message: string,
    readonly metric: string,
  ) {
    super(message);
  }
}

/** The caret line under `text` at `position` (0-based). */
function caret(text: string, position: number, indent: string): string {
  return `${indent}${text}\n${indent}${' '.repeat(Math.max(0, position))}^`;
}

/**
 * A threshold expression or metric key that does not parse. `position` is the 0-based
 * index of the first bad character in `text` (the expression, or the metric key when
 * `part` is 'metric').
 */
export class ThresholdSyntaxError extends SloConfigError {
  override name = 'ThresholdSyntaxError';
  override readonly code = 'HLS_SWARM_THRESHOLD_SYNTAX';
  constructor(
    readonly reason: string,
    metric: string,
    readonly text: string,
    readonly position: number,
    readonly part: 'expression' | 'metric',
  ) {
    const where =
      part === 'metric' ? `metric key ${JSON.stringify(metric)}` : `threshold for ${JSON.stringify(metric)}`;
    super(
      `Invalid ${where} at position ${position + 1}: ${reason}\n${caret(text, position, '  ')}\n` +
        "  (expected e.g. 'p(95)<0.5', 'p(99.9)<=2s', 'avg<200ms', 'rate<0.001', 'count==0', 'value>0')",
      metric,
    );
  }
}

/** An aggregation, unit, window or metric that does not fit the metric it is applied to. */
export class ThresholdTypeError extends SloConfigError {
  override name = 'ThresholdTypeError';
  override readonly code = 'HLS_SWARM_THRESHOLD_TYPE';
}
