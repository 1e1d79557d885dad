import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { RequestRecord, SwarmEventMap } from '../swarm/index.js';
import { MetricStore } from './store.js';
import { SwarmRecorder } from './swarm.js';

const T0 = 1_700_000_000_000;

function request(partial: Partial<RequestRecord>): RequestRecord {
  return { clientId: 1, kind: 'segment', url: 'http://127.0.0.1/s.ts', startMs: T0, ok: true, ...partial };
}

describe('SwarmRecorder', () => {
  it('stores every request, startup and playback sample as an exact raw value', () => {
    const swarm = new EventEmitter<SwarmEventMap>();
    const store = new MetricStore();
    let now = T0;
    const recorder = new SwarmRecorder(store, () => now);
    recorder.attach(swarm);

    swarm.emit('viewerStarted', { clientId: 1, viewerKind: 'ffmpeg', pid: 11, atMs: T0, restart: false });
    swarm.emit('viewerStarted', { clientId: 2, viewerKind: 'light', atMs: T0, restart: false });
    swarm.emit('request', request({ ttfbSeconds: 0.01, durationSeconds: 0.2, bytes: 1000, status: 206 }));
    swarm.emit(
      'request',
      request({ startMs: T0 + 100, ttfbSeconds: 0.03, durationSeconds: 0.4, bytes: 3000 }),
    );
    swarm.emit(
      'request',
      request({ kind: 'manifest', ttfbSeconds: 0.002, durationSeconds: 0.003, bytes: 200 }),
    );
    swarm.emit('request', request({ status: 404, ok: false, error: 'http', startMs: T0 + 500 }));
    swarm.emit('startup', { clientId: 1, atMs: T0 + 900, seconds: 1.5 });
    swarm.emit('playback', { clientId: 2, atMs: T0 + 900, speed: 0.5, stalled: true, driftSeconds: 4.5 });
    now = T0 + 1000;
    recorder.tick();

    const all = [T0 - 1000, T0 + 10_000] as const;
    const ttfb = store.window('segment_ttfb', {}, ...all);
    expect(ttfb?.type === 'trend' && [...ttfb.values]).toEqual([0.01, 0.03]);
    const duration = store.window('segment_duration', {}, ...all);
    expect(duration?.type === 'trend' && [...duration.values]).toEqual([0.2, 0.4]);
    expect(store.window('manifest_ttfb', {}, ...all)?.count).toBe(1);
    expect(store.window('startup_time', {}, ...all)).toMatchObject({ count: 1 });
    const drift = store.window('live_edge_drift', {}, ...all);
    expect(drift?.type === 'trend' && [...drift.values]).toEqual([4.5]);
    expect(store.window('request_errors', {}, ...all)).toMatchObject({ type: 'rate', hits: 1, total: 4 });
    expect(store.window('request_errors', { kind: 'manifest' }, ...all)).toMatchObject({ hits: 0, total: 1 });
    expect(store.window('http_errors', { status: '404' }, ...all)).toMatchObject({ increase: 1 });
    expect(store.window('http_errors', { status: '500' }, ...all)).toMatchObject({
      increase: 0,
      zeroBased: true,
    });
    expect(store.window('clients_active', {}, ...all)).toMatchObject({ last: 2 });
    expect(store.window('stalled_clients', {}, ...all)).toMatchObject({ last: 1 });
    expect(store.window('throughput', {}, ...all)).toMatchObject({ last: 4200 });
    expect(store.window('restarts', {}, ...all)).toMatchObject({ increase: 0, zeroBased: true });

    // A request is placed at its completion time: start + duration.
    expect(store.window('segment_duration', {}, T0 + 450, T0 + 550)?.count).toBe(1);

    swarm.emit('clientExited', { clientId: 2, atMs: T0 + 1500, category: 'signal', uptimeMs: 1500 });
    swarm.emit('viewerStarted', {
      clientId: 2,
      viewerKind: 'ffmpeg',
      pid: 13,
      atMs: T0 + 1800,
      restart: true,
    });
    swarm.emit('rampComplete', { atMs: T0 + 1900, clients: 2 });
    now = T0 + 2000;
    recorder.tick();
    expect(store.window('restarts', {}, ...all)).toMatchObject({ increase: 1 });
    expect(store.window('stalled_clients', {}, T0 + 1500, T0 + 3000)).toMatchObject({ last: 0 });
    expect(store.window('throughput', {}, T0 + 1500, T0 + 3000)).toMatchObject({ last: 0 });
    expect(recorder.rampCompleteAtMs).toBe(T0 + 1900);

    recorder.detach();
    expect(swarm.listenerCount('request')).toBe(0);
  });

  it('prefers the swarm snapshot for gauges when the swarm has one', () => {
    const swarm = Object.assign(new EventEmitter<SwarmEventMap>(), {
      snapshot: () => ({ clientsActive: 7, stalledClients: 3, throughputBytesPerSecond: 999 }) as never,
    });
    const store = new MetricStore();
    const recorder = new SwarmRecorder(store, () => T0);
    recorder.attach(swarm);
    recorder.tick(T0 + 1000);
    expect(store.window('clients_active', {}, T0, T0 + 1000)).toMatchObject({ last: 7 });
    expect(store.window('stalled_clients', {}, T0, T0 + 1000)).toMatchObject({ last: 3 });
    // No request carried bytes: the snapshot's throughput is used.
    expect(store.window('throughput', {}, T0, T0 + 1000)).toMatchObject({ last: 999 });
  });

  it('records release lateness as a trend and dropped log lines as a zero-based counter', () => {
    let droppedLines = 0;
    const swarm = Object.assign(new EventEmitter<SwarmEventMap>(), {
      snapshot: () =>
        ({ clientsActive: 1, stalledClients: 0, throughputBytesPerSecond: 0, droppedLines }) as never,
    });
    const store = new MetricStore();
    const recorder = new SwarmRecorder(store, () => T0);
    recorder.attach(swarm);
    const release = (clientId: number, plannedAtMs: number, releasedAtMs: number) =>
      swarm.emit('released', {
        clientId,
        plannedAtMs,
        arrivedAtMs: plannedAtMs - 500,
        releasedAtMs,
        latenessSeconds: (releasedAtMs - plannedAtMs) / 1000,
      });
    release(1, T0 + 100, T0 + 100);
    release(2, T0 + 200, T0 + 215);
    const all = [T0, T0 + 10_000] as const;
    const lateness = store.window('release_lateness', {}, ...all);
    expect(lateness?.type === 'trend' && [...lateness.values]).toEqual([0, 0.015]);
    // Placed at the release time.
    expect(store.window('release_lateness', {}, T0 + 210, T0 + 220)?.count).toBe(1);

    expect(store.window('dropped_log_lines', {}, ...all)).toMatchObject({ increase: 0, zeroBased: true });
    droppedLines = 40;
    recorder.tick(T0 + 1000);
    droppedLines = 55;
    recorder.tick(T0 + 2000);
    recorder.tick(T0 + 3000);
    expect(store.window('dropped_log_lines', {}, ...all)).toMatchObject({ increase: 55 });
    expect(store.window('dropped_log_lines', {}, T0 + 1500, T0 + 3000)).toMatchObject({ increase: 15 });
  });
});
