import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  formatDurationMs,
  parseDurationMs,
  parseScenario,
  resolvePort,
  scenarioJsonSchema,
  tryParseDurationMs,
  viewerCountsOf,
} from './index.js';

const valid = { name: 'smoke', origin: { kind: 'python' }, swarm: { clients: 5 } };

/** The single message a bad scenario produces (and proof that it is a ConfigError, not a raw throw). */
function rejection(input: unknown): string {
  try {
    parseScenario(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected the scenario to be rejected');
}

describe('scenario schema', () => {
  it('applies defaults to a minimal scenario', () => {
    const scenario = parseScenario(valid);
    expect(scenario.swarm.rampRate).toBe(10);
    expect(scenario.swarm.duration).toBe('30s');
    expect(scenario.swarm.restart.backoffMultiplier).toBe(1.7);
    expect(scenario.origin).toMatchObject({ kind: 'python', profile: 'default', bind: '127.0.0.1' });
    expect(scenario.slo).toEqual({});
    expect(scenario.report.dir).toBe('reports');
  });

  it('applies the saturation guard defaults and names a bad limit', () => {
    expect(parseScenario(valid).generator).toEqual({
      maxViewerCpuWait: 0.1,
      maxEventLoopDelay: '100ms',
      maxCpu: 1,
      maxCpuPressure: 1,
      onSaturation: 'inconclusive',
      capacityCheck: 'warn',
    });
    expect(rejection({ ...valid, generator: { capacityCheck: 'loud' } })).toContain(
      `generator.capacityCheck: expected 'warn', 'error' or 'off', got "loud"`,
    );
    expect(rejection({ ...valid, generator: { maxCpu: 1.5 } })).toContain(
      'generator.maxCpu: expected generator.maxCpu as a ratio between 0 and 1, got 1.5',
    );
    expect(rejection({ ...valid, generator: { onSaturation: 'ignore' } })).toContain(
      `generator.onSaturation: expected 'inconclusive' or 'warn', got "ignore"`,
    );
    expect(rejection({ ...valid, generator: { maxEventLoopDelay: 'soon' } })).toContain(
      'generator.maxEventLoopDelay',
    );
  });

  it.each([
    [{ ...valid, swarm: { clients: -5 } }, 'swarm.clients: expected a positive integer, got -5'],
    [{ ...valid, swarm: { clients: 0 } }, 'swarm.clients: expected a positive integer, got 0'],
    [{ ...valid, swarm: { clients: 2.5 } }, 'swarm.clients: expected a positive integer, got 2.5'],
    [
      { ...valid, origin: { kind: 'potato' } },
      'origin.kind: expected an origin with kind one of python, nginx, vm, container, external, got "potato"',
    ],
    [
      { ...valid, swarm: { clients: 5, duration: '10 parsecs' } },
      `swarm.duration: expected a duration like '500ms', '30s', '2m' or '1m30s', got "10 parsecs"`,
    ],
    [{ ...valid, swarm: { clients: 5, clinets: 3 } }, 'swarm.clinets: unknown key'],
    [{ ...valid, extra: true }, 'extra: unknown key'],
    [
      { ...valid, slo: { segment_ttfb: 5 } },
      'slo.segment_ttfb: expected a threshold string, a threshold object, or an array of them, got 5',
    ],
    [{ ...valid, slo: { segment_ttfb: [true] } }, 'slo.segment_ttfb'],
    [
      { ...valid, origin: { kind: 'external', url: 'ftp://example.test/x.m3u8' } },
      'origin.url: expected an http:// or https:// URL, got "ftp://example.test/x.m3u8"',
    ],
    [
      { ...valid, origin: { kind: 'external', url: 'not a url' } },
      'origin.url: expected an http:// or https:// URL',
    ],
    [
      { ...valid, origin: { kind: 'nginx', port: 70000 } },
      'origin.port: expected a TCP port 0-65535 (0 picks a free port), got 70000',
    ],
    [
      { ...valid, swarm: { clients: 5, variant: 'best' } },
      'swarm.variant: expected one of all, highest, lowest, first, abr, got "best"',
    ],
    [
      { ...valid, origin: { kind: 'python', profile: 'huge' } },
      'origin.profile: expected one of default, low-latency, abr, stress, tiny, got "huge"',
    ],
    [
      { ...valid, swarm: { clients: 5, timedViewers: -1 } },
      "swarm.timedViewers: expected a whole number >= 0 or 'all'",
    ],
  ])('rejects %j with a message naming the path', (input, expected) => {
    expect(rejection(input)).toContain(expected);
  });

  it('lists every problem, not only the first', () => {
    const message = rejection({
      name: '',
      origin: { kind: 'python', port: -1 },
      swarm: { clients: 0, rampRate: -1 },
    });
    expect(message).toContain('name: expected a non-empty scenario name');
    expect(message).toContain('origin.port');
    expect(message).toContain('swarm.clients');
    expect(message).toContain('swarm.rampRate: expected clients per second > 0, got -1');
  });

  it('accepts threshold strings, objects and arrays', () => {
    const scenario = parseScenario({
      ...valid,
      slo: {
        segment_ttfb: 'p(95)<0.5',
        request_errors: [{ threshold: 'rate<0.01', abortOnFail: true, window: '10s' }, 'rate<0.05'],
      },
    });
    expect(scenario.slo.request_errors).toEqual([
      { threshold: 'rate<0.01', abortOnFail: true, window: '10s', strict: true },
      'rate<0.05',
    ]);
  });

  it('publishes a JSON Schema that names every origin kind and forbids unknown keys', () => {
    const schema = JSON.stringify(scenarioJsonSchema());
    for (const kind of ['python', 'nginx', 'vm', 'container', 'external'])
      expect(schema).toContain(`"const":"${kind}"`);
    expect(schema).toContain('"additionalProperties":false');
  });
});

describe('swarm.viewers: ffmpeg and light viewers, clients the total', () => {
  const swarm = (input: Record<string, unknown>) => parseScenario({ ...valid, swarm: input }).swarm;

  it('without viewers, every viewer is an ffmpeg viewer and the output has no viewers', () => {
    const spec = swarm({ clients: 5 });
    expect(spec.clients).toBe(5);
    expect(spec.viewers).toBeUndefined();
    expect(viewerCountsOf(spec)).toEqual({ ffmpeg: 5, light: 0 });
  });

  it('both counts: clients is their sum, given or not', () => {
    expect(swarm({ viewers: { ffmpeg: 2, light: 6 } })).toMatchObject({
      clients: 8,
      viewers: { ffmpeg: 2, light: 6 },
    });
    expect(swarm({ clients: 8, viewers: { ffmpeg: 2, light: 6 } }).clients).toBe(8);
    expect(swarm({ viewers: { ffmpeg: 0, light: 1000 } })).toMatchObject({
      clients: 1000,
      viewers: { ffmpeg: 0, light: 1000 },
    });
  });

  it('one count: the other is clients minus it', () => {
    expect(swarm({ clients: 100, viewers: { light: 90 } }).viewers).toEqual({ ffmpeg: 10, light: 90 });
    expect(swarm({ clients: 100, viewers: { ffmpeg: 3 } }).viewers).toEqual({ ffmpeg: 3, light: 97 });
    expect(swarm({ viewers: { light: 4 } })).toMatchObject({ clients: 4, viewers: { ffmpeg: 0, light: 4 } });
  });

  it.each([
    [
      { clients: 10, viewers: { ffmpeg: 2, light: 6 } },
      'swarm.clients: swarm.clients (10) is the total of every kind and disagrees with swarm.viewers (ffmpeg 2 + light 6 = 8); drop swarm.clients or make it 8',
    ],
    [
      { clients: 5, viewers: { light: 6 } },
      'swarm.viewers.light: swarm.viewers.light (6) is more than swarm.clients (5), the total of every kind',
    ],
    [
      { viewers: { ffmpeg: 0, light: 0 } },
      'swarm.viewers: expected at least one viewer: swarm.viewers.ffmpeg + swarm.viewers.light is 0',
    ],
    [
      { viewers: { light: -1 } },
      'swarm.viewers.light: expected swarm.viewers.light as a whole number >= 0, got -1',
    ],
    [
      { viewers: { ffmpeg: 1.5 } },
      'swarm.viewers.ffmpeg: expected swarm.viewers.ffmpeg as a whole number >= 0',
    ],
    [{ viewers: { lite: 3 } }, 'swarm.viewers.lite: unknown key'],
    [
      {},
      'swarm.clients: expected a positive integer (the total viewers), or swarm.viewers: { ffmpeg, light }',
    ],
    [
      { clients: 5, variant: 'abr' },
      "swarm.variant: 'abr' is played by light viewers only (ffmpeg viewers cannot switch variants)",
    ],
    [
      { clients: 5, viewers: { light: 0 }, variant: 'abr' },
      "swarm.variant: 'abr' is played by light viewers only",
    ],
  ])('rejects %j naming the fields', (input, expected) => {
    expect(rejection({ ...valid, swarm: input })).toContain(expected);
  });

  it("'abr' is accepted with light viewers", () => {
    expect(swarm({ viewers: { ffmpeg: 1, light: 3 }, variant: 'abr' }).variant).toBe('abr');
  });

  it('the published JSON Schema takes viewers and no longer requires clients', () => {
    const swarmJson = (scenarioJsonSchema() as { properties: { swarm: Record<string, unknown> } }).properties
      .swarm as { required?: string[]; properties: Record<string, unknown> };
    expect(swarmJson.properties.viewers).toBeDefined();
    expect(swarmJson.required ?? []).not.toContain('clients');
  });
});

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['1h', 3_600_000],
  ])('parses %s', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each(['10 parsecs', '', '5', 's', '-1s', '1x'])('rejects %j', (text) => {
    expect(tryParseDurationMs(text)).toBeUndefined();
    expect(() => parseDurationMs(text, 'swarm.duration')).toThrow(/swarm.duration: expected a duration/);
  });

  it('formats milliseconds for humans', () => {
    expect(formatDurationMs(250)).toBe('250ms');
    expect(formatDurationMs(1500)).toBe('1.5s');
    expect(formatDurationMs(90_000)).toBe('1m30s');
  });
});

describe('seed ports', () => {
  it('uses the seed defaults and their environment overrides', () => {
    expect(resolvePort('originHttp', {})).toBe(17080);
    expect(resolvePort('pythonOrigin', {})).toBe(17088);
    expect(resolvePort('swarmMetrics', {})).toBe(17091);
    expect(resolvePort('nginxExporter', {})).toBe(17113);
    expect(resolvePort('nodeExporter', {})).toBe(17100);
    expect(resolvePort('pythonOrigin', { ORIGIN_PORT: '27088' })).toBe(27088);
    expect(resolvePort('originHttp', { MICROVM_HTTP_PORT: '27080' })).toBe(27080);
    expect(resolvePort('swarmMetrics', { METRICS_PORT: '0' })).toBe(0);
  });

  it('rejects a bad environment value naming the variable', () => {
    expect(() => resolvePort('originHttp', { MICROVM_HTTP_PORT: 'eighty' })).toThrow(
      'MICROVM_HTTP_PORT: expected a TCP port 0-65535, got "eighty"',
    );
  });
});
