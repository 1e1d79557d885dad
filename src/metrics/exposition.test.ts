import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ExpositionParseError, parseExposition, parseExpositionFloat } from './exposition.js';

// Recorded by fixtures/record/exporter-scrapes.sh from the real exporters and prom-client.
const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/exporters/${name}`, import.meta.url), 'utf8');
const FIXTURES = [
  'nginx-exporter-1.prom',
  'nginx-exporter-2.prom',
  'nginx-exporter-3-after-restart.prom',
  'node-exporter-1.prom',
  'node-exporter-2.prom',
  'prom-client-registry.prom',
];

/** Sample lines of a body: neither blank nor comments. */
function sampleLines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
}

describe('parseExposition on recorded scrapes', () => {
  it.each(FIXTURES)('parses every sample line of %s', (name) => {
    const text = fixture(name);
    const parsed = parseExposition(text);
    expect(parsed.samples.length).toBe(sampleLines(text).length);
    expect(parsed.samples.length).toBeGreaterThan(5);
    for (const sample of parsed.samples) expect(typeof sample.value).toBe('number');
  });

  it('reads nginx-exporter counters and gauges with their declared types', () => {
    const parsed = parseExposition(fixture('nginx-exporter-2.prom'));
    const byName = new Map(parsed.samples.map((sample) => [sample.name, sample]));
    expect(byName.get('nginx_connections_accepted')?.sampleType).toBe('counter');
    expect(byName.get('nginx_connections_active')?.sampleType).toBe('gauge');
    expect(byName.get('nginx_http_requests_total')?.familyType).toBe('counter');
    const line = sampleLines(fixture('nginx-exporter-2.prom')).find((l) =>
      l.startsWith('nginx_http_requests_total '),
    );
    expect(byName.get('nginx_http_requests_total')?.value).toBe(Number(line?.split(' ')[1]));
    const build = byName.get('nginxexporter_build_info');
    expect(build?.labels.dirty).toBe('false');
    expect(build?.labels.commit).toBe('');
    expect(parsed.families.get('nginx_up')?.help).toBe('Status of the last metric scrape');
  });

  it('reads node-exporter CPU, memory and loopback network samples', () => {
    const text = fixture('node-exporter-1.prom');
    const parsed = parseExposition(text);
    const cpu = parsed.samples.filter((sample) => sample.name === 'node_cpu_seconds_total');
    expect(cpu.length).toBe(sampleLines(text).filter((l) => l.startsWith('node_cpu_seconds_total{')).length);
    expect(new Set(cpu.map((sample) => sample.labels.mode))).toContain('idle');
    expect(cpu.every((sample) => sample.sampleType === 'counter')).toBe(true);
    const memTotal = parsed.samples.find((sample) => sample.name === 'node_memory_MemTotal_bytes');
    expect(memTotal?.value).toBeGreaterThan(1e8); // written as 2.5276063744e+10 style
    const lo = parsed.samples.find(
      (sample) => sample.name === 'node_network_transmit_bytes_total' && sample.labels.device === 'lo',
    );
    expect(lo).toBeDefined();
    // Go summaries (go_gc_duration_seconds) have quantile gauges and counter _sum/_count.
    const gc = parsed.samples.filter((sample) => sample.family === 'go_gc_duration_seconds');
    expect(gc.some((sample) => sample.labels.quantile === '0.5' && sample.sampleType === 'gauge')).toBe(true);
    expect(gc.find((sample) => sample.name === 'go_gc_duration_seconds_count')?.sampleType).toBe('counter');
  });

  it('reads prom-client escapes, NaN, ±Inf, histograms and summaries', () => {
    const parsed = parseExposition(fixture('prom-client-registry.prom'));
    const odd = parsed.samples.filter((sample) => sample.name === 'fixture_odd_values');
    const quoted = odd.find((sample) => sample.labels.path?.startsWith('a'));
    expect(quoted?.labels.path).toBe('a"quoted" \\ back\nline');
    expect(Number.isNaN(quoted?.value)).toBe(true); // prom-client writes `Nan`
    expect(odd.find((sample) => sample.labels.path === 'inf')?.value).toBe(Number.POSITIVE_INFINITY);
    expect(odd.find((sample) => sample.labels.path === 'neginf')?.value).toBe(Number.NEGATIVE_INFINITY);
    expect(parsed.families.get('fixture_odd_values')?.help).toBe(
      'Values with \\ backslash and\nnewline in help',
    );

    const buckets = parsed.samples.filter((sample) => sample.name === 'fixture_segment_ttfb_seconds_bucket');
    expect(buckets.map((sample) => sample.labels.le)).toEqual(['0.005', '0.05', '0.5', '5', '+Inf']);
    expect(buckets.every((sample) => sample.family === 'fixture_segment_ttfb_seconds')).toBe(true);
    expect(
      buckets.every((sample) => sample.sampleType === 'counter' && sample.familyType === 'histogram'),
    ).toBe(true);
    const count = parsed.samples.find((sample) => sample.name === 'fixture_segment_ttfb_seconds_count');
    expect(count?.value).toBe(buckets.at(-1)?.value);

    const quantiles = parsed.samples.filter((sample) => sample.name === 'fixture_startup_seconds');
    expect(quantiles.map((sample) => sample.labels.quantile)).toEqual(['0.5', '0.9', '0.99']);
    expect(
      quantiles.every((sample) => sample.sampleType === 'gauge' && sample.familyType === 'summary'),
    ).toBe(true);
    const requests = parsed.samples.filter((sample) => sample.name === 'fixture_requests_total');
    expect(requests.map((sample) => sample.labels)).toEqual([
      { kind: 'segment', status: '206' },
      { kind: 'manifest', status: '200' },
    ]);
  });

  it('rejects a scrape cut off in the middle of a line, naming the line', () => {
    const text = fixture('node-exporter-1.prom');
    const cut = text.slice(
      0,
      text.indexOf('node_cpu_seconds_total{') + 'node_cpu_seconds_total{cpu="0",mo'.length,
    );
    let error: unknown;
    try {
      parseExposition(cut);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ExpositionParseError);
    const parseError = error as ExpositionParseError;
    expect(parseError.lineNumber).toBe(cut.split('\n').length);
    expect(parseError.message).toMatch(/expected = after label mo/);
  });

  it('rejects an HTML error page', () => {
    expect(() => parseExposition('<html><body>502 Bad Gateway</body></html>\n')).toThrow(
      ExpositionParseError,
    );
  });
});

// The grammar's corners that no exporter here writes (timestamps, odd spacing): spec examples.
describe('parseExposition grammar', () => {
  it('reads timestamps, tabs, trailing commas and other comments', () => {
    const parsed = parseExposition(
      '# a free comment\n' +
        '# TYPE http_requests_total counter\n' +
        'http_requests_total{method="post",code="200",} 1027 1395066363000\n' +
        'http_requests_total{method="post",code="400"}\t3\t1395066363000\n' +
        'metric_without_timestamp_and_labels 12.47\n' +
        'something_weird{problem="division by zero"} +Inf -3982045\n' +
        'negative -1.5e-3\n',
    );
    expect(parsed.samples[0]).toMatchObject({
      name: 'http_requests_total',
      labels: { method: 'post', code: '200' },
      value: 1027,
      timestampMs: 1395066363000,
      sampleType: 'counter',
    });
    expect(parsed.samples[1]?.value).toBe(3);
    expect(parsed.samples[2]?.timestampMs).toBeUndefined();
    expect(parsed.samples[2]?.sampleType).toBe('gauge'); // untyped
    expect(parsed.samples[3]).toMatchObject({ value: Number.POSITIVE_INFINITY, timestampMs: -3982045 });
    expect(parsed.samples[4]?.value).toBe(-0.0015);
  });

  it('parses floats as Go does', () => {
    expect(parseExpositionFloat('NaN')).toBeNaN();
    expect(parseExpositionFloat('nan')).toBeNaN();
    expect(parseExpositionFloat('+Inf')).toBe(Number.POSITIVE_INFINITY);
    expect(parseExpositionFloat('-inf')).toBe(Number.NEGATIVE_INFINITY);
    expect(parseExpositionFloat('1e3')).toBe(1000);
    expect(parseExpositionFloat('abc')).toBeUndefined();
    expect(parseExpositionFloat('')).toBeUndefined();
  });

  it.each([
    ['x{a="1"', /expected , or }/],
    ['x{a=1} 2', /expected " to open/],
    ['x{a="\\q"} 2', /invalid escape/],
    ['x{a="1",a="2"} 2', /duplicate label a/],
    ['x 1 2 3', /unexpected text after the timestamp/],
    ['x one', /invalid value "one"/],
    ['x 1 1.5', /invalid timestamp/],
    ['# TYPE x blob', /unknown metric type/],
    ['9x 1', /expected a metric name/],
  ])('rejects %j', (line, message) => {
    expect(() => parseExposition(`ok 1\n${line}\n`)).toThrow(message);
    try {
      parseExposition(`ok 1\n${line}\n`);
    } catch (error) {
      expect((error as ExpositionParseError).lineNumber).toBe(2);
    }
  });
});
