import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  formatProgress,
  formatSummaryLines,
  formatThresholdLine,
  type Report,
  reportJsonSchema,
  reportSchema,
  verdictWithGeneratorHealth,
} from './index.js';

/** A report of a real starved run, recorded by src/report/test/record-generator-reports.ts. */
function recorded(name: 'inconclusive' | 'saturated-warn'): Report {
  return JSON.parse(readFileSync(new URL(`./test/fixtures/${name}.json`, import.meta.url), 'utf8')) as Report;
}

describe('the inconclusive verdict in the report', () => {
  test('recorded saturated runs match the schema and carry the generator figures', () => {
    for (const name of ['inconclusive', 'saturated-warn'] as const) {
      const report = reportSchema.parse(recorded(name));
      expect(report.generator?.saturated).toBe(true);
      expect(report.generator?.viewerCpuWait).toBeGreaterThan(report.generator?.limits.maxViewerCpuWait ?? 1);
    }
    expect(recorded('inconclusive').verdict).toBe('inconclusive');
    expect(recorded('saturated-warn').verdict).toBe('pass');
    const schema = reportJsonSchema() as { properties: { verdict: { enum: string[] } } };
    expect(schema.properties.verdict.enum).toContain('inconclusive');
  });

  test('the summary says INCONCLUSIVE, why, marks latency thresholds unreliable and shows the generator', () => {
    const report = recorded('inconclusive');
    const lines = formatSummaryLines(report);
    expect(lines[0]).toMatch(/^hls-swarm recorded saturated generator \(inconclusive\): INCONCLUSIVE in /);
    expect(lines[1]).toMatch(
      /^ {2}reason: the load generator was saturated: viewers waited \d+ % of the time/,
    );
    const segment = lines.find((line) => line.includes('segment_duration p(95)<10s'));
    const errors = lines.find((line) => line.includes('http_errors count==0'));
    expect(segment).toMatch(/^ {4}✓ segment_duration .*\(unreliable: the load generator was saturated\)$/);
    expect(errors).not.toContain('unreliable');
    expect(lines.find((line) => line.startsWith('  generator '))).toMatch(
      /viewer wait \d+\.\d%.* · SATURATED \(limits viewer wait 10\.0%, event loop 100ms, cpu 90\.0%, pressure 80\.0%\) \(steady-window averages\)$/,
    );
    expect(lines.some((line) => line.startsWith('  warning:'))).toBe(false);
  });

  test("'warn' keeps the verdict and warns in the summary", () => {
    const lines = formatSummaryLines(recorded('saturated-warn'));
    expect(lines[0]).toContain(': PASS in ');
    expect(lines[1]).toMatch(
      /^ {2}warning: the load generator was saturated \(viewers waited \d+ % .*\); latency thresholds are unreliable$/,
    );
  });

  test('a report without generator figures has no generator line', () => {
    const { generator: _generator, ...older } = recorded('inconclusive');
    expect(
      formatSummaryLines({ ...older, verdict: 'pass' }).some((line) => line.includes('generator  ')),
    ).toBe(false);
  });

  test('a threshold line without the mark stays as it was', () => {
    const [segment] = recorded('inconclusive').thresholds;
    if (!segment) throw new Error('the fixture has thresholds');
    const { unreliable: _unreliable, ...plain } = segment;
    expect(formatThresholdLine(plain)).not.toContain('unreliable');
  });
});

describe('verdictWithGeneratorHealth', () => {
  const report = recorded('inconclusive');
  const generator = report.generator as NonNullable<Report['generator']>;
  const [latency, errors] = report.thresholds as [Report['thresholds'][0], Report['thresholds'][0]];
  const warn = { ...generator, limits: { ...generator.limits, onSaturation: 'warn' as const } };
  const healthy = { ...generator, saturated: false };

  test.each([
    ['saturated, every threshold held', [latency, errors], generator, 'inconclusive'],
    [
      'saturated, only an unreliable latency threshold failed',
      [{ ...latency, ok: false }, errors],
      generator,
      'inconclusive',
    ],
    [
      'saturated, an error threshold failed: errors are not the generator’s doing',
      [latency, { ...errors, ok: false }],
      generator,
      'fail',
    ],
    [
      'saturated, a failed threshold that is not strict',
      [latency, { ...errors, ok: false, strict: false }],
      generator,
      'inconclusive',
    ],
    ['warn: the thresholds decide', [{ ...latency, ok: false }, errors], warn, 'fail'],
    ['warn, every threshold held', [latency, errors], warn, 'pass'],
    ['healthy', [{ ...latency, ok: false, unreliable: undefined }, errors], healthy, 'fail'],
    ['no generator figures', [latency, errors], undefined, 'pass'],
  ] as const)('%s', (_name, thresholds, health, verdict) => {
    expect(verdictWithGeneratorHealth(thresholds, health)).toBe(verdict);
  });
});

describe('progress line', () => {
  test('shows the generator figures briefly when measured', () => {
    const update = {
      scenario: 'steady',
      phase: 'steady' as const,
      elapsedSeconds: 12,
      totalSeconds: 60,
      clientsActive: 50,
      clientsTarget: 50,
      segmentsPerSecond: 25,
      errorsTotal: 0,
      errorsInInterval: 0,
      segmentP95Seconds: 0.366,
      throughputBytesPerSecond: 1_000_000,
      restarts: 0,
      stalledClients: 0,
    };
    expect(
      formatProgress({
        ...update,
        generator: { cpuUtilization: 0.934, viewerCpuWait: 0.23, eventLoopDelaySeconds: 0.012 },
      }),
    ).toMatch(/p95 366ms {2}8\.0 Mb\/s {2}gen cpu 93% wait 23% loop 12ms$/);
    expect(formatProgress({ ...update, generator: { cpuUtilization: 0.5 } })).toMatch(/ {2}gen cpu 50%$/);
    expect(formatProgress({ ...update, generator: {} })).not.toContain('gen');
  });
});
