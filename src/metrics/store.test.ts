import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseExposition } from './exposition.js';
import { TimedValues } from './series.js';
import { counterDelta, MetricStore } from './store.js';

// Recorded by fixtures/record/exporter-scrapes.sh.
const scrape = (name: string) =>
  parseExposition(readFileSync(new URL(`../../fixtures/exporters/${name}`, import.meta.url), 'utf8'));
const scrapedValue = (name: string, metric: string, labels: Record<string, string> = {}) => {
  const sample = scrape(name).samples.find(
    (s) => s.name === metric && Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  );
  if (!sample) throw new Error(`${metric} not in ${name}`);
  return sample.value;
};

const T0 = 1_700_000_000_000;

describe('TimedValues', () => {
  it('keeps values sorted by time when one arrives late, and finds windows', () => {
    const series = new TimedValues(2);
    for (const [at, value] of [
      [10, 1],
      [30, 3],
      [20, 2],
      [40, 4],
      [5, 0.5],
    ] as const)
      series.push(at, value);
    expect([...series.times()]).toEqual([5, 10, 20, 30, 40]);
    expect([...series.values()]).toEqual([0.5, 1, 2, 3, 4]);
    expect(series.range(10, 30)).toEqual([1, 4]);
    expect(series.range(11, 19)).toEqual([2, 2]);
  });
});

describe('counters', () => {
  it('treats a drop as a reset to zero', () => {
    expect(counterDelta(10, 15)).toBe(5);
    expect(counterDelta(110, 7)).toBe(7);
  });

  it('sums increases across a reset within a window, with the point before the window as baseline', () => {
    const store = new MetricStore();
    for (const [at, value] of [
      [0, 100],
      [1000, 120],
      [2000, 150],
      [3000, 4], // process restarted
      [4000, 10],
    ] as const)
      store.addCounter('c', {}, T0 + at, value);
    const whole = store.window('c', {}, T0, T0 + 4000);
    expect(whole).toMatchObject({ type: 'counter', increase: 20 + 30 + 4 + 6, count: 5 });
    const late = store.window('c', {}, T0 + 2500, T0 + 4000);
    expect(late).toMatchObject({ increase: 4 + 6, count: 2 });
    const empty = store.window('c', {}, T0 + 5000, T0 + 6000);
    expect(empty).toMatchObject({ count: 0, zeroBased: false });
  });

  it('event counters start from zero and exist as 0 for any label filter', () => {
    const store = new MetricStore();
    store.declare('http_errors', 'counter', T0);
    store.incrementCounter('http_errors', { status: '404' }, T0 + 100);
    store.incrementCounter('http_errors', { status: '404' }, T0 + 200);
    store.incrementCounter('http_errors', { status: '503' }, T0 + 300);
    expect(store.window('http_errors', {}, T0, T0 + 1000)).toMatchObject({ increase: 3 });
    expect(store.window('http_errors', { status: '404' }, T0, T0 + 1000)).toMatchObject({ increase: 2 });
    expect(store.window('http_errors', { status: '500' }, T0, T0 + 1000)).toMatchObject({
      increase: 0,
      count: 0,
      zeroBased: true,
    });
    expect(store.window('http_errors', { status: '404' }, T0 + 150, T0 + 1000)).toMatchObject({
      increase: 1,
    });
  });

  it('event counters sum exactly when events arrive out of time order', () => {
    const store = new MetricStore();
    store.declare('restarts', 'counter', T0);
    for (const at of [500, 100, 300, 200]) store.incrementCounter('restarts', {}, T0 + at);
    expect(store.window('restarts', {}, T0, T0 + 1000)).toMatchObject({ increase: 4, count: 4 });
    expect(store.window('restarts', {}, T0 + 150, T0 + 350)).toMatchObject({ increase: 2 });
  });
});

describe('nginx-exporter scrapes (recorded, with an nginx restart)', () => {
  const store = new MetricStore();
  store.ingestScrape('nginx', 'nginx', scrape('nginx-exporter-1.prom'), T0);
  store.ingestScrape('nginx', 'nginx', scrape('nginx-exporter-2.prom'), T0 + 2000);
  store.ingestScrape('nginx', 'nginx', scrape('nginx-exporter-3-after-restart.prom'), T0 + 4000);

  it('derives requests per second between scrapes, handling the reset', () => {
    const r1 = scrapedValue('nginx-exporter-1.prom', 'nginx_http_requests_total');
    const r2 = scrapedValue('nginx-exporter-2.prom', 'nginx_http_requests_total');
    const r3 = scrapedValue('nginx-exporter-3-after-restart.prom', 'nginx_http_requests_total');
    expect(r3).toBeLessThan(r2); // the recording did restart nginx
    const rps = store.window('nginx_requests_per_second', {}, T0, T0 + 4000);
    expect(rps?.type).toBe('gauge');
    if (rps?.type !== 'gauge') return;
    expect([...rps.values]).toEqual([(r2 - r1) / 2, r3 / 2]);
    expect(rps.values.every((value) => value >= 0)).toBe(true);
  });

  it('keeps raw samples with a target label and counts the raw counter across the reset', () => {
    const r1 = scrapedValue('nginx-exporter-1.prom', 'nginx_http_requests_total');
    const r2 = scrapedValue('nginx-exporter-2.prom', 'nginx_http_requests_total');
    const r3 = scrapedValue('nginx-exporter-3-after-restart.prom', 'nginx_http_requests_total');
    expect(store.window('nginx_http_requests_total', { target: 'nginx' }, T0, T0 + 4000)).toMatchObject({
      type: 'counter',
      increase: r2 - r1 + r3,
    });
    expect(store.window('nginx_connections_active', {}, T0, T0 + 4000)).toMatchObject({
      type: 'gauge',
      last: scrapedValue('nginx-exporter-3-after-restart.prom', 'nginx_connections_active'),
    });
  });

  it('derives dropped connections as accepted − handled', () => {
    const dropped = store.seriesOf('nginx_dropped_connections')[0]?.data;
    const expected = [
      'nginx-exporter-1.prom',
      'nginx-exporter-2.prom',
      'nginx-exporter-3-after-restart.prom',
    ].map(
      (name) =>
        scrapedValue(name, 'nginx_connections_accepted') - scrapedValue(name, 'nginx_connections_handled'),
    );
    expect([...(dropped?.values() ?? [])]).toEqual(expected);
  });
});

describe('node-exporter scrapes (recorded)', () => {
  const store = new MetricStore();
  store.ingestScrape('node', 'node', scrape('node-exporter-1.prom'), T0);
  store.ingestScrape('node', 'node', scrape('node-exporter-2.prom'), T0 + 2500);

  it('computes CPU utilisation from deltas between scrapes, not since boot', () => {
    const cpu = (name: string) =>
      scrape(name).samples.filter((sample) => sample.name === 'node_cpu_seconds_total');
    const before = cpu('node-exporter-1.prom');
    const after = cpu('node-exporter-2.prom');
    let idle = 0;
    let all = 0;
    for (const sample of after) {
      const previous = before.find(
        (b) => b.labels.cpu === sample.labels.cpu && b.labels.mode === sample.labels.mode,
      ) as (typeof before)[number];
      all += sample.value - previous.value;
      if (sample.labels.mode === 'idle') idle += sample.value - previous.value;
    }
    const sinceBoot =
      1 -
      after.filter((s) => s.labels.mode === 'idle').reduce((sum, s) => sum + s.value, 0) /
        after.reduce((sum, s) => sum + s.value, 0);
    const utilization = store.window('node_cpu_utilization', {}, T0, T0 + 2500);
    expect(utilization?.type).toBe('gauge');
    if (utilization?.type !== 'gauge') return;
    expect(utilization.count).toBe(1); // the first scrape has nothing to compare with
    expect(utilization.last).toBeCloseTo(1 - idle / all, 12);
    expect(utilization.last).toBeGreaterThan(0);
    expect(utilization.last).toBeLessThanOrEqual(1);
    expect(utilization.last).not.toBeCloseTo(sinceBoot, 6);
  });

  it('computes memory utilisation and loopback transmit bytes per second', () => {
    const memory = store.window('node_memory_utilization', {}, T0, T0 + 2500);
    const expected =
      1 -
      scrapedValue('node-exporter-2.prom', 'node_memory_MemAvailable_bytes') /
        scrapedValue('node-exporter-2.prom', 'node_memory_MemTotal_bytes');
    expect(memory).toMatchObject({ type: 'gauge', count: 2, last: expected });
    const lo = store.window('node_network_transmit_bytes_per_second', { device: 'lo' }, T0, T0 + 2500);
    const loBytes =
      scrapedValue('node-exporter-2.prom', 'node_network_transmit_bytes_total', { device: 'lo' }) -
      scrapedValue('node-exporter-1.prom', 'node_network_transmit_bytes_total', { device: 'lo' });
    expect(lo).toMatchObject({ type: 'gauge', last: loBytes / 2.5 });
    expect(loBytes).toBeGreaterThan(0);
    // Without a filter, devices are summed per scrape.
    const all = store.window('node_network_transmit_bytes_per_second', {}, T0, T0 + 2500);
    expect(all?.type === 'gauge' && (all.last as number) >= loBytes / 2.5).toBe(true);
  });
});

describe('trends', () => {
  it('filters by labels and by window, exactly', () => {
    const store = new MetricStore();
    store.addTrend('nginx_request_time', { kind: 'segment' }, T0 + 10, 0.1);
    store.addTrend('nginx_request_time', { kind: 'manifest' }, T0 + 20, 0.2);
    store.addTrend('nginx_request_time', { kind: 'segment' }, T0 + 30, 0.3);
    store.addTrend('nginx_request_time', { kind: 'segment' }, T0 + 30, Number.NaN); // dropped
    const segments = store.window('nginx_request_time', { kind: 'segment' }, T0, T0 + 100);
    expect(segments?.type === 'trend' && [...segments.values]).toEqual([0.1, 0.3]);
    const all = store.window('nginx_request_time', {}, T0 + 15, T0 + 30);
    expect(all?.type === 'trend' && [...all.values].sort()).toEqual([0.2, 0.3]);
    expect(store.window('nginx_request_time', { kind: 'other' }, T0, T0 + 100)).toBeUndefined();
    expect(store.window('nope', {}, T0, T0 + 100)).toBeUndefined();
  });

  it('holds 1000 viewers x 10 minutes of requests in a few tens of MB', () => {
    const store = new MetricStore();
    // ~1000 viewers, a segment and a playlist every 2 s for 10 min = 300k of each.
    for (let index = 0; index < 300_000; index++) {
      const at = T0 + index * 2;
      store.addTrend('segment_ttfb', {}, at, 0.01);
      store.addTrend('segment_duration', {}, at, 0.05);
      store.addRate('request_errors', { kind: 'segment' }, at, false);
    }
    expect(store.byteLength).toBeLessThan(40 * 1024 * 1024);
    expect(store.window('segment_ttfb', {}, T0, T0 + 600_000)?.count).toBe(300_000);
  });
});
