/*
 * Timestamped raw values in typed arrays, kept sorted by time so a window is two binary
 * searches. Values mostly arrive in time order; a late one (a request reported after a
 * later one) is inserted near the end, which costs a short copy.
 * 1000 viewers x 10 min of 2 s segments is ~300k values per trend: ~5 MB here.
 */
export class TimedValues {
  private timesMs: Float64Array;
  private valuesArray: Float64Array;
  private count = 0;

  constructor(initialCapacity = 16) {
    this.timesMs = new Float64Array(initialCapacity);
    this.valuesArray = new Float64Array(initialCapacity);
  }

  get length(): number {
    return this.count;
  }

  push(atMs: number, value: number): void {
    if (this.count === this.timesMs.length) this.grow();
    let index = this.count;
    // Walk back over later entries (rare, and short when it happens).
    while (index > 0 && (this.timesMs[index - 1] as number) > atMs) index--;
    if (index < this.count) {
      this.timesMs.copyWithin(index + 1, index, this.count);
      this.valuesArray.copyWithin(index + 1, index, this.count);
    }
    this.timesMs[index] = atMs;
    this.valuesArray[index] = value;
    this.count++;
  }

  private grow(): void {
    const capacity = Math.max(16, this.timesMs.length * 2);
    const times = new Float64Array(capacity);
    times.set(this.timesMs.subarray(0, this.count));
    const values = new Float64Array(capacity);
    values.set(this.valuesArray.subarray(0, this.count));
    this.timesMs = times;
    this.valuesArray = values;
  }

  /** First index with time >= atMs. */
  lowerBound(atMs: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.timesMs[mid] as number) < atMs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index with time > atMs. */
  upperBound(atMs: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.timesMs[mid] as number) <= atMs) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index range [start, end) of entries with fromMs <= time <= toMs. */
  range(fromMs: number, toMs: number): [number, number] {
    return [this.lowerBound(fromMs), this.upperBound(toMs)];
  }

  timeAt(index: number): number {
    return this.timesMs[index] as number;
  }

  valueAt(index: number): number {
    return this.valuesArray[index] as number;
  }

  /** A view (not a copy) of the values in [start, end). */
  values(start = 0, end = this.count): Float64Array {
    return this.valuesArray.subarray(start, end);
  }

  times(start = 0, end = this.count): Float64Array {
    return this.timesMs.subarray(start, end);
  }

  /** Bytes held, for memory accounting. */
  get byteLength(): number {
    return this.timesMs.byteLength + this.valuesArray.byteLength;
  }
}
