import * as hdr from 'hdr-histogram-js';
import type { DistributionSummary } from '../types.js';
import { EMPTY_SUMMARY } from './summarize.js';

/**
 * A mergeable distribution: an HDR histogram (3 significant digits, so any percentile is within
 * 0.1 % of the exact one) of integer values in `unitsPerValue` (e.g. 1e6 records seconds as
 * microseconds), plus exact count, min, max and sum. Merging adds bucket counts, which is exact:
 * fleet percentiles are percentiles of all clients' values, never a max of per-client ones.
 */
export class Distribution {
  private readonly histogram = hdr.build({
    bitBucketSize: 'packed',
    autoResize: true,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
  private countValue = 0;
  private sum = 0;
  private minValue = Number.POSITIVE_INFINITY;
  private maxValue = Number.NEGATIVE_INFINITY;

  constructor(readonly unitsPerValue: number) {}

  get count(): number {
    return this.countValue;
  }

  record(value: number): void {
    if (!Number.isFinite(value) || value < 0) return;
    this.histogram.recordValue(Math.round(value * this.unitsPerValue));
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
    this.countValue += other.countValue;
    this.sum += other.sum;
    this.minValue = Math.min(this.minValue, other.minValue);
    this.maxValue = Math.max(this.maxValue, other.maxValue);
  }

  percentile(percentile: number): number {
    if (this.countValue === 0) return 0;
    const value = this.histogram.getValueAtPercentile(percentile) / this.unitsPerValue;
    // Bucket rounding may step past the exact extremes; clamp to what was recorded.
    return Math.min(this.maxValue, Math.max(this.minValue, value));
  }

  /** Read-only: any number of readers get the same answer. */
  summary(): DistributionSummary {
    if (this.countValue === 0) return { ...EMPTY_SUMMARY };
    return {
      count: this.countValue,
      min: this.minValue,
      mean: this.sum / this.countValue,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p95: this.percentile(95),
      p99: this.percentile(99),
      max: this.maxValue,
    };
  }
}
