import { describe, expect, it } from 'vitest';
import { MetricStore } from '../metrics/index.js';
import { seededRandom } from '../system/index.js';
import { evaluateThresholds, type RunTimeline, slidingWindowStarts, thresholdsPassed } from './evaluate.js';
import { compileSlo } from './parse.js';

const T0 = 1_700_000_000_000;

/** Deterministic PRNG, so a failure can be replayed. */
const random = seededRandom;

/** Reference percentile: plain JS sort, then linear interpolation between closest ranks. */
function referencePercentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (q / 100) * (sorted.length - 1);
  const low = sorted[Math.floor(rank)] as number;
  const high = sorted[Math.ceil(rank)] as number;
  return low + (high - low) * (rank - Math.floor(rank));
}

function evaluateOne(
  store: MetricStore,
  metric: string,
  spec: unknown,
  timeline: RunTimeline = { startMs: T0, endMs: T0 + 60_000 },
) {
  const [result] = evaluateThresholds(compileSlo({ [metric]: spec } as never), store, timeline);
  if (!result) throw new Error('no result');
  return result;
}

describe('trend aggregations are exact', () => {
  it('matches a sort-based reference on random data, whatever the arrival order', () => {
    const next = random(42);
    for (let round = 0; round < 5; round++) {
      const store = new MetricStore();
      const inWindow: number[] = [];
      const count = 1 + Math.floor(next() * 5000);
      for (let index = 0; index < count; index++) {
        // Log-normal-ish latencies, timestamps out of order, some outside the window.
        const value = Math.exp(next() * 6 - 5);
        const at = T0 - 5000 + Math.floor(next() * 70_000);
        store.addTrend('segment_ttfb', {}, at, value);
        if (at >= T0 && at <= T0 + 60_000) inWindow.push(value);
      }
      for (const q of [0, 50, 90, 95, 99, 99.9, 100]) {
        const result = evaluateOne(store, 'segment_ttfb', { threshold: `p(${q})<1000`, window: 'whole' });
        if (inWindow.length === 0) expect(result.ok).toBe(false);
        else expect(result.observed).toBe(referencePercentile(inWindow, q));
      }
      if (inWindow.length === 0) continue;
      const sum = inWindow.reduce((a, b) => a + b, 0);
      const whole = (expression: string) =>
        evaluateOne(store, 'segment_ttfb', { threshold: expression, window: 'whole' }).observed;
      expect(whole('avg<1000')).toBeCloseTo(sum / inWindow.length, 10);
      expect(whole('med<1000')).toBe(referencePercentile(inWindow, 50));
      expect(whole('min<1000')).toBe(Math.min(...inWindow));
      expect(whole('max<1000')).toBe(Math.max(...inWindow));
      expect(whole('count<100000')).toBe(inWindow.length);
    }
  });

  it('ok means the threshold held, never inverted', () => {
    const store = new MetricStore();
    for (let index = 0; index < 100; index++)
      store.addTrend('segment_ttfb', {}, T0 + index * 100, index / 100);
    const pass = evaluateOne(store, 'segment_ttfb', { threshold: 'p(95)<1', window: 'whole' });
    expect(pass).toMatchObject({
      ok: true,
      observed: referencePercentile(
        [...Array(100).keys()].map((i) => i / 100),
        95,
      ),
    });
    const fail = evaluateOne(store, 'segment_ttfb', { threshold: 'p(95)<500ms', window: 'whole' });
    expect(fail.ok).toBe(false);
    expect(fail.message).toMatch(/p\(95\)=0\.9405 over the whole window .* breaks p\(95\)<500ms/);
  });
});

describe('windows and missing data', () => {
  it('fails a threshold on a metric that does not exist, saying so', () => {
    const result = evaluateOne(new MetricStore(), 'segment_ttfb', 'p(95)<1');
    expect(result).toMatchObject({ ok: false, observed: null });
    expect(result.message).toMatch(
      /metric "segment_ttfb" does not exist in this run \(no swarm was attached to the sampler\)/,
    );
    const log = evaluateOne(new MetricStore(), 'nginx_request_time', 'p(95)<1');
    expect(log.message).toMatch(/the origin gave no JSON access log/);
  });

  it('a declared metric that never got a sample (an exporter that never answered) has no samples', () => {
    const store = new MetricStore();
    store.declare('nginx_requests_per_second', 'gauge');
    const result = evaluateOne(store, 'nginx_requests_per_second', 'max<100');
    expect(result).toMatchObject({ ok: false, observed: null });
    expect(result.message).toMatch(/^FAILED: no samples in the window/);
  });

  it('fails a threshold whose window has no samples', () => {
    const store = new MetricStore();
    store.addTrend('startup_time', {}, T0 + 1000, 1.2); // only during the ramp
    const result = evaluateOne(store, 'startup_time', 'max<5', {
      startMs: T0,
      steadyStartMs: T0 + 10_000,
      endMs: T0 + 60_000,
    });
    expect(result).toMatchObject({ ok: false, observed: null, samples: 0 });
    expect(result.message).toMatch(/no samples in the window \(steady window/);
    expect(evaluateOne(store, 'startup_time', { threshold: 'max<5', window: 'whole' }).ok).toBe(true);
  });

  it('fails when the steady window is empty', () => {
    const store = new MetricStore();
    store.addGauge('clients_active', {}, T0 + 1000, 5);
    const result = evaluateOne(store, 'clients_active', 'value>0', {
      startMs: T0,
      steadyStartMs: T0 + 70_000,
      endMs: T0 + 60_000,
    });
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/the steady window is empty/);
  });

  it('steady starts at steadyStartMs, else at the ramp end', () => {
    const store = new MetricStore();
    store.addGauge('clients_active', {}, T0 + 1000, 1);
    store.addGauge('clients_active', {}, T0 + 20_000, 10);
    const timeline = { startMs: T0, rampEndMs: T0 + 10_000, endMs: T0 + 60_000 };
    expect(evaluateOne(store, 'clients_active', 'min>=10', timeline).ok).toBe(true);
    expect(evaluateOne(store, 'clients_active', { threshold: 'min>=10', window: 'whole' }, timeline).ok).toBe(
      false,
    );
  });

  it('fails a label filter that matches no series, and a scraped metric used with the wrong aggregation', () => {
    const store = new MetricStore();
    store.addTrend('nginx_request_time', { kind: 'segment' }, T0 + 10, 0.1);
    expect(evaluateOne(store, 'nginx_request_time{kind="manifest"}', 'p(95)<1').message).toMatch(
      /no series of nginx_request_time\{kind="manifest"\} matches/,
    );
    store.addCounter('nginx_http_requests_total', { target: 'nginx' }, T0 + 10, 5);
    const result = evaluateOne(store, 'nginx_http_requests_total', 'p(95)<1');
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/p\(95\) does not apply to nginx_http_requests_total, a counter/);
  });
});

describe('counters, rates and gauges', () => {
  it('counts across a counter reset, and per second', () => {
    const store = new MetricStore();
    const values = [50, 60, 75, 3, 9]; // the origin restarted between the 3rd and 4th scrape
    for (const [index, value] of values.entries())
      store.addCounter('nginx_dropped_connections', {}, T0 + index * 10_000, value);
    const count = evaluateOne(store, 'nginx_dropped_connections', { threshold: 'count<20', window: 'whole' });
    expect(count).toMatchObject({ observed: 10 + 15 + 3 + 6, ok: false });
    const rate = evaluateOne(store, 'nginx_dropped_connections', { threshold: 'rate<1', window: 'whole' });
    expect(rate.observed).toBeCloseTo(34 / 60, 12);
  });

  it('http_errors{status} is 0 when that status never happened', () => {
    const store = new MetricStore();
    store.declare('http_errors', 'counter', T0);
    store.incrementCounter('http_errors', { status: '503', kind: 'segment' }, T0 + 5000);
    expect(
      evaluateOne(store, 'http_errors{status="404"}', { threshold: 'count==0', window: 'whole' }),
    ).toMatchObject({
      ok: true,
      observed: 0,
    });
    expect(evaluateOne(store, 'http_errors', { threshold: 'count==0', window: 'whole' })).toMatchObject({
      ok: false,
      observed: 1,
    });
  });

  it('rate is failed / all', () => {
    const store = new MetricStore();
    for (let index = 0; index < 1000; index++)
      store.addRate(
        'request_errors',
        { kind: index % 2 ? 'segment' : 'manifest' },
        T0 + index,
        index % 100 === 1,
      );
    expect(evaluateOne(store, 'request_errors', { threshold: 'rate<0.001', window: 'whole' })).toMatchObject({
      observed: 0.01,
      ok: false,
    });
    expect(
      evaluateOne(store, 'request_errors{kind="manifest"}', { threshold: 'rate==0', window: 'whole' }),
    ).toMatchObject({ observed: 0, ok: true });
  });

  it('gauges: value is the last point, min/max/avg over the window', () => {
    const store = new MetricStore();
    for (const [index, value] of [3, 9, 6].entries())
      store.addGauge('stalled_clients', {}, T0 + index * 1000, value);
    const observe = (expression: string) =>
      evaluateOne(store, 'stalled_clients', { threshold: expression, window: 'whole' }).observed;
    expect([observe('value<1'), observe('min<1'), observe('max<1'), observe('avg<1')]).toEqual([6, 3, 9, 6]);
  });

  it('strict: false reports without failing the gate', () => {
    const store = new MetricStore();
    store.addGauge('clients_active', {}, T0 + 1000, 0);
    const results = evaluateThresholds(
      compileSlo({ clients_active: { threshold: 'value>0', window: 'whole', strict: false } } as never),
      store,
      { startMs: T0, endMs: T0 + 60_000 },
    );
    expect(results[0]).toMatchObject({ ok: false, strict: false });
    expect(thresholdsPassed(results)).toBe(true);
  });
});

describe('sliding windows', () => {
  it('cover the range with every window', () => {
    expect(slidingWindowStarts(0, 5000, 10_000)).toEqual([0]);
    const starts = slidingWindowStarts(0, 12_500, 10_000);
    expect(starts).toEqual([0, 1000, 2000, 2500]);
  });

  it('catch a late collapse that the whole-run average hides', () => {
    const store = new MetricStore();
    // 60 s of segments: 0.1 s each, until the last 8 s where they take 2 s.
    for (let second = 0; second < 60; second++)
      for (let index = 0; index < 10; index++)
        store.addTrend('segment_duration', {}, T0 + second * 1000 + index * 100, second >= 52 ? 2 : 0.1);
    const timeline = { startMs: T0, steadyStartMs: T0, endMs: T0 + 60_000 };
    const steady = evaluateOne(store, 'segment_duration', 'avg<0.5', timeline);
    expect(steady.ok).toBe(true);
    expect(steady.observed).toBeCloseTo((52 * 0.1 + 8 * 2) / 60, 10);
    const sliding = evaluateOne(store, 'segment_duration', { threshold: 'avg<0.5', window: '10s' }, timeline);
    expect(sliding.ok).toBe(false);
    expect(sliding.windowsFailed).toBeGreaterThan(0);
    expect(sliding.windowStartMs).toBe(T0 + 50_000); // the worst one is the last
    expect(sliding.observed).toBeCloseTo((2 * 0.1 * 10 + 8 * 2 * 10) / 100, 6);
    expect(sliding.message).toMatch(/worst 10s window .* windows break avg<0.5/);
  });

  it('report the window closest to the bound when all hold, and fail when none has samples', () => {
    const store = new MetricStore();
    for (let second = 0; second < 30; second++)
      store.addGauge('clients_active', {}, T0 + second * 1000, 10 + second);
    const timeline = { startMs: T0, steadyStartMs: T0, endMs: T0 + 30_000 };
    const held = evaluateOne(store, 'clients_active', { threshold: 'min>5', window: '10s' }, timeline);
    expect(held).toMatchObject({ ok: true, observed: 10, windowsFailed: 0 });
    const none = evaluateOne(store, 'stalled_clients', { threshold: 'max==0', window: '10s' }, timeline);
    expect(none.ok).toBe(false);
    store.declare('stalled_clients', 'gauge');
    const empty = evaluateOne(store, 'stalled_clients', { threshold: 'max==0', window: '10s' }, timeline);
    expect(empty.ok).toBe(false);
    expect(empty.message).toMatch(/in any 10s window/);
  });
});
