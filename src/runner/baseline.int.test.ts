import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { type Report, reportSchema } from '../report/index.js';
import { withTimingsScaled } from '../report/test/scale-timings.js';
import { runScenario } from './index.js';

/*
 * scenario.baseline with real runs: a python origin and two ffmpeg viewers compared with a
 * recorded run of the same scenario (src/report/test/fixtures/pass.json, 'recorded pass').
 */

const PASS = new URL('../report/test/fixtures/pass.json', import.meta.url).pathname;

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hls-swarm-baseline-run-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const scenario = {
  name: 'recorded pass',
  origin: { kind: 'python', profile: 'tiny', port: 0 },
  swarm: { clients: 2, rampRate: 2, duration: '8s', warmup: '2s', metricsPort: 0 },
  slo: { request_errors: 'rate<0.05' },
  generator: { capacityCheck: 'off' },
} as const;

describe('scenario baseline', () => {
  test('a run slower than its baseline fails the gate on the baseline thresholds; the report and page carry the baseline', async () => {
    const dir = await tempDir();
    // The recorded run with every timing 100× faster: no real run on this host matches it.
    const recorded = JSON.parse(await readFile(PASS, 'utf8')) as Report;
    await writeFile(join(dir, 'fast-baseline.json'), JSON.stringify(withTimingsScaled(recorded, 0.01)));
    const lines: string[] = [];
    const result = await runScenario(
      { ...scenario, baseline: { report: join(dir, 'fast-baseline.json'), maxRegression: '50%' } },
      { reportFile: join(dir, 'run.json'), log: (line) => lines.push(line) },
    );
    expect(lines.some((line) => line.includes(`baseline: ${join(dir, 'fast-baseline.json')} (pass,`))).toBe(
      true,
    );
    expect(result.verdict).toBe('fail');
    const report = reportSchema.parse(JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')));
    expect(report.verdict).toBe('fail');
    const own = report.thresholds.find((entry) => entry.metric === 'request_errors');
    expect(own?.ok).toBe(true);
    const download = report.thresholds.find((entry) => entry.metric === 'baseline: segment download p95');
    expect(download?.ok).toBe(false);
    expect(download?.strict).toBe(true);
    expect(download?.observed).toBe(report.swarm?.distributions.segmentDurationSeconds.p95);
    expect(download?.baseline?.value).toBeCloseTo(
      (recorded.swarm?.distributions.segmentDurationSeconds.p95 ?? 0) * 0.01,
      9,
    );
    expect(download?.message).toContain('worse than the baseline');
    expect(report.reason).toContain('baseline: segment download p95 worse by <=50%');
    expect(report.baseline?.report).toBe(join(dir, 'fast-baseline.json'));
    expect(report.baseline?.comparisons.some((row) => row.regression)).toBe(true);
    expect(Object.keys(report.baseline?.timeseries?.series ?? {})).toContain('segment_duration_p95');
    const html = await readFile(join(dir, 'run.html'), 'utf8');
    expect(html).toContain('"column":"baseline:segment_duration_p95"');
  });

  test('a baseline path with no report stops the run before the origin starts, naming the path', async () => {
    const dir = await tempDir();
    const result = await runScenario(
      { ...scenario, baseline: { report: join(dir, 'missing') } },
      { reportFile: join(dir, 'run.json') },
    );
    expect(result.verdict).toBe('error');
    const report = reportSchema.parse(JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')));
    expect(report.origin).toBeNull();
    expect(report.error?.name).toBe('ReportFileError');
    expect(report.error?.message).toContain(`baseline.report: no report at ${join(dir, 'missing')}`);
    expect(report.error?.stack).toBeUndefined();
  });
});
