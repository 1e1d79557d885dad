/*
 * The two percentile definitions hls-swarm uses, named for what they compute, in one place so
 * no caller re-derives either with its own rounding:
 *  - interpolated: linear interpolation between the two closest ranks (numpy's default,
 *    "type 7"); the SLO thresholds and the report's time series use it over raw values.
 *  - nearest rank: the smallest value with at least q % of the values at or below it, always a
 *    value that occurred; the swarm's summaries use it, as its HDR histograms do.
 */

/** Interpolated percentile q in [0, 100] of ascending `sorted`; NaN when empty. */
export function interpolatedPercentile(sorted: ArrayLike<number>, q: number): number {
  const count = sorted.length;
  if (count === 0) return Number.NaN;
  if (count === 1) return sorted[0] as number;
  const rank = (Math.min(100, Math.max(0, q)) / 100) * (count - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  const lowerValue = sorted[lower] as number;
  if (lower === upper) return lowerValue;
  return lowerValue + (rank - lower) * ((sorted[upper] as number) - lowerValue);
}

/** Nearest-rank percentile q in [0, 100] of ascending `sorted`; 0 when empty (an empty summary). */
export function nearestRankPercentile(sorted: ArrayLike<number>, q: number): number {
  const count = sorted.length;
  if (count === 0) return 0;
  // q·n first, then /100: exact for whole percentiles (7 / 100 × 100 is 7.000000000000001).
  const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, q)) * count) / 100));
  return sorted[Math.min(rank, count) - 1] as number;
}
