/*
 * Throughput estimation for the `abr` variant policy, modelled on hls.js's
 * EwmaBandWidthEstimator (itself from shaka-player); the idea is taken, not the code:
 *  - every segment download gives one sample: bits / seconds, weighted by its duration in
 *    seconds (a 2 s download counts twice a 1 s one), with downloads shorter than 50 ms
 *    counted as 50 ms (a cached or tiny response would otherwise report absurd rates);
 *  - two exponentially weighted moving averages with half-lives in seconds of download time
 *    (fast 3 s, slow 9 s: hls.js's abrEwmaFastLive / abrEwmaSlowLive), each corrected for its
 *    zero start (divided by 1 − α^totalWeight, so early estimates are not biased low);
 *  - the estimate is the lower of the two: it follows a drop within a sample or two, a rise
 *    only slowly; before any sample, a default (500 kbit/s, hls.js's abrEwmaDefaultEstimate).
 * The rule that turns the estimate into a variant is in variant-choice.ts.
 */

/** One exponentially weighted moving average whose weight is time (seconds), not a sample count. */
export class Ewma {
  private readonly alpha: number;
  private estimate = 0;
  private totalWeight = 0;

  /** About half of the estimate comes from the last `halfLife` of weight. */
  constructor(halfLife: number) {
    this.alpha = halfLife > 0 ? Math.exp(Math.log(0.5) / halfLife) : 0;
  }

  sample(weight: number, value: number): void {
    const adjustedAlpha = this.alpha ** weight;
    this.estimate = value * (1 - adjustedAlpha) + adjustedAlpha * this.estimate;
    this.totalWeight += weight;
  }

  get weight(): number {
    return this.totalWeight;
  }

  /** The average with its zero start corrected for. */
  value(): number {
    if (this.alpha === 0) return this.estimate;
    const zeroFactor = 1 - this.alpha ** this.totalWeight;
    return zeroFactor > 0 ? this.estimate / zeroFactor : this.estimate;
  }
}

export interface BandwidthEstimatorOptions {
  /** Half-life of the fast average, seconds of download; default 3. */
  fastHalfLifeSeconds?: number;
  /** Half-life of the slow average; default 9. */
  slowHalfLifeSeconds?: number;
  /** The estimate before any sample, bits/s; default 500 000. */
  defaultEstimateBps?: number;
}

/** Downloads shorter than this count as this long. */
export const MIN_SAMPLE_MS = 50;
/** Below this much sampled weight (seconds) the default estimate is used. */
const MIN_TOTAL_WEIGHT_SECONDS = 0.001;

export class BandwidthEstimator {
  private readonly fast: Ewma;
  private readonly slow: Ewma;
  private readonly defaultEstimateBps: number;

  constructor(options: BandwidthEstimatorOptions = {}) {
    this.fast = new Ewma(options.fastHalfLifeSeconds ?? 3);
    this.slow = new Ewma(options.slowHalfLifeSeconds ?? 9);
    this.defaultEstimateBps = options.defaultEstimateBps ?? 500_000;
  }

  /** One download: `bytes` in `durationMs` (request start → last byte). */
  sample(durationMs: number, bytes: number): void {
    if (!(bytes > 0) || !Number.isFinite(durationMs)) return;
    const seconds = Math.max(durationMs, MIN_SAMPLE_MS) / 1000;
    const bitsPerSecond = (8 * bytes) / seconds;
    this.fast.sample(seconds, bitsPerSecond);
    this.slow.sample(seconds, bitsPerSecond);
  }

  get hasSamples(): boolean {
    return this.fast.weight >= MIN_TOTAL_WEIGHT_SECONDS;
  }

  /** Estimated throughput, bits/s. */
  estimateBps(): number {
    return this.hasSamples ? Math.min(this.fast.value(), this.slow.value()) : this.defaultEstimateBps;
  }
}
