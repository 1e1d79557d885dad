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

/** `hls-swarm run <the origin's URL> …args` in a tagged process of its own. */
function startRun(args: string[]) {
  return startTaggedRun(process.execPath, ['--import', 'tsx', main, 'run', origin.streamUrl, ...args]);
}

describe('hls-swarm run stopped by a signal', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s: an interrupted report, exit %i, no viewer left', async (signal, code) => {
    const reportFile = join(folder, `${signal}.json`);
    const run = startRun([
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

describe('hls-swarm run --duration 0 (until Ctrl-C), as go-ffmpeg-hls-swarm -duration 0', () => {
  it('ends normally at SIGINT: JSON log lines, /ready and hls_swarm_info while it runs, exit 0', async () => {
    const run = startRun([
      ...['--clients', '2', '--ramp-rate', '2', '--duration', '0', '--metrics', '127.0.0.1:0'],
      ...['--log-format', 'json', '--skip-preflight', '--print-cmd', '--user-agent', 'migration-test/{id}'],
    ]);
    await run.waitForOutput(/segments [1-9]\d* ok/, 60_000);
    const metricsUrl = /metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(run.output())?.[1] as string;
    expect(metricsUrl).toBeDefined();
    expect((await fetch(metricsUrl.replace(/metrics$/, 'ready'))).status).toBe(200);
    const scrape = await (await fetch(metricsUrl)).text();
    expect(scrape).toMatch(/^hls_swarm_info\{version="[^"]+",ffmpeg="[^"]+"\} 1$/m);
    expect(scrape).toMatch(/^process_cpu_user_seconds_total \d/m);
    process.kill(run.process.pid, 'SIGINT');
    const end = await run.ended();
    expect(end).toEqual({ exitCode: 0, signal: undefined, leftovers: [] });
    const output = run.output();
    expect(output).toContain('-user_agent migration-test/0');
    expect(output).toContain('-user_agent migration-test/1');
    expect(output).toContain('hls-swarm run summary');
    // Every line hls-swarm itself wrote to stderr is one JSON object.
    const logLines = output.split('\n').filter((line) => line.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(3);
    const messages = logLines.map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages.some((msg) => msg.startsWith('limits: not checked (--skip-preflight)'))).toBe(true);
    expect(messages.some((msg) => msg.includes('until Ctrl-C'))).toBe(true);
    expect(messages.some((msg) => msg.startsWith('SIGINT: stopping the run'))).toBe(true);
  });
});
