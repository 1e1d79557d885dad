import { describe, expect, it } from 'vitest';
import { generatorSchema } from '../config/index.js';
import { MetricStore } from '../metrics/index.js';
import type { ThresholdResult } from './evaluate.js';
import { isLatencyMetric, judgeGeneratorHealth, markUnreliableLatency } from './generator-health.js';

const T0 = 1_700_000_000_000;
const limits = generatorSchema.parse({});
/** Host-wide figures judged too, as where the generator has its host to itself. */
const hostLimits = generatorSchema.parse({ maxCpu: 0.9, maxCpuPressure: 0.8 });
/** Ramp over at T0 + 2 s, warm-up 1 s: the steady window is [T0 + 3 s, T0 + 10 s]. */
const timeline = { startMs: T0, rampEndMs: T0 + 2000, steadyStartMs: T0 + 3000, endMs: T0 + 10_000 };

/** One gauge point per second from T0 + 1 s; `during` for the steady seconds, `before` for the ramp. */
function storeWith(gauges: Record<string, { before: number; during: number }>): MetricStore {
  const store = new MetricStore();
  for (const [name, { before, during }] of Object.entries(gauges))
    for (let second = 1; second <= 10; second++)
      store.addGauge(name, {}, T0 + second * 1000, second < 3 ? before : during);
  return store;
}

const quiet = {
  generator_cpu_utilization: { before: 0.99, during: 0.4 },
  generator_cpu_pressure: { before: 0.9, during: 0.1 },
  generator_viewer_cpu_wait: { before: 0.5, during: 0.01 },
  generator_event_loop_delay: { before: 0.4, during: 0.012 },
};

function threshold(metric: string, ok: boolean): ThresholdResult {
  return {
    metric,
    expression: 'p(95)<1',
    window: 'steady',
    observed: 1,
    ok,
    strict: true,
    abortOnFail: false,
    message: '',
    samples: 1,
  };
}

describe('judgeGeneratorHealth', () => {
  it('averages each gauge over the steady window only: a busy ramp does not count', () => {
    const judgement = judgeGeneratorHealth(storeWith(quiet), timeline, limits);
    expect(judgement).toMatchObject({
      saturated: false,
      breaches: [],
      window: { startMs: T0 + 3000, endMs: T0 + 10_000 },
    });
    expect(judgement.cpuUtilization).toBeCloseTo(0.4, 12);
    expect(judgement.cpuPressure).toBeCloseTo(0.1, 12);
    expect(judgement.viewerCpuWait).toBeCloseTo(0.01, 12);
    expect(judgement.eventLoopDelayP99Seconds).toBeCloseTo(0.012, 12);
    expect(judgement.reason).toBeUndefined();
  });

  it('names every exceeded limit with its figure, the generator’s own first, and what to do', () => {
    const store = storeWith({
      ...quiet,
      generator_viewer_cpu_wait: { before: 0, during: 0.23 },
      generator_cpu_utilization: { before: 0, during: 0.97 },
      generator_event_loop_delay: { before: 0, during: 0.25 },
    });
    const judgement = judgeGeneratorHealth(store, timeline, hostLimits);
    expect(judgement.saturated).toBe(true);
    expect(judgement.reason).toBe(
      'the load generator was saturated: viewers waited 23 % of the time for a CPU (limit 10 %), ' +
        'the event loop that timestamps viewer logs ran 250 ms late (p99, limit 100 ms), CPU 97 % busy (limit 90 %); ' +
        'reduce clients, lower timedViewers, or shard the load',
    );
    expect(judgement.breaches).toHaveLength(3);
    // By default the host-wide CPU is reported, not judged: the generator's own figures are.
    expect(judgeGeneratorHealth(store, timeline, limits).breaches).toHaveLength(2);
  });

  it('judges PSI against its own limit and honours custom limits', () => {
    const store = storeWith({ ...quiet, generator_cpu_pressure: { before: 0, during: 0.85 } });
    expect(judgeGeneratorHealth(store, timeline, hostLimits).breaches).toEqual([
      'tasks waited for a CPU 85 % of the time (PSI, limit 80 %)',
    ]);
    expect(judgeGeneratorHealth(store, timeline, limits).saturated).toBe(false);
  });

  it('leaves out what this host could not measure (no PSI, no viewers) and judges the rest', () => {
    const store = storeWith({ generator_cpu_utilization: { before: 0, during: 0.95 } });
    const judgement = judgeGeneratorHealth(store, timeline, hostLimits);
    expect(judgement).toMatchObject({
      cpuPressure: null,
      viewerCpuWait: null,
      eventLoopDelayP99Seconds: null,
    });
    expect(judgement.breaches).toEqual(['CPU 95 % busy (limit 90 %)']);
  });

  it('an empty steady window judges nothing', () => {
    const judgement = judgeGeneratorHealth(
      storeWith(quiet),
      { ...timeline, steadyStartMs: T0 + 10_000 },
      limits,
    );
    expect(judgement).toMatchObject({ saturated: false, window: null, cpuUtilization: null });
  });
});

describe('latency thresholds under a saturated generator', () => {
  it('knows the latency metrics: viewer-measured trends in seconds', () => {
    const latency = [
      'segment_ttfb',
      'segment_duration',
      'manifest_ttfb',
      'manifest_duration',
      'startup_time',
    ];
    const other = [
      'http_errors',
      'request_errors',
      'playback_speed',
      'nginx_request_time',
      'release_lateness',
    ];
    expect([...latency, 'segment_duration{kind="segment"}', ...other].filter(isLatencyMetric)).toEqual([
      ...latency,
      'segment_duration{kind="segment"}',
    ]);
  });

  it('marks only latency thresholds, and only when saturated', () => {
    const results = [
      threshold('segment_duration', false),
      threshold('http_errors', true),
      threshold('startup_time', true),
    ];
    const saturated = judgeGeneratorHealth(
      storeWith({ generator_viewer_cpu_wait: { before: 0, during: 0.5 } }),
      timeline,
      limits,
    );
    expect(markUnreliableLatency(results, saturated).map((result) => result.unreliable)).toEqual([
      true,
      undefined,
      true,
    ]);
    const healthy = judgeGeneratorHealth(storeWith(quiet), timeline, limits);
    expect(markUnreliableLatency(results, healthy).some((result) => result.unreliable)).toBe(false);
  });
});
