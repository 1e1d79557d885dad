import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { reportSchema, runSummarySchema } from '../report/index.js';
import { readJson, runFixtures } from './test/run-fixture.js';

/*
 * The plugin as users meet it: Vitest's Node API runs fixture scenario files with a config
 * holding nothing but `hlsSwarm()`. Real python origins and ffmpeg viewers; every run must
 * leave no origin or viewer process behind.
 */
describe('hls-swarm/vitest plugin (real origin and viewers)', () => {
  test('a scenario that holds its thresholds passes, prints progress and a summary, writes valid reports', async () => {
    const run = await runFixtures(['pass.load.ts']);
    expect(run.tests).toEqual([expect.objectContaining({ name: 'holds its thresholds', state: 'passed' })]);
    expect(run.exitCode).toBe(0);

    const report = reportSchema.parse(
      await readJson(join(run.reportDir, 'pass', 'holds-its-thresholds.json')),
    );
    expect(report.verdict).toBe('pass');
    expect(report.scenario.file).toBe('src/vitest/test/fixtures/pass.load.ts');
    expect(report.thresholds.map((result) => [result.metric, result.ok])).toEqual([
      ['request_errors', true],
      ['segment_duration', true],
    ]);
    expect(report.swarm?.requests.segment.total).toBeGreaterThan(0);
    expect(report.origin?.kind).toBe('python');
    expect(report.origin?.versions.ffmpeg).toMatch(/\d/);
    const { startMs, swarmStartMs, rampEndMs, steadyStartMs, endMs } = report.timeline;
    expect(swarmStartMs).not.toBeNull();
    expect([startMs, swarmStartMs, rampEndMs, steadyStartMs, endMs]).toEqual(
      [startMs, swarmStartMs, rampEndMs, steadyStartMs, endMs].sort((a, b) => Number(a) - Number(b)),
    );
    expect(report.timeseries?.t.length).toBeGreaterThan(5);
    expect(report.timeseries?.series.clients_active?.some((value) => value === 2)).toBe(true);

    const summary = runSummarySchema.parse(await readJson(join(run.reportDir, 'summary.json')));
    expect(summary.scenarios).toEqual([
      expect.objectContaining({ test: 'holds its thresholds', verdict: 'pass', testState: 'passed' }),
    ]);
    // The HTML page beside the JSON report, and the run index linking it.
    expect(await readFile(join(run.reportDir, 'pass', 'holds-its-thresholds.html'), 'utf8')).toContain(
      '<div class="verdict">pass</div>',
    );
    expect(await readFile(join(run.reportDir, 'index.html'), 'utf8')).toContain(
      '<a href="pass/holds-its-thresholds.html">HTML</a>',
    );
    // Live progress (every 3 s here) and the end summary, as plain lines.
    expect(run.output).toMatch(/\[hls-swarm\] holds its thresholds +\d+s\/10s +\w+ +clients \d\/2 +seg\/s/);
    expect(run.output).toContain('hls-swarm holds its thresholds: PASS');
    expect(run.output).toMatch(/✓ request_errors rate<0.05 \[steady\] observed 0/);

    expect(run.taggedSeen).toBeGreaterThan(0);
    expect(run.leftovers).toEqual([]);
  });
});
