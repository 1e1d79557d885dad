/*
 * Exact statistics over raw values. Percentiles interpolate linearly between the closest
 * ranks (k6's and numpy's default): p(q) of sorted v[0..n-1] is at rank q/100 * (n-1).
 */

/** Sorted copy (numeric: typed-array sort compares numbers, not strings). */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** Percentile q in [0, 100] of already sorted values; NaN when empty. */
export function percentileOfSorted(sorted: ArrayLike<number>, q: number): number {
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

export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (let index = 0; index < values.length; index++) sum += values[index] as number;
  return sum / values.length;
}

export function minimum(values: ArrayLike<number>): number {
  if (values.length === 0) return Number.NaN;
  let result = Number.POSITIVE_INFINITY;
  for (let index = 0; index < values.length; index++) result = Math.min(result, values[index] as number);
  return result;
}

export function maximum(values: ArrayLike<number>): number {
  if (values.length === 0) return Number.NaN;
  let result = Number.NEGATIVE_INFINITY;
  for (let index = 0; index < values.length; index++) result = Math.max(result, values[index] as number);
  return result;
}
