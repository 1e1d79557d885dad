import { join } from 'node:path';
import { expect, test } from 'vitest';
import { reportSchema } from '../report/index.js';
import { readJson, runFixtures } from './test/run-fixture.js';

/*
 * A scenario planned for 2 minutes with a 20 s test timeout: Vitest aborts the test's signal,
 * the run stops its viewers and origin, and the report is still written, saying `interrupted`.
 */
test('a timed-out scenario stops its swarm and origin and still writes an interrupted report', async () => {
  const run = await runFixtures(['timeout.load.ts']);
  expect(run.exitCode).not.toBe(0);
  expect(run.tests).toEqual([
    expect.objectContaining({
      name: 'runs past its timeout',
      state: 'failed',
      errors: [expect.stringMatching(/timed out in 20000ms/)],
    }),
  ]);

  const report = reportSchema.parse(
    await readJson(join(run.reportDir, 'timeout', 'runs-past-its-timeout.json')),
  );
  expect(report.verdict).toBe('interrupted');
  expect(report.reason).toMatch(/^interrupted: Test timed out in 20000ms/);
  // It really ran, and stopped long before the planned 2 minutes.
  expect(report.swarm?.clientsStarted).toBe(2);
  expect(report.swarm?.requests.segment.total).toBeGreaterThan(0);
  expect(report.timeline.durationSeconds).toBeLessThan(60);
  expect(report.origin?.kind).toBe('python');
  expect(run.output).toContain('hls-swarm runs past its timeout: INTERRUPTED');

  expect(run.taggedSeen).toBeGreaterThan(0);
  expect(run.leftovers).toEqual([]);
});
