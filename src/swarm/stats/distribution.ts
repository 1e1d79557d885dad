import * as hdr from 'hdr-histogram-js';
import type { DistributionSummary } from '../types.js';
import { EMPTY_SUMMARY } from './summarize.js';

/** A Distribution as JSON: HdrHistogram's compressed base64 plus the exact extremes and sum. */
export interface EncodedDistribution {
  unitsPerValue: number;
  histogram: string;
  count: number;
  min: number;
  max: number;
  sum: number;
}

/**
 * A mergeable distribution: an HDR histogram (3 significant digits, so any percentile is within
 * 0.1 % of the exact one) of integer values in `unitsPerValue` (e.g. 1e6 records seconds as
 * microseconds), plus exact count, min, max and sum. Merging adds bucket counts, which is exact:
 * fleet percentiles are percentiles of all clients' values, never a max of per-client ones.
 */
export class Distribution {
  private readonly histogram: hdr.Histogram;
  private cached: DistributionSummary | undefined;
  private countValue = 0;
  private sum = 0;
  private minValue = Number.POSITIVE_INFINITY;
  private maxValue = Number.NEGATIVE_INFINITY;

  /**
   * @param unitsPerValue integer units recorded per value (1e6: seconds as microseconds)
   * @param compact packed counts: smaller, slower to read; for the many per-client histograms
   */
  constructor(
    readonly unitsPerValue: number,
    compact = false,
  ) {
    this.histogram = hdr.build({
      bitBucketSize: compact ? 'packed' : 32,
      autoResize: true,
      numberOfSignificantValueDigits: 3,
      useWebAssembly: false,
    });
  }

  get count(): number {
    return this.countValue;
  }

  record(value: number): void {
    if (!Number.isFinite(value) || value < 0) return;
    this.histogram.recordValue(Math.round(value * this.unitsPerValue));
    this.cached = undefined;
    this.countValue++;
    this.sum += value;
    if (value < this.minValue) this.minValue = value;
    if (value > this.maxValue) this.maxValue = value;
  }

  /** Adds every value of `other` (same unit) to this one. */
  add(other: Distribution): void {
    if (other.countValue === 0) return;
    if (other.unitsPerValue !== this.unitsPerValue)
      throw new Error('cannot merge distributions of different units');
    this.histogram.add(other.histogram);
    this.cached = undefined;
    this.countValue += other.countValue;
    this.sum += other.sum;
    this.minValue = Math.min(this.minValue, other.minValue);
    this.maxValue = Math.max(this.maxValue, other.maxValue);
  }

  /**
   * The histogram in HdrHistogram's compressed base64 form (any HdrHistogram library reads it),
   * with the exact count, min, max and sum beside it: what a shard report carries.
   */
  encode(): EncodedDistribution {
    return {
      unitsPerValue: this.unitsPerValue,
      histogram: hdr.encodeIntoCompressedBase64(this.histogram),
      count: this.countValue,
      min: this.countValue === 0 ? 0 : this.minValue,
      max: this.countValue === 0 ? 0 : this.maxValue,
      sum: this.sum,
    };
  }

  /** The inverse of encode(): merges like any other Distribution. */
  static decode(encoded: EncodedDistribution): Distribution {
    const distribution = new Distribution(encoded.unitsPerValue);
    if (encoded.count === 0) return distribution;
    const decoded = hdr.decodeFromCompressedBase64(encoded.histogram, 32, false);
    distribution.histogram.add(decoded);
    decoded.destroy();
    distribution.countValue = encoded.count;
    distribution.sum = encoded.sum;
    distribution.minValue = encoded.min;
    distribution.maxValue = encoded.max;
    return distribution;
  }

  /** Every recorded bucket, in ascending order: its highest equivalent value and how many values fell in it. */
  forEachBucket(callback: (value: number, count: number) => void): void {
    const histogram = this.histogram as unknown as HdrInternals;
    for (let index = 0; index < histogram.countsArrayLength; index++) {
      const count = histogram.getCountAtIndex(index);
      if (count === 0) continue;
      const value = histogram.highestEquivalentValue(histogram.valueFromIndex(index)) / this.unitsPerValue;
      callback(Math.min(this.maxValue, Math.max(this.minValue, value)), count);
    }
  }

  percentile(percentile: number): number {
    if (this.countValue === 0) return 0;
    const value = this.histogram.getValueAtPercentile(percentile) / this.unitsPerValue;
    // Bucket rounding may step past the exact extremes; clamp to what was recorded.
    return Math.min(this.maxValue, Math.max(this.minValue, value));
  }

  /**
   * Read-only: any number of readers get the same answer. All percentiles come from one walk
   * over the counts (getValueAtPercentile walks once per percentile), and the result is kept
   * until the next value arrives.
   */
  summary(): DistributionSummary {
    if (this.countValue === 0) return { ...EMPTY_SUMMARY };
    if (!this.cached) {
      const [p50, p90, p95, p99] = this.percentiles([50, 90, 95, 99]) as [number, number, number, number];
      this.cached = {
        count: this.countValue,
        min: this.minValue,
        mean: this.sum / this.countValue,
        p50,
        p90,
        p95,
        p99,
        max: this.maxValue,
      };
    }
    return { ...this.cached };
  }

  /** Several percentiles (ascending) in one walk, with HDR's definition (nearest rank, bucket's highest value). */
  percentiles(ascending: readonly number[]): number[] {
    if (this.countValue === 0) return ascending.map(() => 0);
    const histogram = this.histogram as unknown as HdrInternals;
    const total = histogram.totalCount;
    const results: number[] = [];
    let next = 0;
    let running = 0;
    const target = (percentile: number) =>
      Math.max(1, Math.ceil((Math.min(percentile, 100) / 100) * total - 1e-9));
    for (let index = 0; index < histogram.countsArrayLength && next < ascending.length; index++) {
      running += histogram.getCountAtIndex(index);
      while (next < ascending.length && running >= target(ascending[next]!)) {
        const value = histogram.highestEquivalentValue(histogram.valueFromIndex(index)) / this.unitsPerValue;
        results.push(Math.min(this.maxValue, Math.max(this.minValue, value)));
        next++;
      }
    }
    while (results.length < ascending.length) results.push(this.maxValue);
    return results;
  }
}

/** The JsHistogram members the one-walk percentile reader uses (public there, not on the Histogram interface). */
interface HdrInternals {
  totalCount: number;
  countsArrayLength: number;
  getCountAtIndex(index: number): number;
  valueFromIndex(index: number): number;
  highestEquivalentValue(value: number): number;
}
