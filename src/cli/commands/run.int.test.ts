import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originSchema, parseWith } from '../../config/index.js';
import { type RunningOrigin, startOrigin } from '../../origin/index.js';
import { reportSchema } from '../../report/index.js';
import { startTaggedRun } from '../../system/test/tagged-run.js';

/*
 * `hls-swarm run … --report FILE` as a real process, signalled alone as a CI cancellation or
 * `timeout` would: the viewers stop, the report is written saying `interrupted`, and the
 * command exits with 128 + the signal's number.
 */
const main = fileURLToPath(new URL('../main.ts', import.meta.url));
let origin: RunningOrigin;
let folder: string;

beforeAll(async () => {
  origin = await startOrigin(parseWith(originSchema, { kind: 'python', profile: 'tiny', port: 0 }, 'origin'));
  folder = await mkdtemp(join(tmpdir(), 'hls-swarm-run-signal-'));
});
afterAll(async () => {
  await origin?.stop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

describe('hls-swarm run stopped by a signal', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s: an interrupted report, exit %i, no viewer left', async (signal, code) => {
    const reportFile = join(folder, `${signal}.json`);
    const run = startTaggedRun(process.execPath, [
      '--import',
      'tsx',
      main,
      'run',
      origin.streamUrl,
      ...['--clients', '2', '--ramp-rate', '2', '--duration', '2m', '--metrics', '0'],
      ...['--report', reportFile],
    ]);
    await run.waitForOutput(/clients 2\/2/, 60_000);
    process.kill(run.process.pid, signal);
    const end = await run.ended();
    expect(end).toEqual({ exitCode: code, signal: undefined, leftovers: [] });
    expect(run.output()).toContain(`hls-swarm run: ${signal}: stopping the run`);
    const report = reportSchema.parse(JSON.parse(await readFile(reportFile, 'utf8')));
    expect(report.verdict).toBe('interrupted');
    expect(report.reason).toBe(`interrupted: received ${signal}`);
    expect(report.swarm?.clientsStarted).toBe(2);
    expect(report.swarm?.requests.segment.total).toBeGreaterThan(0);
  });
});
