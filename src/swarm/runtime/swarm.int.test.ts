import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originSchema, swarmSchema } from '../../config/index.js';
import { type RunningOrigin, startOrigin } from '../../origin/index.js';
import type { RequestRecord } from '../types.js';
import { startSwarm } from './start-swarm.js';
import { liveFfmpeg, waitUntil } from './test/processes.js';

/*
 * Real ffmpeg viewers against a real live origin (python http.server over the `tiny` generator).
 * Small on purpose (3 viewers, ~20 s): timing claims live in bench/, not here.
 */

let origin: RunningOrigin;

beforeAll(async () => {
  origin = await startOrigin(originSchema.parse({ kind: 'python', port: 0, profile: 'tiny' }));
});

afterAll(async () => {
  await origin?.stop();
});

describe('swarm against a live origin', () => {
  it('3 viewers for ~20 s download segments, serve /metrics, and leave no ffmpeg behind', async () => {
    const spec = swarmSchema.parse({ clients: 3, rampRate: 5, duration: '20s', metricsPort: 0 });
    const logDir = mkdtempSync(join(tmpdir(), 'hls-swarm-test-logs-'));
    const swarm = await startSwarm({ url: origin.streamUrl, spec, logDir });
    const pids = new Set<number>();
    const requests: RequestRecord[] = [];
    let rampComplete = 0;
    swarm.on('clientStarted', (event) => pids.add(event.pid));
    swarm.on('request', (record) => requests.push(record));
    swarm.on('rampComplete', (event) => {
      rampComplete = event.clients;
    });
    expect(swarm.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(swarm.commandLine(0)).toContain('hls-swarm/');

    // Mid-run: the endpoint serves the seed's names and the request counters.
    await waitUntil(() => requests.filter((r) => r.kind === 'segment' && r.ok).length >= 6, 15_000);
    const health = await fetch(new URL('/health', swarm.metricsUrl));
    expect(health.status).toBe(200);
    const exposition = await (await fetch(swarm.metricsUrl)).text();
    for (const name of [
      'hls_swarm_clients_active 3',
      'hls_swarm_clients_started_total 3',
      'hls_swarm_clients_restarted_total 0',
      'hls_swarm_clients_target 3',
      'hls_swarm_requests_total{kind="segment",status="200"}',
      'hls_swarm_request_bytes_total{kind="segment"}',
      'hls_swarm_segment_duration_seconds_bucket',
      'hls_swarm_manifest_duration_seconds_bucket',
      'hls_swarm_segment_ttfb_seconds_bucket',
      'hls_swarm_stalled_clients',
      'hls_swarm_dropped_log_lines_total',
      'hls_swarm_reconnects_total',
      'hls_swarm_playback_speed_bucket',
    ]) {
      expect(exposition).toContain(name);
    }

    const snapshot = await swarm.done;
    expect(rampComplete).toBe(3);
    expect(pids.size).toBe(3);
    expect(snapshot.clientsStarted).toBe(3);
    expect(snapshot.restarts).toBe(0);
    // 2 s segments for ~20 s: each viewer gets several (the live start alone fetches 3).
    expect(snapshot.requests.segment.ok).toBeGreaterThanOrEqual(3 * 6);
    expect(snapshot.requests.segment.failed).toBe(0);
    expect(snapshot.requests.segment.bytes).toBeGreaterThan(0);
    expect(snapshot.requests.manifest.ok).toBeGreaterThanOrEqual(3 * 4);
    expect(snapshot.startupSeconds.count).toBe(3);
    expect(snapshot.exitCategories).toEqual({ clean: 3 });
    expect(snapshot.clientsActive).toBe(0);
    // Stopped means gone: no viewer's PID is a live ffmpeg any more.
    expect(liveFfmpeg(pids)).toEqual([]);
    // The metrics endpoint is closed with the swarm.
    await expect(fetch(swarm.metricsUrl)).rejects.toThrow();
    // stop() after done is idempotent and returns the same final snapshot.
    expect(await swarm.stop()).toEqual(snapshot);
    // Each viewer's log was kept (logDir), as ffmpeg wrote it.
    expect(readFileSync(join(logDir, 'client-2.log'), 'utf8')).toContain('request: GET /');
    rmSync(logDir, { recursive: true, force: true });
  });

  it('restarts a viewer that was killed, with backoff, and counts the exit as a signal', async () => {
    const spec = swarmSchema.parse({ clients: 1, duration: '60s', metricsPort: 0 });
    const swarm = await startSwarm({ url: origin.streamUrl, spec });
    const starts: { pid: number; restart: boolean; atMs: number }[] = [];
    swarm.on('clientStarted', (event) => starts.push(event));
    try {
      expect(await waitUntil(() => starts.length === 1, 5000)).toBe(true);
      const first = starts[0] as { pid: number; atMs: number };
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const killedAtMs = Date.now();
      process.kill(first.pid, 'SIGKILL');
      expect(await waitUntil(() => starts.length === 2, 10_000)).toBe(true);
      const second = starts[1] as { pid: number; restart: boolean; atMs: number };
      expect(second.restart).toBe(true);
      expect(second.pid).not.toBe(first.pid);
      // First restart: 250 ms ± 20 % after the exit.
      expect(second.atMs - killedAtMs).toBeGreaterThanOrEqual(150);
      const snapshot = swarm.snapshot();
      expect(snapshot.restarts).toBe(1);
      expect(snapshot.exitCategories.signal).toBe(1);
      const metrics = await (await fetch(swarm.metricsUrl)).text();
      expect(metrics).toContain('hls_swarm_clients_restarted_total 1');
    } finally {
      const final = await swarm.stop();
      expect(final.clientsActive).toBe(0);
      expect(liveFfmpeg(starts.map((start) => start.pid))).toEqual([]);
    }
  });

  it('an aborted signal stops the viewers and resolves done early', async () => {
    const controller = new AbortController();
    const spec = swarmSchema.parse({ clients: 2, rampRate: 10, duration: '5m', metricsPort: 0 });
    const swarm = await startSwarm({ url: origin.streamUrl, spec, signal: controller.signal });
    const pids: number[] = [];
    swarm.on('clientStarted', (event) => pids.push(event.pid));
    expect(await waitUntil(() => pids.length === 2, 5000)).toBe(true);
    const abortedAtMs = Date.now();
    controller.abort();
    const snapshot = await swarm.done;
    // SIGTERM → ffmpeg exits at once; far less than the 5 min duration or the 3 s grace.
    expect(Date.now() - abortedAtMs).toBeLessThan(5000);
    expect(snapshot.clientsActive).toBe(0);
    expect(snapshot.exitCategories).toEqual({ clean: 2 });
    expect(liveFfmpeg(pids)).toEqual([]);
  });

  it('follows k6-style stages: up to 2 viewers, then down to 1', async () => {
    const spec = swarmSchema.parse({
      clients: 1,
      metricsPort: 0,
      stages: [
        { duration: '1s', target: 2 },
        { duration: '4s', target: 2 },
        { duration: '1s', target: 1 },
        { duration: '3s', target: 1 },
      ],
    });
    const swarm = await startSwarm({ url: origin.streamUrl, spec });
    const started: number[] = [];
    const exited: { clientId: number; atMs: number }[] = [];
    swarm.on('clientStarted', (event) => started.push(event.clientId));
    swarm.on('clientExited', (event) => exited.push(event));
    expect(swarm.plan.totalDurationMs).toBe(9000);
    const t0 = Date.now();
    const snapshot = await swarm.done;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(8500);
    expect(started).toEqual([0, 1]);
    // Client 1 (the highest id) stops when the target falls to 1, client 0 at the end.
    expect(exited.map((event) => event.clientId)).toEqual([1, 0]);
    expect((exited[0]?.atMs ?? 0) - t0).toBeGreaterThanOrEqual(5000);
    expect((exited[0]?.atMs ?? 0) - t0).toBeLessThan(8500);
    expect(snapshot.restarts).toBe(0);
    expect(snapshot.clientsTarget).toBe(2);
  });
});
