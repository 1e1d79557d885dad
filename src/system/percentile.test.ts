import { describe, expect, it } from 'vitest';
import { interpolatedPercentile, nearestRankPercentile } from './percentile.js';

// Worked from the definitions by hand; the values are 1..10 so every rank is visible.
const oneToTen = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

describe('interpolatedPercentile (rank q/100 × (n−1), linear between neighbours)', () => {
  it('interpolates between the closest ranks', () => {
    expect(interpolatedPercentile(oneToTen, 0)).toBe(1);
    expect(interpolatedPercentile(oneToTen, 50)).toBe(5.5); // rank 4.5: halfway between 5 and 6
    expect(interpolatedPercentile(oneToTen, 90)).toBeCloseTo(9.1, 12); // rank 8.1
    expect(interpolatedPercentile(oneToTen, 100)).toBe(10);
    expect(interpolatedPercentile(Float64Array.of(2, 4), 25)).toBe(2.5);
  });

  it('clamps q, and gives NaN for no values', () => {
    expect(interpolatedPercentile(oneToTen, -5)).toBe(1);
    expect(interpolatedPercentile(oneToTen, 150)).toBe(10);
    expect(interpolatedPercentile([7], 99)).toBe(7);
    expect(interpolatedPercentile([], 50)).toBeNaN();
  });
});

describe('nearestRankPercentile (smallest value with ≥ q % at or below it)', () => {
  it('always returns a value that occurred', () => {
    expect(nearestRankPercentile(oneToTen, 50)).toBe(5); // rank ⌈5⌉
    expect(nearestRankPercentile(oneToTen, 51)).toBe(6); // rank ⌈5.1⌉
    expect(nearestRankPercentile(oneToTen, 90)).toBe(9);
    expect(nearestRankPercentile(oneToTen, 99)).toBe(10);
    expect(nearestRankPercentile(oneToTen, 0)).toBe(1);
    expect(nearestRankPercentile(oneToTen, 100)).toBe(10);
  });

  it('does not round a whole rank up (7 % of 100 values is the 7th, not the 8th)', () => {
    const oneTo100 = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(nearestRankPercentile(oneTo100, 7)).toBe(7);
    expect(nearestRankPercentile(oneTo100, 95)).toBe(95);
  });

  it('gives 0 for no values (an empty summary)', () => {
    expect(nearestRankPercentile([], 95)).toBe(0);
  });

  it('differs from the interpolated definition, which is why both are named', () => {
    expect(nearestRankPercentile(oneToTen, 50)).not.toBe(interpolatedPercentile(oneToTen, 50));
  });
});
