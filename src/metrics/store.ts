import { catalogueEntry, type MetricType } from './catalogue.js';
import type { ParsedExposition } from './exposition.js';
import { TimedValues } from './series.js';

/*
 * Every series of one run, by metric name and label set. Four kinds, as in k6:
 *  - trend:   raw values (exact percentiles over any window)
 *  - rate:    0/1 values (failed / all)
 *  - counter: cumulative values; increases are computed with Prometheus reset handling
 *  - gauge:   point values at sample times
 * Scraped samples keep their own names plus a `target` label; catalogue metrics that are
 * derived (CPU, rates per second, dropped connections) are computed here, per scrape.
 */

export type Labels = Record<string, string>;
export type ScrapeRole = 'swarm' | 'nginx' | 'node' | 'extra';

export interface StoredSeries {
  labels: Labels;
  data: TimedValues;
}

interface StoredMetric {
  name: string;
  type: MetricType;
  series: Map<string, StoredSeries>;
  /** Event counters start at 0 when declared; scraped counters start wherever they are. */
  zeroBasedSinceMs?: number;
}

/** What a window holds for one metric and label filter. */
export type WindowData =
  | { type: 'trend'; values: Float64Array; count: number }
  | { type: 'rate'; hits: number; total: number; count: number }
  | { type: 'counter'; increase: number; count: number; durationSeconds: number; zeroBased: boolean }
  | { type: 'gauge'; values: Float64Array; last: number | undefined; count: number };

export interface MetricStoreOptions {
  /** Raw series one scrape target may create (protects against label explosions). */
  maxRawSeriesPerTarget?: number;
}

interface PreviousScrape {
  atMs: number;
  values: Map<string, number>;
}

export function labelKey(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  keys.sort();
  return keys.map((key) => `${key}=${JSON.stringify(labels[key])}`).join(',');
}

function matches(labels: Labels, filter: Labels): boolean {
  for (const [key, value] of Object.entries(filter)) if (labels[key] !== value) return false;
  return true;
}

/** Increase of a cumulative counter between consecutive points; a drop is a reset to 0. */
export function counterDelta(previous: number, current: number): number {
  return current >= previous ? current - previous : current;
}

export class MetricStore {
  private readonly metrics = new Map<string, StoredMetric>();
  private readonly previousScrape = new Map<string, PreviousScrape>();
  private readonly rawSeriesByTarget = new Map<string, number>();
  private readonly droppedRawSeries = new Map<string, number>();
  private readonly maxRawSeriesPerTarget: number;

  constructor(options: MetricStoreOptions = {}) {
    this.maxRawSeriesPerTarget = options.maxRawSeriesPerTarget ?? 10_000;
  }

  /** Declares a metric (so it exists with no samples); returns false on a type clash. */
  declare(name: string, type: MetricType, zeroBasedSinceMs?: number): boolean {
    const existing = this.metrics.get(name);
    if (existing) return existing.type === type;
    const metric: StoredMetric = { name, type, series: new Map() };
    if (zeroBasedSinceMs !== undefined) metric.zeroBasedSinceMs = zeroBasedSinceMs;
    this.metrics.set(name, metric);
    return true;
  }

  has(name: string): boolean {
    return this.metrics.has(name);
  }

  typeOf(name: string): MetricType | undefined {
    return this.metrics.get(name)?.type;
  }

  /** When an event counter was declared (its zero); undefined for every other metric. */
  zeroBasedSinceMs(name: string): number | undefined {
    return this.metrics.get(name)?.zeroBasedSinceMs;
  }

  names(): string[] {
    return [...this.metrics.keys()].sort();
  }

  seriesOf(name: string): StoredSeries[] {
    return [...(this.metrics.get(name)?.series.values() ?? [])];
  }

  /** Approximate bytes held by all series. */
  get byteLength(): number {
    let total = 0;
    for (const metric of this.metrics.values())
      for (const series of metric.series.values()) total += series.data.byteLength;
    return total;
  }

  private series(name: string, type: MetricType, labels: Labels): TimedValues | undefined {
    if (!this.declare(name, type)) return undefined;
    const metric = this.metrics.get(name) as StoredMetric;
    const key = labelKey(labels);
    let series = metric.series.get(key);
    if (!series) {
      series = { labels: { ...labels }, data: new TimedValues() };
      metric.series.set(key, series);
    }
    return series.data;
  }

  addTrend(name: string, labels: Labels, atMs: number, value: number): void {
    if (Number.isFinite(value)) this.series(name, 'trend', labels)?.push(atMs, value);
  }

  addRate(name: string, labels: Labels, atMs: number, hit: boolean): void {
    this.series(name, 'rate', labels)?.push(atMs, hit ? 1 : 0);
  }

  addGauge(name: string, labels: Labels, atMs: number, value: number): void {
    if (!Number.isNaN(value)) this.series(name, 'gauge', labels)?.push(atMs, value);
  }

  /** A cumulative counter value as scraped. */
  addCounter(name: string, labels: Labels, atMs: number, cumulative: number): void {
    if (this.metrics.get(name)?.zeroBasedSinceMs !== undefined) return; // an event counter's name
    if (!Number.isNaN(cumulative)) this.series(name, 'counter', labels)?.push(atMs, cumulative);
  }

  /**
   * An event counter (zero-based from its declaration): stores each increment at its own
   * time, so events reported out of order still sum exactly (cumulative values would not).
   */
  incrementCounter(name: string, labels: Labels, atMs: number, by = 1): void {
    if (!this.metrics.has(name)) this.declare(name, 'counter', atMs);
    const metric = this.metrics.get(name) as StoredMetric;
    if (metric.zeroBasedSinceMs === undefined) return; // a scraped (cumulative) counter: not ours to add to
    this.series(name, 'counter', labels)?.push(atMs, by);
  }

  /** Stores one parsed scrape: its raw samples (label `target`) and the derived catalogue metrics. */
  ingestScrape(target: string, role: ScrapeRole, parsed: ParsedExposition, atMs: number): void {
    const current = new Map<string, number>();
    let rawCount = this.rawSeriesByTarget.get(target) ?? 0;
    for (const sample of parsed.samples) {
      const labels = { ...sample.labels, target };
      const metric = this.metrics.get(sample.name);
      const known = metric?.series.has(labelKey(labels));
      if (!known) {
        if (rawCount >= this.maxRawSeriesPerTarget) {
          this.droppedRawSeries.set(target, (this.droppedRawSeries.get(target) ?? 0) + 1);
          continue;
        }
        rawCount++;
      }
      if (sample.sampleType === 'counter') this.addCounter(sample.name, labels, atMs, sample.value);
      else this.addGauge(sample.name, labels, atMs, sample.value);
      current.set(`${sample.name}{${labelKey(sample.labels)}}`, sample.value);
    }
    this.rawSeriesByTarget.set(target, rawCount);
    const previous = this.previousScrape.get(target);
    if (role === 'nginx') this.deriveNginx(current, previous, atMs);
    if (role === 'node') this.deriveNode(parsed, current, previous, atMs);
    this.previousScrape.set(target, { atMs, values: current });
  }

  /** Raw series a target wanted but the per-target limit refused. */
  droppedSeries(target: string): number {
    return this.droppedRawSeries.get(target) ?? 0;
  }

  private deriveNginx(current: Map<string, number>, previous: PreviousScrape | undefined, atMs: number) {
    const accepted = current.get('nginx_connections_accepted{}');
    const handled = current.get('nginx_connections_handled{}');
    if (accepted !== undefined && handled !== undefined)
      this.addCounter('nginx_dropped_connections', {}, atMs, accepted - handled);
    const requests = current.get('nginx_http_requests_total{}');
    const previousRequests = previous?.values.get('nginx_http_requests_total{}');
    if (previous && requests !== undefined && previousRequests !== undefined && atMs > previous.atMs) {
      const perSecond = counterDelta(previousRequests, requests) / ((atMs - previous.atMs) / 1000);
      this.addGauge('nginx_requests_per_second', {}, atMs, perSecond);
    }
  }

  private deriveNode(
    parsed: ParsedExposition,
    current: Map<string, number>,
    previous: PreviousScrape | undefined,
    atMs: number,
  ) {
    const available = current.get('node_memory_MemAvailable_bytes{}');
    const total = current.get('node_memory_MemTotal_bytes{}');
    if (available !== undefined && total !== undefined && total > 0)
      this.addGauge('node_memory_utilization', {}, atMs, 1 - available / total);
    if (!previous || atMs <= previous.atMs) return;
    const seconds = (atMs - previous.atMs) / 1000;

    // CPU: deltas between this scrape and the previous one, summed over CPUs and modes.
    let idleDelta = 0;
    let allDelta = 0;
    let cpuValid = true;
    let cpuSeen = false;
    const network = { transmit: new Map<string, number>(), receive: new Map<string, number>() };
    for (const sample of parsed.samples) {
      if (sample.name === 'node_cpu_seconds_total') {
        const before = previous.values.get(`${sample.name}{${labelKey(sample.labels)}}`);
        if (before === undefined) continue;
        const delta = sample.value - before;
        if (delta < 0) cpuValid = false; // a rebooted host: skip this interval
        cpuSeen = true;
        allDelta += delta;
        if (sample.labels.mode === 'idle') idleDelta += delta;
      } else if (
        sample.name === 'node_network_transmit_bytes_total' ||
        sample.name === 'node_network_receive_bytes_total'
      ) {
        const before = previous.values.get(`${sample.name}{${labelKey(sample.labels)}}`);
        const device = sample.labels.device;
        if (before === undefined || device === undefined) continue;
        const map = sample.name === 'node_network_transmit_bytes_total' ? network.transmit : network.receive;
        map.set(device, counterDelta(before, sample.value) / seconds);
      }
    }
    if (cpuSeen && cpuValid && allDelta > 0)
      this.addGauge('node_cpu_utilization', {}, atMs, 1 - idleDelta / allDelta);
    for (const [device, perSecond] of network.transmit)
      this.addGauge('node_network_transmit_bytes_per_second', { device }, atMs, perSecond);
    for (const [device, perSecond] of network.receive)
      this.addGauge('node_network_receive_bytes_per_second', { device }, atMs, perSecond);
  }

  /**
   * The data of `name` (series whose labels include `filter`) for fromMs <= t <= toMs.
   * Undefined when the metric does not exist or no series matches the filter (an event
   * counter, declared zero-based, gives 0 instead).
   */
  window(name: string, filter: Labels, fromMs: number, toMs: number): WindowData | undefined {
    const metric = this.metrics.get(name);
    if (!metric) return undefined;
    const selected = [...metric.series.values()].filter((series) => matches(series.labels, filter));
    if (selected.length === 0 && !(metric.type === 'counter' && metric.zeroBasedSinceMs !== undefined))
      return undefined;
    switch (metric.type) {
      case 'trend': {
        let count = 0;
        const ranges = selected.map((series) => {
          const [start, end] = series.data.range(fromMs, toMs);
          count += end - start;
          return [series, start, end] as const;
        });
        const values = new Float64Array(count);
        let offset = 0;
        for (const [series, start, end] of ranges) {
          values.set(series.data.values(start, end), offset);
          offset += end - start;
        }
        return { type: 'trend', values, count };
      }
      case 'rate': {
        let hits = 0;
        let total = 0;
        for (const series of selected) {
          const [start, end] = series.data.range(fromMs, toMs);
          total += end - start;
          for (const value of series.data.values(start, end)) hits += value;
        }
        return { type: 'rate', hits, total, count: total };
      }
      case 'counter': {
        let increase = 0;
        let count = 0;
        for (const series of selected) {
          const [start, end] = series.data.range(fromMs, toMs);
          count += end - start;
          if (metric.zeroBasedSinceMs !== undefined) {
            // Event counter: the values are increments.
            for (const value of series.data.values(start, end)) increase += value;
            continue;
          }
          let previous: number | undefined;
          if (start > 0) previous = series.data.valueAt(start - 1);
          for (let index = start; index < end; index++) {
            const value = series.data.valueAt(index);
            if (previous !== undefined) increase += counterDelta(previous, value);
            previous = value;
          }
        }
        const durationSeconds = Math.max(0, toMs - fromMs) / 1000;
        // A zero-based event counter exists (as 0) over any window after it was declared.
        const zeroBased = metric.zeroBasedSinceMs !== undefined && toMs >= metric.zeroBasedSinceMs;
        return { type: 'counter', increase, count, durationSeconds, zeroBased };
      }
      case 'gauge': {
        // Several matching series (e.g. network devices) are summed per sample time: one
        // scrape stamps all its samples with one time.
        if (selected.length === 1) {
          const data = (selected[0] as StoredSeries).data;
          const [start, end] = data.range(fromMs, toMs);
          const values = Float64Array.from(data.values(start, end));
          return { type: 'gauge', values, last: values.at(-1), count: values.length };
        }
        const byTime = new Map<number, number>();
        for (const series of selected) {
          const [start, end] = series.data.range(fromMs, toMs);
          for (let index = start; index < end; index++) {
            const at = series.data.timeAt(index);
            byTime.set(at, (byTime.get(at) ?? 0) + series.data.valueAt(index));
          }
        }
        const times = [...byTime.keys()].sort((a, b) => a - b);
        const values = Float64Array.from(times, (at) => byTime.get(at) as number);
        return { type: 'gauge', values, last: values.at(-1), count: values.length };
      }
    }
  }

  /** The type a threshold will see: the catalogue's when the name is in it, else the stored one. */
  resolvedType(name: string): MetricType | undefined {
    return catalogueEntry(name)?.type ?? this.typeOf(name);
  }
}
