import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { MetricStore, type SampleEvent } from '../metrics/index.js';
import { LiveSloMonitor, type SloAbort } from './live.js';
import { compileSlo } from './parse.js';

const T0 = 1_700_000_000_000;

describe('LiveSloMonitor', () => {
  it('aborts at the first sample after the breach, once, with the reason', () => {
    const store = new MetricStore();
    const aborts: SloAbort[] = [];
    const monitor = new LiveSloMonitor(
      compileSlo({
        stalled_clients: { threshold: 'max==0', window: 'whole', abortOnFail: true },
        clients_active: 'value>100', // not abortOnFail: never aborts
      } as never),
      store,
      { timeline: () => ({ startMs: T0 }), onAbort: (abort) => aborts.push(abort), minCheckIntervalMs: 0 },
    );
    const sampler = new EventEmitter<{ sample: [SampleEvent] }>();
    monitor.attach(sampler);
    const sample = (atMs: number, stalled: number) => {
      store.addGauge('stalled_clients', {}, atMs, stalled);
      store.addGauge('clients_active', {}, atMs, 1);
      sampler.emit('sample', { atMs, source: 'swarm-tick', ok: true });
    };
    for (let second = 1; second <= 5; second++) sample(T0 + second * 1000, 0);
    expect(aborts).toHaveLength(0);
    sample(T0 + 6000, 2); // the breach
    expect(aborts).toHaveLength(1);
    expect(aborts[0]).toMatchObject({
      metric: 'stalled_clients',
      expression: 'max==0',
      observed: 2,
      atMs: T0 + 6000,
    });
    expect(aborts[0]?.reason).toMatch(/abortOnFail: stalled_clients max==0 broke at .*max=2/);
    sample(T0 + 7000, 3);
    expect(aborts).toHaveLength(1);
    expect(sampler.listenerCount('sample')).toBe(0);
    expect(monitor.aborted?.atMs).toBe(T0 + 6000);
  });

  it('waits for delayAbortEval and for the steady window', () => {
    const store = new MetricStore();
    const aborts: SloAbort[] = [];
    let steadyStartMs: number | undefined;
    const monitor = new LiveSloMonitor(
      compileSlo({
        segment_ttfb: [
          { threshold: 'p(95)<0.5', abortOnFail: true, delayAbortEval: '10s', window: 'whole' },
          { threshold: 'max<1', abortOnFail: true }, // steady
        ],
      } as never),
      store,
      {
        timeline: () => ({ startMs: T0, steadyStartMs }),
        onAbort: (abort) => aborts.push(abort),
        minCheckIntervalMs: 0,
      },
    );
    store.addTrend('segment_ttfb', {}, T0 + 1000, 0.8); // slow during the ramp
    expect(monitor.check(T0 + 2000)).toBeUndefined(); // delayAbortEval not over; steady unknown
    steadyStartMs = T0 + 5000;
    store.addTrend('segment_ttfb', {}, T0 + 6000, 0.1);
    expect(monitor.check(T0 + 7000)).toBeUndefined(); // steady max is 0.1
    const abort = monitor.check(T0 + 10_000); // the whole-run p95 is now judged
    expect(abort).toMatchObject({ expression: 'p(95)<0.5', window: 'whole' });
    expect(aborts).toHaveLength(1);
  });

  it('judges a sliding threshold on the trailing window, and never aborts on missing data', () => {
    const store = new MetricStore();
    const aborts: SloAbort[] = [];
    const makeMonitor = () =>
      new LiveSloMonitor(
        compileSlo({
          request_errors: { threshold: 'rate<0.1', abortOnFail: true, window: '5s' },
          node_cpu_utilization: { threshold: 'max<0.9', abortOnFail: true, window: 'whole' },
        } as never),
        store,
        {
          timeline: () => ({ startMs: T0, steadyStartMs: T0 }),
          onAbort: (abort) => aborts.push(abort),
          minCheckIntervalMs: 0,
        },
      );
    const monitor = makeMonitor();
    // 50 % errors early, then none: the trailing 5 s window is clean by t = 16 s.
    for (let index = 0; index < 100; index++)
      store.addRate('request_errors', {}, T0 + index * 100, index % 2 === 0);
    for (let index = 0; index < 100; index++)
      store.addRate('request_errors', {}, T0 + 10_000 + index * 100, false);
    expect(monitor.check(T0 + 3000)).toBeUndefined(); // the first full window ends at 5 s
    expect(monitor.check(T0 + 16_000)).toBeUndefined(); // trailing window [11 s, 16 s] is clean
    expect(aborts).toHaveLength(0);
    const abort = makeMonitor().check(T0 + 9000); // trailing [4 s, 9 s]: 26 of 51 failed
    expect(abort).toMatchObject({ metric: 'request_errors', observed: 26 / 51 });
    expect(aborts).toHaveLength(1);
  });

  it('a sample too soon after a check is checked when the interval is over, not dropped', async () => {
    const store = new MetricStore();
    const aborts: SloAbort[] = [];
    const startMs = Date.now();
    const monitor = new LiveSloMonitor(
      compileSlo({ stalled_clients: { threshold: 'max==0', window: 'whole', abortOnFail: true } }),
      store,
      { timeline: () => ({ startMs }), onAbort: (abort) => aborts.push(abort), minCheckIntervalMs: 100 },
    );
    const sampler = new EventEmitter<{ sample: [SampleEvent] }>();
    monitor.attach(sampler);
    store.addGauge('stalled_clients', {}, Date.now(), 0);
    sampler.emit('sample', { atMs: Date.now(), source: 'swarm-tick', ok: true }); // checked: fine
    store.addGauge('stalled_clients', {}, Date.now(), 4);
    sampler.emit('sample', { atMs: Date.now(), source: 'swarm-tick', ok: true }); // too soon: deferred
    expect(aborts).toHaveLength(0);
    const deadline = Date.now() + 2000;
    while (aborts.length === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(aborts).toHaveLength(1);
    expect(aborts[0]?.observed).toBe(4);
    monitor.detach();
  });
});
