import { describe, expect, it } from 'vitest';
import { ConfigError, parseScenario } from '../config/index.js';
import { ThresholdSyntaxError, ThresholdTypeError } from './errors.js';
import { compileSlo, parseMetricKey, parseThresholdExpression } from './parse.js';

function syntaxError(run: () => unknown): ThresholdSyntaxError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ThresholdSyntaxError);
    return error as ThresholdSyntaxError;
  }
  throw new Error('expected a ThresholdSyntaxError');
}

describe('parseThresholdExpression (k6 forms)', () => {
  it.each([
    ['p(95)<0.5', { aggregation: 'p', percentile: 95, operator: '<', bound: 0.5 }],
    ['p(99.9)<=2s', { aggregation: 'p', percentile: 99.9, operator: '<=', bound: 2, unit: 's' }],
    ['p(90) < 250ms', { aggregation: 'p', percentile: 90, operator: '<', bound: 0.25, unit: 'ms' }],
    ['avg<1', { aggregation: 'avg', operator: '<', bound: 1 }],
    ['med<1', { aggregation: 'med', operator: '<', bound: 1 }],
    ['max==0', { aggregation: 'max', operator: '==', bound: 0 }],
    ['max===0', { aggregation: 'max', operator: '==', bound: 0 }],
    ['min>0.99', { aggregation: 'min', operator: '>', bound: 0.99 }],
    ['rate<0.001', { aggregation: 'rate', operator: '<', bound: 0.001 }],
    ['count<10', { aggregation: 'count', operator: '<', bound: 10 }],
    ['value>0', { aggregation: 'value', operator: '>', bound: 0 }],
    ['value!=3', { aggregation: 'value', operator: '!=', bound: 3 }],
    ['  avg >= 1e-3 ', { aggregation: 'avg', operator: '>=', bound: 0.001 }],
  ])('%s', (expression, expected) => {
    expect(parseThresholdExpression(expression)).toEqual(expected);
  });

  it('puts the caret under the bad character', () => {
    const error = syntaxError(() => parseThresholdExpression('p(95)<0.5x', 'segment_ttfb'));
    expect(error.position).toBe(9);
    expect(error.metric).toBe('segment_ttfb');
    expect(error.part).toBe('expression');
    expect(error.name).toBe('ThresholdSyntaxError');
    const lines = error.message.split('\n');
    expect(lines[0]).toContain('threshold for "segment_ttfb" at position 10');
    expect(lines[0]).toContain('unexpected "x" after the number');
    expect(lines[1]).toBe('  p(95)<0.5x');
    expect(lines[2]).toBe(`  ${' '.repeat(9)}^`);
  });

  it.each([
    ['p(95<0.5', 4, /expected \) to close p\(/],
    ['p(101)<1', 2, /between 0 and 100/],
    ['avgg<1', 0, /expected an aggregation/],
    ['mean<1', 0, /expected an aggregation/],
    ['avg 1', 4, /expected a comparison/],
    ['avg<', 4, /expected a number, found the end/],
    ['avg<fast', 4, /expected a number/],
    ['avg=1', 3, /expected a comparison/],
    ['avg<1sec', 6, /unexpected "e" after the bound/],
    ['', 0, /expected an aggregation/],
  ])('rejects %j at position %i', (expression, position, message) => {
    const error = syntaxError(() => parseThresholdExpression(expression, 'm'));
    expect(error.position).toBe(position);
    expect(error.message).toMatch(message);
  });
});

describe('parseMetricKey', () => {
  it('reads label filters with escapes', () => {
    expect(parseMetricKey('http_errors{status="404"}')).toEqual({
      name: 'http_errors',
      labels: { status: '404' },
    });
    expect(parseMetricKey('x{a="1", b="q\\"uote"}')).toEqual({ name: 'x', labels: { a: '1', b: 'q"uote' } });
    expect(parseMetricKey('plain')).toEqual({ name: 'plain', labels: {} });
  });

  it.each([
    ['http_errors{status=404}', 19, /expected " to open/],
    ['http_errors{status="404"', 24, /expected , or }/],
    ['http_errors{status="404}', 24, /unterminated value/],
    ['http errors', 5, /unexpected "e" after the metric key/],
    ['{status="1"}', 0, /expected a metric name/],
    ['x{a="1",a="2"}', 8, /label a is given twice/],
  ])('rejects %j at position %i', (key, position, message) => {
    const error = syntaxError(() => parseMetricKey(key));
    expect(error.part).toBe('metric');
    expect(error.position).toBe(position);
    expect(error.message).toMatch(message);
  });
});

describe('compileSlo', () => {
  it('compiles strings, objects and arrays from a parsed scenario', () => {
    const scenario = parseScenario({
      name: 'gate',
      origin: { kind: 'external', url: 'http://127.0.0.1:1/stream.m3u8' },
      swarm: { clients: 1 },
      slo: {
        segment_ttfb: [
          'p(95)<500ms',
          { threshold: 'p(99)<2s', window: '10s', abortOnFail: true, delayAbortEval: '5s' },
        ],
        'http_errors{status="404"}': 'count==0',
        request_errors: { threshold: 'rate<0.01', strict: false, window: 'whole' },
        hls_swarm_clients_active: 'value>0',
      },
    });
    const compiled = compileSlo(scenario.slo);
    expect(compiled).toHaveLength(5);
    expect(compiled[0]).toMatchObject({
      metric: 'segment_ttfb',
      expression: 'p(95)<500ms',
      bound: 0.5,
      window: { kind: 'steady' },
      windowText: 'steady',
      abortOnFail: false,
      strict: true,
      metricType: 'trend',
    });
    expect(compiled[1]).toMatchObject({
      window: { kind: 'sliding', lengthMs: 10_000 },
      abortOnFail: true,
      delayAbortEvalMs: 5000,
    });
    expect(compiled[2]).toMatchObject({
      metricName: 'http_errors',
      labels: { status: '404' },
      metricType: 'counter',
    });
    expect(compiled[3]).toMatchObject({ strict: false, window: { kind: 'whole' } });
    // Not in the catalogue: taken as a scraped metric, its type known only at run time.
    expect(compiled[4]?.metricType).toBeUndefined();
  });

  it.each([
    [{ request_errors: 'p(95)<1' }, /p\(95\) does not apply to request_errors, a rate; use one of: rate/],
    [{ segment_ttfb: 'rate<0.1' }, /rate does not apply to segment_ttfb, a trend; use one of: p\(N\), avg/],
    [
      { clients_active: 'count>0' },
      /count does not apply to clients_active, a gauge; use one of: value, min, max, avg/,
    ],
    [{ http_errors: 'value==0' }, /value does not apply to http_errors, a counter; use one of: count, rate/],
    [{ throughput: 'value>100ms' }, /unit ms does not apply to throughput, measured in bytes\/s/],
    [{ 'segment_ttfb{kind="segment"}': 'p(95)<1' }, /segment_ttfb has no label "kind"; it has no labels/],
    [{ 'http_errors{code="404"}': 'count==0' }, /its labels are: status, kind/],
    [{ segment_ttbf: 'p(95)<1' }, /unknown metric "segment_ttbf"; did you mean "segment_ttfb"\?/],
    [{ node_cpu_utilisation: 'max<0.9' }, /did you mean "node_cpu_utilization"/],
  ])('rejects %j with a clear message', (slo, message) => {
    expect(() => compileSlo(slo as never)).toThrow(ThresholdTypeError);
    expect(() => compileSlo(slo as never)).toThrow(message);
  });

  it('rejects a wrongly shaped threshold object as a ConfigError naming the key', () => {
    expect(() => compileSlo({ segment_ttfb: { threshold: 'p(95)<1', abortOnFial: true } } as never)).toThrow(
      ConfigError,
    );
    expect(() => compileSlo({ segment_ttfb: { threshold: 'p(95)<1', abortOnFial: true } } as never)).toThrow(
      /segment_ttfb\.abortOnFial: unknown key/,
    );
  });

  it('rejects a window that is neither steady, whole nor a duration', () => {
    expect(() => compileSlo({ segment_ttfb: { threshold: 'p(95)<1', window: 'later' } } as never)).toThrow(
      /segment_ttfb\.window: expected a duration like '500ms'.*got "later"/,
    );
  });

  it('names the metric key in syntax errors', () => {
    const error = syntaxError(() => compileSlo({ startup_time: 'p(95)<0.5x' }));
    expect(error.metric).toBe('startup_time');
    expect(error.message).toContain('threshold for "startup_time"');
  });
});
