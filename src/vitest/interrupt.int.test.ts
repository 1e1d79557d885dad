import { join } from 'node:path';
import { expect, test } from 'vitest';
import { reportSchema } from '../report/index.js';
import { readJson, runFixtures, startFixturesProcess } from './test/run-fixture.js';

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

/*
 * A CI cancellation or `timeout` signals the vitest process alone, not its group: the plugin
 * cancels the run, the scenario still writes its `interrupted` report, and vitest exits with
 * 128 + the signal's number. Ctrl-C in a terminal signals the whole group (vitest and its
 * worker): the same outcome. Each run is `vitest run` as a process of its own.
 */
async function signalledRun(signal: NodeJS.Signals, target: 'process' | 'group', second = false) {
  const run = await startFixturesProcess(['signal.load.ts']);
  // Both viewers play: the scenario is in its run, with an origin and two ffmpeg viewers.
  await run.waitForOutput(/runs until a signal .*clients 2\/2/, 120_000);
  const send = () =>
    target === 'group' ? run.process.signal(signal) : process.kill(run.process.pid, signal);
  send();
  if (second) {
    // Signals that arrive together are one: send the second once the first was taken.
    await run.waitForOutput(/stopping the run and writing its report/, 10_000);
    send();
  }
  const end = await run.ended();
  const read = async () =>
    reportSchema.parse(await readJson(join(run.reportDir, 'signal', 'runs-until-a-signal.json')));
  return { end, read, output: run.output(), reportDir: run.reportDir };
}

test.each([
  ['SIGTERM', 143],
  ['SIGINT', 130],
] as const)(
  '%s to the vitest process alone: an interrupted report, exit %i, nothing left running',
  async (signal, code) => {
    const { end, read, output, reportDir } = await signalledRun(signal, 'process');
    expect(end).toEqual({ exitCode: code, signal: undefined, leftovers: [] });
    const report = await read();
    expect(report.verdict).toBe('interrupted');
    expect(report.reason).toBe(`interrupted: ${signal} sent to the vitest process`);
    expect(report.swarm?.clientsStarted).toBe(2);
    expect(report.swarm?.requests.segment.total).toBeGreaterThan(0);
    expect(output).toContain(`[hls-swarm] ${signal}: stopping the run and writing its report`);
    expect(output).toContain('hls-swarm runs until a signal: INTERRUPTED');
    // The run ended as runs do: the reporter wrote the run's summary.
    const summary = await readJson<{ reason: string; scenarios: Array<{ verdict: string }> }>(
      join(reportDir, 'summary.json'),
    );
    expect(summary.reason).toBe('interrupted');
    expect(summary.scenarios.map((entry) => entry.verdict)).toEqual(['interrupted']);
  },
);

test('Ctrl-C in a terminal (SIGINT to the process group): an interrupted report, exit 130', async () => {
  const { end, read } = await signalledRun('SIGINT', 'group');
  expect(end).toEqual({ exitCode: 130, signal: undefined, leftovers: [] });
  const report = await read();
  expect(report.verdict).toBe('interrupted');
  // The worker and the main process both got it; whichever stops the run first names it.
  expect(report.reason).toMatch(/^interrupted: (Ctrl-C \(SIGINT\)|SIGINT sent to the vitest process)$/);
});

// Vitest exits without waiting; its worker goes with its process group here (as a CI runner
// ends a job's processes) or on its next message to the gone main process; the watchdog
// stops the viewers and origin either way.
test('a second SIGTERM exits at once, still 143, and the watchdog leaves nothing running', async () => {
  const { end, output } = await signalledRun('SIGTERM', 'process', true);
  expect(end).toEqual({ exitCode: 143, signal: undefined, leftovers: [] });
  expect(output).toContain('[hls-swarm] SIGTERM again: exiting now');
});
