import { describe, expect, it } from 'vitest';
import { SwarmMetrics, startMetricsServer } from './metrics-server.js';

describe('swarm metrics', () => {
  it("keeps the seed's names and counts requests by kind and status in its own registry", async () => {
    const metrics = new SwarmMetrics();
    const other = new SwarmMetrics();
    metrics.clientStarted(false);
    metrics.clientStarted(false);
    metrics.clientStarted(true);
    metrics.setClients(2, 3, 1);
    metrics.request({
      clientId: 0,
      kind: 'segment',
      url: 'u',
      startMs: 0,
      status: 200,
      bytes: 1000,
      ttfbSeconds: 0.01,
      durationSeconds: 0.05,
      ok: true,
    });
    metrics.request({
      clientId: 0,
      kind: 'segment',
      url: 'u',
      startMs: 0,
      status: 200,
      bytes: 500,
      ok: true,
    });
    metrics.request({
      clientId: 1,
      kind: 'manifest',
      url: 'u',
      startMs: 0,
      status: 404,
      ok: false,
      error: 'http',
    });
    metrics.request({ clientId: 1, kind: 'segment', url: 'u', startMs: 0, ok: false, error: 'connect' });
    metrics.setDroppedLinesTotal(5);
    metrics.setDroppedLinesTotal(7);
    metrics.setDroppedLinesTotal(7);
    metrics.playback({ clientId: 0, atMs: 0, speed: 1.0, stalled: false, driftSeconds: 3 });
    const text = await metrics.registry.metrics();
    expect(text).toContain('hls_swarm_clients_active 2');
    expect(text).toContain('hls_swarm_clients_target 3');
    expect(text).toContain('hls_swarm_stalled_clients 1');
    expect(text).toContain('hls_swarm_clients_started_total 3');
    expect(text).toContain('hls_swarm_clients_restarted_total 1');
    expect(text).toContain('hls_swarm_requests_total{kind="segment",status="200"} 2');
    expect(text).toContain('hls_swarm_requests_total{kind="manifest",status="404"} 1');
    expect(text).toContain('hls_swarm_requests_total{kind="segment",status="error"} 1');
    expect(text).toContain('hls_swarm_request_bytes_total{kind="segment"} 1500');
    expect(text).toContain('hls_swarm_segment_duration_seconds_count 1');
    expect(text).toContain('hls_swarm_segment_ttfb_seconds_count 1');
    expect(text).toContain('hls_swarm_dropped_log_lines_total 7');
    expect(text).toContain('hls_swarm_playback_speed_count 1');
    expect(text).toContain('hls_swarm_live_edge_drift_seconds_bucket{le="4"} 1');
    // A second swarm's registry is separate (never prom-client's global one).
    expect(await other.registry.metrics()).toContain('hls_swarm_clients_started_total 0');
  });
});

describe('swarm metrics server', () => {
  it('serves hls_swarm_info, the process metrics, /health, and /ready once the plan has begun', async () => {
    const metrics = new SwarmMetrics({ ffmpegVersion: '5.1.6-0+deb12u1', toolVersion: '9.8.7' });
    const server = await startMetricsServer(metrics, { port: 0, host: '127.0.0.1' });
    try {
      const base = server.url.replace(/\/metrics$/, '');
      const scrape = await fetch(server.url);
      expect(scrape.status).toBe(200);
      const text = await scrape.text();
      expect(text).toContain('hls_swarm_info{version="9.8.7",ffmpeg="5.1.6-0+deb12u1"} 1');
      expect(text).toContain('hls_swarm_clients_active 0');
      // prom-client's default metrics, unprefixed (this Node process, not the swarm).
      expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
      expect(text).toMatch(/^process_resident_memory_bytes \d/m);
      expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
      expect(text).not.toContain('hls_swarm_process_');
      // Every metric once: the two registries never repeat a name.
      const helps = text.split('\n').filter((line) => line.startsWith('# HELP '));
      expect(new Set(helps.map((line) => line.split(' ')[2])).size).toBe(helps.length);

      expect((await fetch(`${base}/health`)).status).toBe(200);
      const before = await fetch(`${base}/ready`);
      expect(before.status).toBe(503);
      expect(await before.text()).toContain('not begun');
      metrics.markBegun();
      const after = await fetch(`${base}/ready`);
      expect(after.status).toBe(200);
      expect(await after.text()).toBe('ready\n');
      // A second swarm in the same process shares the process metrics, not its own.
      const other = new SwarmMetrics();
      expect(await other.exposition()).toContain('hls_swarm_info{version=');
      expect(await other.exposition()).toMatch(/^process_cpu_user_seconds_total \d/m);
      expect(other.ready).toBe(false);
    } finally {
      await server.close();
    }
  });
});
