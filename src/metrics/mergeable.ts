import { Distribution, type EncodedDistribution } from '../swarm/index.js';
import type { MetricType } from './catalogue.js';
import type { Labels, MetricStore } from './store.js';

/*
 * A MetricStore as JSON that N shards' stores merge from without losing what thresholds need:
 *  - trends (request timings, startup, playback speed): one HDR histogram per whole second
 *    (3 significant digits), so a merged percentile is the percentile of every shard's values at
 *    histogram precision — never an average of percentiles; trends with a negative value stay raw;
 *  - rates and event counters: per-second sums (hits and totals, increments) — exact;
 *  - gauges and scraped counters: their raw samples.
 * Imported into one store with a `shard` label per series: counters and rates add up, trends
 * pool their values, and gauges are aligned on whole seconds (each shard's last value in each
 * second, carried over a missed sample) so that clients_active sums over shards per second.
 * A value imported from a histogram or a per-second sum is stamped at the middle of its second:
 * window edges are exact to ±0.5 s.
 */

export const MERGEABLE_VERSION = 1;

export type MergeableSeries =
  | { labels: Labels; encoding: 'hdr-per-second'; seconds: number[]; histograms: EncodedDistribution[] }
  | { labels: Labels; encoding: 'per-second-sums'; seconds: number[]; sums: number[]; totals?: number[] }
  | { labels: Labels; encoding: 'raw'; times: number[]; values: number[] };

export interface MergeableMetric {
  name: string;
  type: MetricType;
  zeroBasedSinceMs?: number;
  series: MergeableSeries[];
}

export interface MergeableStore {
  version: typeof MERGEABLE_VERSION;
  metrics: MergeableMetric[];
}

/** Trend values as µ-units: 1 µs for seconds, 1e-6 for speeds. */
const TREND_UNITS = 1e6;

function perSecond(times: Float64Array, values: Float64Array, add: (second: number, value: number) => void) {
  for (let index = 0; index < times.length; index++)
    add(Math.floor((times[index] as number) / 1000), values[index] as number);
}

function encodeTrend(labels: Labels, times: Float64Array, values: Float64Array): MergeableSeries {
  if (values.some((value) => value < 0 || !Number.isFinite(value)))
    return { labels, encoding: 'raw', times: [...times], values: [...values] };
  const bySecond = new Map<number, Distribution>();
  perSecond(times, values, (second, value) => {
    let distribution = bySecond.get(second);
    if (!distribution) {
      distribution = new Distribution(TREND_UNITS);
      bySecond.set(second, distribution);
    }
    distribution.record(value);
  });
  const seconds = [...bySecond.keys()].sort((a, b) => a - b);
  return {
    labels,
    encoding: 'hdr-per-second',
    seconds,
    histograms: seconds.map((second) => (bySecond.get(second) as Distribution).encode()),
  };
}

function encodeSums(labels: Labels, times: Float64Array, values: Float64Array, withTotals: boolean) {
  const sums = new Map<number, number>();
  const totals = new Map<number, number>();
  perSecond(times, values, (second, value) => {
    sums.set(second, (sums.get(second) ?? 0) + value);
    totals.set(second, (totals.get(second) ?? 0) + 1);
  });
  const seconds = [...sums.keys()].sort((a, b) => a - b);
  const series: MergeableSeries = {
    labels,
    encoding: 'per-second-sums',
    seconds,
    sums: seconds.map((second) => sums.get(second) as number),
  };
  if (withTotals) series.totals = seconds.map((second) => totals.get(second) as number);
  return series;
}

/** Every metric of `store` in mergeable form (see the file comment). */
export function exportMergeable(store: MetricStore): MergeableStore {
  const metrics: MergeableMetric[] = [];
  for (const name of store.names()) {
    const type = store.typeOf(name) as MetricType;
    const zeroBasedSinceMs = store.zeroBasedSinceMs(name);
    const series = store.seriesOf(name).map(({ labels, data }): MergeableSeries => {
      const times = data.times();
      const values = data.values();
      if (type === 'trend') return encodeTrend(labels, times, values);
      if (type === 'rate') return encodeSums(labels, times, values, true);
      if (type === 'counter' && zeroBasedSinceMs !== undefined)
        return encodeSums(labels, times, values, false);
      return { labels, encoding: 'raw', times: [...times], values: [...values] };
    });
    metrics.push({ name, type, ...(zeroBasedSinceMs !== undefined ? { zeroBasedSinceMs } : {}), series });
  }
  return { version: MERGEABLE_VERSION, metrics };
}

function importGauge(
  store: MetricStore,
  name: string,
  labels: Labels,
  series: Extract<MergeableSeries, { encoding: 'raw' }>,
) {
  if (series.times.length === 0) return;
  // Each whole second gets the last sample at or before its end, carried over missed samples.
  let index = 0;
  let last: number | undefined;
  const firstSecond = Math.floor((series.times[0] as number) / 1000);
  const lastSecond = Math.floor((series.times.at(-1) as number) / 1000);
  for (let second = firstSecond; second <= lastSecond; second++) {
    while (index < series.times.length && (series.times[index] as number) < (second + 1) * 1000) {
      last = series.values[index] as number;
      index++;
    }
    if (last !== undefined) store.addGauge(name, labels, second * 1000, last);
  }
}

/** Adds a shard's mergeable store into `store`, every series labelled with `extraLabels`. */
export function importMergeable(store: MetricStore, mergeable: MergeableStore, extraLabels: Labels): void {
  for (const metric of mergeable.metrics) {
    store.declare(metric.name, metric.type, metric.zeroBasedSinceMs);
    for (const series of metric.series) {
      const labels = { ...series.labels, ...extraLabels };
      if (series.encoding === 'hdr-per-second') {
        series.seconds.forEach((second, index) => {
          const encoded = series.histograms[index] as EncodedDistribution;
          Distribution.decode(encoded).forEachBucket((value, count) => {
            for (let n = 0; n < count; n++) store.addTrend(metric.name, labels, second * 1000 + 500, value);
          });
        });
      } else if (series.encoding === 'per-second-sums') {
        series.seconds.forEach((second, index) => {
          const atMs = second * 1000 + 500;
          const sum = series.sums[index] as number;
          if (metric.type === 'rate') {
            const total = series.totals?.[index] ?? sum;
            for (let n = 0; n < total; n++) store.addRate(metric.name, labels, atMs, n < sum);
          } else store.incrementCounter(metric.name, labels, atMs, sum);
        });
      } else if (metric.type === 'gauge') importGauge(store, metric.name, labels, series);
      else {
        for (let index = 0; index < series.times.length; index++) {
          const atMs = series.times[index] as number;
          const value = series.values[index] as number;
          if (metric.type === 'counter') store.addCounter(metric.name, labels, atMs, value);
          else if (metric.type === 'rate') store.addRate(metric.name, labels, atMs, value > 0);
          else store.addTrend(metric.name, labels, atMs, value);
        }
      }
    }
  }
}

/** The pooled distribution of a trend over every imported shard (for the report's summaries). */
export function mergedTrendDistribution(shards: readonly MergeableStore[], name: string): Distribution {
  const merged = new Distribution(TREND_UNITS);
  for (const shard of shards) {
    for (const series of shard.metrics.find((metric) => metric.name === name)?.series ?? []) {
      if (series.encoding === 'hdr-per-second')
        for (const encoded of series.histograms) merged.add(Distribution.decode(encoded));
      else if (series.encoding === 'raw') for (const value of series.values) merged.record(value);
    }
  }
  return merged;
}
