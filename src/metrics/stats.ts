/*
 * Exact statistics over raw values. Percentiles interpolate linearly between the closest
 * ranks (k6's and numpy's default): p(q) of sorted v[0..n-1] is at rank q/100 * (n-1);
 * the definition is system's interpolatedPercentile, this file only computes it without a sort.
 */

/** Sorted copy (numeric: typed-array sort compares numbers, not strings). */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/**
 * Rearranges `values` so that values[k] is the k-th smallest (0-based), everything before it
 * is <= it and everything after is >= it (quickselect, expected O(n)); returns values[k].
 */
export function selectInPlace(values: Float64Array, k: number): number {
  let left = 0;
  let right = values.length - 1;
  while (right > left) {
    // A random pivot keeps sorted or adversarial input at expected O(n).
    const pivotIndex = left + Math.floor(Math.random() * (right - left + 1));
    const pivot = values[pivotIndex] as number;
    let i = left;
    let j = right;
    while (i <= j) {
      while ((values[i] as number) < pivot) i++;
      while ((values[j] as number) > pivot) j--;
      if (i <= j) {
        const swap = values[i] as number;
        values[i] = values[j] as number;
        values[j] = swap;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return values[k] as number;
}

/**
 * Percentile q of unsorted values, exactly as interpolatedPercentile (system/percentile.ts) gives, in expected
 * O(n) instead of a sort: a live check on 300k values every sample must stay cheap.
 * Reorders `values` (pass a copy you own).
 */
export function interpolatedPercentileInPlace(values: Float64Array, q: number): number {
  const count = values.length;
  if (count === 0) return Number.NaN;
  if (count === 1) return values[0] as number;
  const rank = (Math.min(100, Math.max(0, q)) / 100) * (count - 1);
  const lower = Math.floor(rank);
  const lowerValue = selectInPlace(values, lower);
  if (rank === lower) return lowerValue;
  // The next order statistic is the smallest of what lies after it.
  let upperValue = Number.POSITIVE_INFINITY;
  for (let index = lower + 1; index < count; index++)
    upperValue = Math.min(upperValue, values[index] as number);
  return lowerValue + (rank - lower) * (upperValue - lowerValue);
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
