import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { reportSchema, runSummarySchema } from '../report/index.js';
import { readJson, runFixtures } from './test/run-fixture.js';

/*
 * Failing runs through Vitest's Node API: breached thresholds (every one listed, exit code
 * non-zero, report with ok: false) and a configuration error (clear message, nothing started).
 */
describe('hls-swarm/vitest plugin: failing scenarios', () => {
  test('every breached threshold is listed and fails the run; a config error fails at once and starts no origin', async () => {
    const run = await runFixtures(['fail.load.ts', 'config-error.load.ts']);
    expect(run.exitCode).not.toBe(0);

    const failing = run.tests.find((test) => test.name === 'breaks two thresholds');
    expect(failing?.state).toBe('failed');
    // Soft assertions: both strict breaches are reported, not only the first.
    expect(failing?.errors).toHaveLength(2);
    expect(failing?.errors.join('\n')).toMatch(/✗ segment_duration p\(95\)<0.01ms/);
    expect(failing?.errors.join('\n')).toMatch(/✗ segment_ttfb max<0.01ms/);

    const report = reportSchema.parse(
      await readJson(join(run.reportDir, 'fail', 'breaks-two-thresholds.json')),
    );
    expect(report.verdict).toBe('fail');
    expect(
      report.thresholds.map((result) => [result.metric, result.expression, result.ok, result.strict]),
    ).toEqual([
      ['request_errors', 'rate<0.05', true, true],
      ['segment_duration', 'p(95)<0.01ms', false, true],
      ['segment_ttfb', 'max<0.01ms', false, true],
      ['segment_ttfb', 'p(50)<0.01ms', false, false],
    ]);
    expect(report.thresholds[1]?.observed).toBeGreaterThan(0.00001);
    expect(run.output).toContain('hls-swarm breaks two thresholds: FAIL');

    const invalid = run.tests.find((test) => test.name === 'has a config error');
    expect(invalid?.state).toBe('failed');
    const message = invalid?.errors.join('\n') ?? '';
    expect(message).toContain('swarm.clients: expected a positive integer, got 0');
    expect(message).toMatch(/segment_duration.*position 7/);
    // Nothing ran: no report, no origin logs.
    expect(existsSync(join(run.reportDir, 'config-error'))).toBe(false);

    const summary = runSummarySchema.parse(await readJson(join(run.reportDir, 'summary.json')));
    expect(summary.reason).toBe('failed');
    expect(summary.scenarios.map((entry) => [entry.test, entry.verdict])).toEqual(
      expect.arrayContaining([
        ['breaks two thresholds', 'fail'],
        ['has a config error', null],
      ]),
    );
    expect(run.leftovers).toEqual([]);
  });
});
