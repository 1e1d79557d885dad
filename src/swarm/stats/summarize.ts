import { nearestRankPercentile } from '../../system/index.js';
import type { DistributionSummary } from '../types.js';

export const EMPTY_SUMMARY: DistributionSummary = Object.freeze({
  count: 0,
  min: 0,
  mean: 0,
  p50: 0,
  p90: 0,
  p95: 0,
  p99: 0,
  max: 0,
});

/** Exact summary of a small set of values (sorts a copy). Non-finite values are ignored. */
export function summarize(values: readonly number[]): DistributionSummary {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return { ...EMPTY_SUMMARY };
  let sum = 0;
  for (const value of sorted) sum += value;
  return {
    count: sorted.length,
    min: sorted[0]!,
    mean: sum / sorted.length,
    p50: nearestRankPercentile(sorted, 50),
    p90: nearestRankPercentile(sorted, 90),
    p95: nearestRankPercentile(sorted, 95),
    p99: nearestRankPercentile(sorted, 99),
    max: sorted[sorted.length - 1]!,
  };
}
