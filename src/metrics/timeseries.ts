import { interpolatedPercentile } from '../system/index.js';
import { sortedCopy } from './stats.js';
import type { MetricStore } from './store.js';

/*
 * Per-step key metrics of a run (swarm and origin), column-wise so a report stays small.
 * Row i covers [atMs[i], atMs[i] + stepMs). Gauges show their latest value at the row's end
 * (looking back at most GAUGE_LOOKBACK_MS, so a 2 s exporter fills 1 s rows without gaps
 * but a dead exporter shows null); trends show percentiles of the row's own raw values;
 * counts are of the row's own requests. null = no data.
 */

export interface Timeseries {
  stepMs: number;
  /** Start of each row (epoch ms). */
  atMs: number[];
  /** Column name → one value per row. Only columns that have data at least once. */
  series: Record<string, Array<number | null>>;
}

const GAUGE_LOOKBACK_MS = 5000;

type Column =
  | { name: string; metric: string; kind: 'gauge' }
  | { name: string; metric: string; kind: 'trend'; percentile: number }
  | { name: string; metric: string; kind: 'rate-total' | 'rate-hits' };

export const TIMESERIES_COLUMNS: readonly Column[] = [
  { name: 'clients_active', metric: 'clients_active', kind: 'gauge' },
  { name: 'stalled_clients', metric: 'stalled_clients', kind: 'gauge' },
  { name: 'throughput_bytes_per_second', metric: 'throughput', kind: 'gauge' },
  { name: 'requests', metric: 'request_errors', kind: 'rate-total' },
  { name: 'request_errors', metric: 'request_errors', kind: 'rate-hits' },
  { name: 'segment_ttfb_p50', metric: 'segment_ttfb', kind: 'trend', percentile: 50 },
  { name: 'segment_ttfb_p95', metric: 'segment_ttfb', kind: 'trend', percentile: 95 },
  { name: 'segment_duration_p95', metric: 'segment_duration', kind: 'trend', percentile: 95 },
  { name: 'manifest_duration_p95', metric: 'manifest_duration', kind: 'trend', percentile: 95 },
  { name: 'playback_speed_p50', metric: 'playback_speed', kind: 'trend', percentile: 50 },
  // Stalled viewer-seconds per second of the run: how many viewers were rebuffering.
  { name: 'rebuffering_viewers', metric: 'rebuffer_ratio', kind: 'rate-hits' },
  { name: 'live_latency_p50', metric: 'live_latency', kind: 'trend', percentile: 50 },
  { name: 'generator_cpu_utilization', metric: 'generator_cpu_utilization', kind: 'gauge' },
  { name: 'generator_cpu_pressure', metric: 'generator_cpu_pressure', kind: 'gauge' },
  { name: 'generator_viewer_cpu_wait', metric: 'generator_viewer_cpu_wait', kind: 'gauge' },
  { name: 'generator_event_loop_delay', metric: 'generator_event_loop_delay', kind: 'gauge' },
  { name: 'release_lateness_p95', metric: 'release_lateness', kind: 'trend', percentile: 95 },
  { name: 'nginx_requests_per_second', metric: 'nginx_requests_per_second', kind: 'gauge' },
  { name: 'nginx_connections_active', metric: 'nginx_connections_active', kind: 'gauge' },
  { name: 'nginx_request_time_p95', metric: 'nginx_request_time', kind: 'trend', percentile: 95 },
  { name: 'node_cpu_utilization', metric: 'node_cpu_utilization', kind: 'gauge' },
  { name: 'node_memory_utilization', metric: 'node_memory_utilization', kind: 'gauge' },
  {
    name: 'node_network_transmit_bytes_per_second',
    metric: 'node_network_transmit_bytes_per_second',
    kind: 'gauge',
  },
];

export function buildTimeseries(store: MetricStore, fromMs: number, toMs: number, stepMs = 1000): Timeseries {
  if (!(stepMs > 0)) throw new RangeError(`timeseries: stepMs must be > 0, got ${stepMs}`);
  const atMs: number[] = [];
  for (let at = fromMs; at < toMs; at += stepMs) atMs.push(at);
  const series: Record<string, Array<number | null>> = {};
  for (const column of TIMESERIES_COLUMNS) {
    if (!store.has(column.metric)) continue;
    let any = false;
    const values = atMs.map((rowStart): number | null => {
      const rowEnd = rowStart + stepMs;
      let value: number | undefined;
      if (column.kind === 'gauge') {
        const data = store.window(column.metric, {}, rowEnd - GAUGE_LOOKBACK_MS, rowEnd - 0.001);
        if (data?.type === 'gauge') value = data.last;
      } else if (column.kind === 'trend') {
        const data = store.window(column.metric, {}, rowStart, rowEnd - 0.001);
        if (data?.type === 'trend' && data.count > 0)
          value = interpolatedPercentile(sortedCopy(data.values), column.percentile);
      } else {
        const data = store.window(column.metric, {}, rowStart, rowEnd - 0.001);
        if (data?.type === 'rate') value = column.kind === 'rate-total' ? data.total : data.hits;
      }
      if (value === undefined || !Number.isFinite(value)) return null;
      any = true;
      return value;
    });
    if (any) series[column.name] = values;
  }
  return { stepMs, atMs, series };
}
