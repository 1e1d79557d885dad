import { describe, expect, it } from 'vitest';
import { SwarmMetrics } from './metrics-server.js';

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
