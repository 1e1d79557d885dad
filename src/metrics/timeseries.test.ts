import { describe, expect, it } from 'vitest';
import { MetricStore } from './store.js';
import { buildTimeseries } from './timeseries.js';

const T0 = 1_700_000_000_000;

describe('buildTimeseries', () => {
  it('gives one row per step: gauges with look-back, trend percentiles and counts of the row', () => {
    const store = new MetricStore();
    // A 2 s exporter gauge, a 1 s swarm gauge, and requests in the first two seconds only.
    store.addGauge('node_cpu_utilization', {}, T0 + 1900, 0.25);
    store.addGauge('node_cpu_utilization', {}, T0 + 3900, 0.5);
    for (let second = 0; second < 4; second++)
      store.addGauge('clients_active', {}, T0 + second * 1000 + 500, second);
    for (let index = 1; index <= 10; index++) {
      store.addTrend('segment_ttfb', {}, T0 + index * 10, index / 100); // row 0: 0.01..0.10
      store.addRate('request_errors', { kind: 'segment' }, T0 + index * 10, index === 10);
    }
    store.addRate('request_errors', { kind: 'manifest' }, T0 + 1500, false);

    const series = buildTimeseries(store, T0, T0 + 4000, 1000);
    expect(series.atMs).toEqual([T0, T0 + 1000, T0 + 2000, T0 + 3000]);
    expect(series.series.clients_active).toEqual([0, 1, 2, 3]);
    // The 2 s gauge fills the 1 s row after it (look-back), and is null before its first scrape.
    expect(series.series.node_cpu_utilization).toEqual([null, 0.25, 0.25, 0.5]);
    expect(series.series.segment_ttfb_p50?.[0]).toBeCloseTo(0.055, 12);
    expect(series.series.segment_ttfb_p50?.slice(1)).toEqual([null, null, null]);
    expect(series.series.requests).toEqual([10, 1, 0, 0]);
    expect(series.series.request_errors).toEqual([1, 0, 0, 0]);
    // Metrics nobody recorded are left out rather than filled with nulls.
    expect(series.series.nginx_requests_per_second).toBeUndefined();
  });

  it('rejects a step that is not positive', () => {
    expect(() => buildTimeseries(new MetricStore(), T0, T0 + 1000, 0)).toThrow(/stepMs must be > 0/);
  });
});
