import { describe, expect, it } from 'vitest';
import { nearestRankPercentile } from '../system/index.js';
import { exportMergeable, importMergeable, mergedTrendDistribution } from './mergeable.js';
import { MetricStore } from './store.js';

/*
 * Three shards' stores, exported to JSON and merged, against one store that saw every value:
 * trends within HDR precision (3 significant digits), rates and event counters exact, gauges
 * summed per whole second. The values are a deterministic spread (a long-tailed mix like segment
 * download times), so percentiles are not trivially equal.
 */

const T0 = 1_795_860_000_000;

function durationOf(n: number): number {
  // 0.05–0.45 s for most requests, a tail up to ~3 s every 37th.
  const base = 0.05 + ((n * 7919) % 400) / 1000;
  return n % 37 === 0 ? base * 7 : base;
}

function shardStores(): { whole: MetricStore; shards: MetricStore[] } {
  const whole = new MetricStore();
  const shards = [new MetricStore(), new MetricStore(), new MetricStore()];
  for (const store of [whole, ...shards]) store.declare('http_errors', 'counter', T0);
  for (let n = 0; n < 3000; n++) {
    const shard = shards[n % 3] as MetricStore;
    const atMs = T0 + n * 20 + (n % 7);
    for (const store of [whole, shard]) {
      store.addTrend('segment_duration', {}, atMs, durationOf(n));
      store.addRate('request_errors', { kind: 'segment' }, atMs, n % 50 === 0);
      if (n % 50 === 0) store.incrementCounter('http_errors', { status: '404', kind: 'segment' }, atMs);
    }
  }
  // Each shard samples its clients_active once a second, at its own offset within the second.
  for (const [index, shard] of shards.entries())
    for (let second = 0; second < 60; second++)
      shard.addGauge('clients_active', {}, T0 + second * 1000 + 137 * index, 10 + index);
  return { whole, shards };
}

function roundTrip(shards: MetricStore[]): MetricStore {
  const merged = new MetricStore();
  for (const [index, shard] of shards.entries())
    importMergeable(merged, JSON.parse(JSON.stringify(exportMergeable(shard))), { shard: String(index) });
  return merged;
}

describe('mergeable stores', () => {
  it('trend percentiles of the merged shards equal the whole run’s within HDR precision', () => {
    const { whole, shards } = shardStores();
    const merged = roundTrip(shards);
    const from = T0 - 1000;
    const to = T0 + 70_000;
    const exact = Float64Array.from(
      whole.window('segment_duration', {}, from, to)?.type === 'trend'
        ? (whole.window('segment_duration', {}, from, to) as { values: Float64Array }).values
        : [],
    ).sort();
    const pooled = merged.window('segment_duration', {}, from, to);
    expect(pooled?.type).toBe('trend');
    const values = Float64Array.from((pooled as { values: Float64Array }).values).sort();
    expect(values.length).toBe(3000);
    for (const q of [50, 90, 95, 99, 100]) {
      const want = nearestRankPercentile(exact, q);
      const got = nearestRankPercentile(values, q);
      expect(Math.abs(got - want) / want).toBeLessThanOrEqual(0.001);
    }
    const distribution = mergedTrendDistribution(
      shards.map((shard) => exportMergeable(shard)),
      'segment_duration',
    );
    expect(distribution.count).toBe(3000);
    expect(distribution.summary().max).toBe(exact.at(-1));
    expect(
      Math.abs(distribution.percentile(95) - nearestRankPercentile(exact, 95)) /
        nearestRankPercentile(exact, 95),
    ).toBeLessThanOrEqual(0.001);
  });

  it('rates and event counters merge exactly; a window cuts on whole seconds', () => {
    const { whole, shards } = shardStores();
    const merged = roundTrip(shards);
    const from = T0;
    const to = T0 + 30_000 - 1;
    const rate = merged.window('request_errors', { kind: 'segment' }, from, to);
    const wholeRate = whole.window('request_errors', { kind: 'segment' }, from, to);
    expect(rate).toMatchObject({
      type: 'rate',
      hits: (wholeRate as { hits: number }).hits,
      total: (wholeRate as { total: number }).total,
    });
    const errors = merged.window('http_errors', { status: '404' }, T0 - 1000, T0 + 70_000);
    expect(errors).toMatchObject({ type: 'counter', increase: 60, zeroBased: true });
  });

  it('gauges sum over shards per whole second, whatever each shard’s sampling offset', () => {
    const { shards } = shardStores();
    const merged = roundTrip(shards);
    const gauge = merged.window('clients_active', {}, T0, T0 + 59_999);
    expect(gauge?.type).toBe('gauge');
    const values = [...(gauge as { values: Float64Array }).values];
    expect(values.length).toBe(60);
    expect(new Set(values)).toEqual(new Set([33]));
  });

  it('a trend with a negative value travels raw, exactly', () => {
    const store = new MetricStore();
    store.addTrend('release_lateness', {}, T0, -0.004);
    store.addTrend('release_lateness', {}, T0 + 5, 0.012);
    const exported = exportMergeable(store);
    expect(exported.metrics[0]?.series[0]?.encoding).toBe('raw');
    const merged = roundTrip([store]);
    expect([
      ...(merged.window('release_lateness', {}, T0, T0 + 10) as { values: Float64Array }).values,
    ]).toEqual([-0.004, 0.012]);
  });
});
