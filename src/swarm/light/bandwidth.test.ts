import { describe, expect, it } from 'vitest';
import { BandwidthEstimator, Ewma, MIN_SAMPLE_MS } from './bandwidth.js';

describe('Ewma (weighted by seconds, zero start corrected)', () => {
  it('returns a constant input exactly, however little weight it has seen', () => {
    const average = new Ewma(3);
    average.sample(0.2, 1_000_000);
    expect(average.value()).toBeCloseTo(1_000_000, 6);
    average.sample(5, 1_000_000);
    expect(average.value()).toBeCloseTo(1_000_000, 6);
  });

  it('gives a sample as long as the half-life half of the estimate', () => {
    const average = new Ewma(2);
    average.sample(1000, 10); // saturated: the zero start no longer weighs
    average.sample(2, 0);
    expect(average.value()).toBeCloseTo(5, 6);
  });
});

describe('BandwidthEstimator (hls.js rule: min of a 3 s and a 9 s EWMA)', () => {
  it('uses the default estimate before any sample', () => {
    expect(new BandwidthEstimator().estimateBps()).toBe(500_000);
    expect(new BandwidthEstimator({ defaultEstimateBps: 2e6 }).estimateBps()).toBe(2e6);
  });

  it('measures bits per second of download time', () => {
    const estimator = new BandwidthEstimator();
    estimator.sample(1000, 125_000); // 1 Mbit in 1 s
    expect(estimator.estimateBps()).toBeCloseTo(1e6, 0);
  });

  it(`counts a download shorter than ${MIN_SAMPLE_MS} ms as ${MIN_SAMPLE_MS} ms`, () => {
    const estimator = new BandwidthEstimator();
    estimator.sample(1, 12_500); // 100 kbit: 2 Mbit/s over 50 ms, not 100 Mbit/s over 1 ms
    expect(estimator.estimateBps()).toBeCloseTo(2e6, 0);
  });

  it('follows a drop at once and a rise slowly', () => {
    const dropping = new BandwidthEstimator();
    for (let index = 0; index < 10; index++) dropping.sample(1000, 500_000); // 4 Mbit/s
    dropping.sample(2000, 250_000); // 1 Mbit/s for 2 s
    // The fast average (half-life 3 s, per second α = 0.5^(1/3)) after 10 s at 4 M and 2 s at 1 M,
    // corrected for its zero start over 12 s of weight: the estimate follows it, not the slow one.
    const alpha = 0.5 ** (1 / 3);
    const fastRaw = 1e6 * (1 - alpha ** 2) + alpha ** 2 * 4e6 * (1 - alpha ** 10);
    expect(dropping.estimateBps()).toBeCloseTo(fastRaw / (1 - alpha ** 12), -1);
    expect(dropping.estimateBps()).toBeLessThan(3e6);

    const rising = new BandwidthEstimator();
    for (let index = 0; index < 10; index++) rising.sample(1000, 125_000); // 1 Mbit/s
    rising.sample(2000, 1_000_000); // 4 Mbit/s for 2 s
    // Up, the slow average (half-life 9 s) is the lower one: the estimate follows it.
    const slowAlpha = 0.5 ** (1 / 9);
    const slowRaw = 4e6 * (1 - slowAlpha ** 2) + slowAlpha ** 2 * 1e6 * (1 - slowAlpha ** 10);
    expect(rising.estimateBps()).toBeCloseTo(slowRaw / (1 - slowAlpha ** 12), -1);
    const fastRaw2 = 4e6 * (1 - alpha ** 2) + alpha ** 2 * 1e6 * (1 - alpha ** 10);
    expect(rising.estimateBps()).toBeLessThan(fastRaw2 / (1 - alpha ** 12));
  });

  it('ignores empty or unmeasured downloads', () => {
    const estimator = new BandwidthEstimator();
    estimator.sample(100, 0);
    estimator.sample(Number.NaN, 1000);
    expect(estimator.hasSamples).toBe(false);
  });
});
