import { describe, expect, it } from 'vitest';
import { interpolatedPercentile } from '../system/index.js';
import { interpolatedPercentileInPlace, sortedCopy } from './stats.js';

describe('interpolatedPercentileInPlace', () => {
  it('equals the sort-based percentile on random, duplicated, sorted and reversed data', () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const inputs: Float64Array[] = [
      Float64Array.from({ length: 1001 }, () => next()),
      Float64Array.from({ length: 500 }, () => Math.floor(next() * 5)), // many ties
      Float64Array.from({ length: 300 }, (_, index) => index),
      Float64Array.from({ length: 300 }, (_, index) => -index),
      Float64Array.of(42),
      Float64Array.of(1, 2),
    ];
    for (const input of inputs) {
      const sorted = sortedCopy(input);
      for (const q of [0, 1, 25, 50, 90, 95, 99, 99.9, 100]) {
        expect(interpolatedPercentileInPlace(Float64Array.from(input), q)).toBe(
          interpolatedPercentile(sorted, q),
        );
      }
    }
    expect(interpolatedPercentileInPlace(new Float64Array(0), 50)).toBeNaN();
  });
});
