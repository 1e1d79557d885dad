import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { reportSchema } from '../report/index.js';
import { liveFfmpeg } from '../swarm/runtime/test/processes.js';
import { findFreePort } from '../system/index.js';
import { runScenario } from './index.js';

/*
 * runScenario's edges, with real (failing) origins: whatever goes wrong after validation, a
 * report is written; a configuration mistake throws before anything starts.
 */
describe('runScenario', () => {
  test('an origin that never becomes ready ends in verdict error, with a report saying why', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hls-swarm-runner-test-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const port = await findFreePort();
    const result = await runScenario(
      {
        name: 'unreachable origin',
        origin: { kind: 'external', url: `http://127.0.0.1:${port}/live.m3u8`, readyTimeout: '2s' },
        swarm: { clients: 1, duration: '5s', metricsPort: 0 },
        slo: { request_errors: 'rate<0.01' },
      },
      { reportFile: join(dir, 'report.json') },
    );
    expect(result.verdict).toBe('error');
    expect(result.error?.name).toBe('OriginStartError');
    const report = reportSchema.parse(JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')));
    expect(report.verdict).toBe('error');
    expect(report.reason).toMatch(/not ready/);
    expect(report.error?.name).toBe('OriginStartError');
    expect(report.error?.message).toContain(String(port));
    expect(report.error?.stack).toBeUndefined();
    expect(report.origin).toBeNull();
    expect(report.swarm).toBeNull();
    expect(report.thresholds).toEqual([]);
    expect(report.timeline.swarmStartMs).toBeNull();
  });

  test('an already-aborted signal interrupts before anything starts, and the report says so', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hls-swarm-runner-test-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const controller = new AbortController();
    controller.abort(new Error('stopped by the caller'));
    const result = await runScenario(
      {
        name: 'aborted',
        origin: { kind: 'python', profile: 'tiny', port: 0 },
        swarm: { clients: 1, duration: '5s', metricsPort: 0 },
      },
      { reportFile: join(dir, 'report.json'), signal: controller.signal },
    );
    expect(result.verdict).toBe('interrupted');
    expect(result.report.reason).toBe('interrupted: stopped by the caller');
    expect(result.report.origin).toBeNull();
    expect(result.report.timeline.durationSeconds).toBeLessThan(1);
    expect(existsSync(join(dir, 'report.json'))).toBe(true);
  });

  test('a configuration mistake throws a ConfigError listing every problem and writes nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hls-swarm-runner-test-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const run = runScenario(
      {
        name: 'bad',
        origin: { kind: 'python', port: 0 },
        swarm: { clients: -1, duration: 'soon' },
        slo: { segment_duration: 'p(95)<' },
      } as never,
      { reportFile: join(dir, 'report.json') },
    );
    await expect(run).rejects.toMatchObject({ name: 'ConfigError' });
    await expect(run).rejects.toThrow(/swarm\.clients[\s\S]*swarm\.duration[\s\S]*segment_duration/);
    expect(existsSync(join(dir, 'report.json'))).toBe(false);
  });
});

describe('runScenario interrupted while the start gate prepares its viewers', () => {
  test('Ctrl-C during the prepare phase stops every pre-started ffmpeg and writes an interrupted report', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hls-swarm-runner-test-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const controller = new AbortController();
    const lines: string[] = [];
    const seen = new Set<number>();
    // 100 viewers take tens of seconds to spawn here (~0.3 CPU-s each): abort once a few wait.
    const log = (line: string) => {
      lines.push(line);
      const ready = /start gate: (\d+) of 100 viewers ready/.exec(line);
      if (ready && Number(ready[1]) >= 3) controller.abort(new Error('Ctrl-C'));
    };
    const watcher = setInterval(() => {
      for (const pid of ffmpegChildren()) seen.add(pid);
    }, 100);
    const result = await runScenario(
      {
        name: 'interrupted while preparing',
        origin: { kind: 'python', profile: 'tiny', port: 0 },
        swarm: { clients: 100, rampRate: 100, duration: '20s', metricsPort: 0 },
        slo: { request_errors: 'rate<0.01' },
      },
      { reportFile: join(dir, 'report.json'), signal: controller.signal, log },
    ).finally(() => clearInterval(watcher));
    expect(result.verdict).toBe('interrupted');
    const report = reportSchema.parse(JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')));
    expect(report.verdict).toBe('interrupted');
    expect(report.reason).toBe('interrupted: Ctrl-C');
    expect(report.timeline.swarmStartMs).toBeNull();
    expect(lines.some((line) => line.includes('start gate: the run starts'))).toBe(false);
    expect(seen.size).toBeGreaterThanOrEqual(3);
    expect(liveFfmpeg(seen)).toEqual([]);
  });
});

/** ffmpeg processes whose parent is this test process (the viewers; python's generator too). */
function ffmpegChildren(): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid=,comm='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, ppid, comm]) => Number(ppid) === process.pid && comm === 'ffmpeg')
    .map(([pid]) => Number(pid));
}
