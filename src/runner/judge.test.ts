import { describe, expect, it } from 'vitest';
import { generatorSchema, parseScenario } from '../config/index.js';
import { MetricStore } from '../metrics/index.js';
import { compileSlo } from '../slo/index.js';
import { assembleReport } from './assemble.js';
import { judge } from './judge.js';

const T0 = 1_700_000_000_000;
/** Ramp over at T0 + 2 s, warm-up 1 s: the steady window is [T0 + 3 s, T0 + 10 s]. */
const timeline = { startMs: T0, rampEndMs: T0 + 2000, steadyStartMs: T0 + 3000, endMs: T0 + 10_000 };
const limits = generatorSchema.parse({});

/** Segments of `seconds` each second; viewers waiting `wait` of the time for a CPU. */
function storeWith(seconds: number, wait: number, errors = 0): MetricStore {
  const store = new MetricStore();
  store.declare('segment_duration', 'trend');
  store.declare('http_errors', 'counter', T0);
  for (let second = 1; second <= 10; second++) {
    const atMs = T0 + second * 1000;
    store.addTrend('segment_duration', {}, atMs, seconds);
    store.addGauge('generator_viewer_cpu_wait', {}, atMs, wait);
    if (second === 5 && errors > 0) store.incrementCounter('http_errors', { status: '404' }, atMs, errors);
  }
  return store;
}

const compiled = compileSlo({ segment_duration: 'p(95)<1s', http_errors: 'count==0' });

describe('judge', () => {
  it('passes when every strict threshold holds and the generator was healthy', () => {
    const judgement = judge({ compiled, store: storeWith(0.2, 0.01), timeline, generatorLimits: limits });
    expect(judgement.verdict).toBe('pass');
    expect(judgement.reason).toBeUndefined();
    expect(judgement.thresholds.map((t) => [t.metric, t.ok])).toEqual([
      ['segment_duration', true],
      ['http_errors', true],
    ]);
    expect(judgement.generator?.saturated).toBe(false);
  });

  it('fails naming the strict thresholds that broke', () => {
    const judgement = judge({ compiled, store: storeWith(2, 0.01, 3), timeline, generatorLimits: limits });
    expect(judgement.verdict).toBe('fail');
    expect(judgement.reason).toBe(
      '2 strict thresholds failed: segment_duration p(95)<1s, http_errors count==0',
    );
  });

  it('is inconclusive when a saturated generator explains the broken latency, with both reasons', () => {
    const judgement = judge({
      compiled,
      store: storeWith(2, 0.5),
      timeline,
      generatorLimits: limits,
      sloAbort: { reason: 'abortOnFail: segment_duration p(95)<1s' },
    });
    expect(judgement.verdict).toBe('inconclusive');
    expect(judgement.reason).toMatch(
      /^aborted early: abortOnFail: segment_duration p\(95\)<1s; the load generator was saturated: viewers waited 50 %/,
    );
    expect(judgement.thresholds.find((t) => t.metric === 'segment_duration')?.unreliable).toBe(true);
    expect(judgement.thresholds.find((t) => t.metric === 'http_errors')?.unreliable).toBeUndefined();
  });

  it('keeps interrupted and error runs as they are, with their thresholds judged so far', () => {
    const store = storeWith(2, 0.01);
    const interrupted = judge({
      compiled,
      store,
      timeline,
      generatorLimits: limits,
      interruptedReason: 'interrupted: SIGTERM',
      error: new Error('later'),
    });
    expect(interrupted).toMatchObject({ verdict: 'interrupted', reason: 'interrupted: SIGTERM' });
    expect(interrupted.thresholds).toHaveLength(2);
    const failed = judge({
      compiled,
      store,
      timeline,
      generatorLimits: limits,
      error: new Error('origin died\nstack'),
    });
    expect(failed).toMatchObject({ verdict: 'error', reason: 'origin died' });
  });

  it('judges nothing when sampling never began', () => {
    const judgement = judge({ compiled, timeline, generatorLimits: limits, error: new Error('no ffmpeg') });
    expect(judgement).toEqual({ thresholds: [], verdict: 'error', reason: 'no ffmpeg' });
  });
});

describe('assembleReport', () => {
  const scenario = parseScenario({
    name: 'assembled',
    origin: { kind: 'python', port: 0 },
    swarm: { clients: 2, duration: '10s', headers: { Authorization: 'Bearer secret' } },
    slo: { segment_duration: 'p(95)<1s' },
  });
  const marks = {
    startMs: T0 - 5000,
    swarmStartMs: T0,
    rampEndMs: T0 + 2000,
    swarmEndMs: T0 + 10_500,
    endMs: T0 + 11_000,
  };

  it('lays the timeline out from the marks (actions in time order) and redacts the scenario', () => {
    const report = assembleReport({
      scenario,
      source: { file: 'scenarios/x.load.ts', test: 'assembled' },
      marks,
      steadyStartMs: T0 + 3000,
      plannedSeconds: 10,
      actions: [
        { name: 'second', atMs: T0 + 6000, ok: true },
        { name: 'first', atMs: T0 + 4000, ok: false, error: 'boom' },
      ],
      origin: null,
      judgement: { thresholds: [], verdict: 'pass' },
      timeseries: null,
      scrapes: {},
    });
    expect(report.timeline).toMatchObject({
      startMs: T0 - 5000,
      swarmStartMs: T0,
      rampEndMs: T0 + 2000,
      steadyStartMs: T0 + 3000,
      endMs: T0 + 11_000,
      durationSeconds: 16,
      plannedSwarmSeconds: 10,
    });
    expect(report.timeline.actions.map((action) => action.name)).toEqual(['first', 'second']);
    expect(report.swarm).toBeNull();
    expect(report.scenario.file).toBe('scenarios/x.load.ts');
    expect(JSON.stringify(report)).not.toContain('Bearer secret');
  });

  it('keeps a stack only for errors that are not the user’s to fix', () => {
    const base = {
      scenario,
      marks,
      plannedSeconds: 10,
      actions: [],
      origin: null,
      judgement: { thresholds: [], verdict: 'error' as const, reason: 'x' },
      timeseries: null,
      scrapes: {},
    };
    const internal = assembleReport({ ...base, error: new TypeError('undefined is not a function') });
    expect(internal.error?.stack).toContain('TypeError');
    const config = parseScenarioError();
    const userFacing = assembleReport({ ...base, error: config });
    expect(userFacing.error?.name).toBe('ConfigError');
    expect(userFacing.error?.stack).toBeUndefined();
  });
});

function parseScenarioError(): Error {
  try {
    parseScenario({ name: 'bad', origin: { kind: 'python' }, swarm: { clients: -1 } });
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a ConfigError');
}
