import { describe, expect, it } from 'vitest';
import { nearestRankPercentile, seededRandom } from '../../system/index.js';
import type { RequestRecord } from '../types.js';
import { Distribution, FleetStats, PlaybackTracker, summarize } from './index.js';

/** Deterministic PRNG, so a failure can be replayed. */
const random = seededRandom;

const PERCENTILES = [50, 90, 95, 99] as const;

function record(clientId: number, kind: RequestRecord['kind'], ttfb: number, duration: number, bytes = 1000) {
  return {
    clientId,
    kind,
    url: `http://h/${kind}`,
    startMs: 1_000_000,
    status: 200,
    bytes,
    ttfbSeconds: ttfb,
    durationSeconds: duration,
    ok: true,
  } satisfies RequestRecord;
}

describe('summarize (exact, for small sets)', () => {
  it('uses nearest-rank percentiles', () => {
    const values = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
    expect(summarize(values)).toEqual({
      count: 10,
      min: 1,
      mean: 5.5,
      p50: 5,
      p90: 9,
      p95: 10,
      p99: 10,
      max: 10,
    });
    expect(summarize([])).toMatchObject({ count: 0, p99: 0 });
    expect(summarize([Number.NaN, 2])).toMatchObject({ count: 1, min: 2, max: 2 });
  });
});

describe('FleetStats: merged distributions', () => {
  it('fleet percentiles equal sort-based percentiles of all clients’ values (within HDR precision)', () => {
    const next = random(42);
    const stats = new FleetStats();
    const all: number[] = [];
    // Clients with very different latency profiles: a max of per-client p95s would be far off.
    for (let clientId = 0; clientId < 40; clientId++) {
      const scale = clientId % 10 === 0 ? 2.5 : 0.05 + next() * 0.2;
      for (let i = 0; i < 250; i++) {
        const duration = scale * (0.2 + next() ** 3 * 3);
        all.push(duration);
        stats.recordRequest(record(clientId, 'segment', duration / 3, duration));
      }
    }
    const sorted = [...all].sort((a, b) => a - b);
    const summary = stats.summary('segment', 'duration');
    expect(summary.count).toBe(all.length);
    expect(summary.min).toBe(sorted[0]);
    expect(summary.max).toBe(sorted[sorted.length - 1]);
    expect(summary.mean).toBeCloseTo(all.reduce((a, b) => a + b, 0) / all.length, 9);
    for (const p of PERCENTILES) {
      const exact = nearestRankPercentile(sorted, p);
      const key = `p${p}` as const;
      expect(Math.abs(summary[key] - exact) / exact).toBeLessThan(0.002);
    }
    // The per-client histograms merge to the same fleet answer.
    const merged = stats.mergedClientSegmentDurationSummary();
    expect({ ...merged, mean: 0 }).toEqual({ ...summary, mean: 0 });
    expect(merged.mean).toBeCloseTo(summary.mean, 12);
    // …and differ from the reference tool's max-of-percentiles.
    const maxOfClientP50 = Math.max(
      ...Array.from({ length: 40 }, (_, id) => stats.clientSegmentDurationSummary(id).p50),
    );
    expect(maxOfClientP50).toBeGreaterThan(summary.p50 * 2);
  });

  it('the one-walk percentile reader agrees with hdr-histogram-js getValueAtPercentile', () => {
    const next = random(99);
    for (const compact of [false, true]) {
      const distribution = new Distribution(1e6, compact);
      for (let i = 0; i < 3000; i++) distribution.record(next() ** 4 * 20);
      const walked = distribution.percentiles([0.1, 50, 90, 95, 99, 99.9, 100]);
      expect(walked).toEqual([0.1, 50, 90, 95, 99, 99.9, 100].map((p) => distribution.percentile(p)));
    }
  });

  it('Distribution.add merges exactly', () => {
    const next = random(7);
    const a = new Distribution(1e6);
    const b = new Distribution(1e6);
    const both = new Distribution(1e6);
    for (let i = 0; i < 5000; i++) {
      const value = next() * 10;
      (i % 3 === 0 ? a : b).record(value);
      both.record(value);
    }
    a.add(b);
    expect(a.summary().p99).toBe(both.summary().p99);
    expect(a.summary().p50).toBe(both.summary().p50);
    expect(a.count).toBe(5000);
  });

  it('reading never resets: two reads give the same answer', () => {
    const stats = new FleetStats();
    for (let i = 0; i < 100; i++) stats.recordRequest(record(i % 4, 'manifest', 0.001 * i, 0.002 * i));
    stats.recordStartup(0, 1.5);
    stats.recordPlayback({ clientId: 0, atMs: 1, speed: 1, stalled: false });
    const first = stats.snapshotParts(2_000_000);
    const second = stats.snapshotParts(2_000_000);
    expect(second).toEqual(first);
    expect(first.manifestDurationSeconds.count).toBe(100);
  });

  it('counts requests by kind and status; failures are counted, not timed', () => {
    const stats = new FleetStats();
    stats.recordRequest(record(1, 'segment', 0.01, 0.1, 5000));
    stats.recordRequest(record(1, 'manifest', 0.01, 0.02, 300));
    stats.recordRequest({
      clientId: 1,
      kind: 'segment',
      url: 'http://h/x.ts',
      startMs: 1_000_000,
      status: 404,
      ok: false,
      error: 'http',
      durationSeconds: 0.01,
    });
    stats.recordRequest({
      clientId: 1,
      kind: 'manifest',
      url: 'http://h/x.m3u8',
      startMs: 1_000_000,
      ok: false,
      error: 'connect',
    });
    stats.recordEvent({ type: 'http_error', atMs: 1, status: 404 });
    stats.recordEvent({ type: 'reconnect', atMs: 1 });
    stats.recordEvent({ type: 'timeout', atMs: 1 });
    stats.recordEvent({ type: 'segment_skipped_expired', atMs: 1, count: 2 });
    stats.recordEvent({ type: 'playlist_reload_failed', atMs: 1 });
    stats.recordEvent({ type: 'segment_failed', atMs: 1 });
    stats.recordEvent({ type: 'connect_failed', atMs: 1, reason: 'Connection refused' });
    const parts = stats.snapshotParts(1_000_500);
    expect(parts.requests.segment).toEqual({ total: 2, ok: 1, failed: 1, bytes: 5000 });
    expect(parts.requests.manifest).toEqual({ total: 2, ok: 1, failed: 1, bytes: 300 });
    expect(parts.segmentDurationSeconds.count).toBe(1);
    expect(parts.httpErrors).toEqual({ '404': 1 });
    expect(parts).toMatchObject({
      reconnects: 1,
      timeouts: 1,
      segmentsSkippedExpired: 2,
      playlistReloadFailures: 1,
      segmentsFailed: 1,
      connectFailures: 1,
    });
    const counters = stats.counters();
    expect(counters.statuses.segment).toEqual({ '200': 1, '404': 1 });
    expect(counters.statuses.manifest).toEqual({ '200': 1, none: 1 });
    expect(counters.requestErrors).toMatchObject({ http: 1, connect: 1 });
  });

  it('computes throughput over the trailing window of completed requests', () => {
    const stats = new FleetStats();
    for (let second = 0; second < 20; second++) {
      stats.recordRequest({
        ...record(0, 'segment', 0.01, 0.5, 100_000),
        startMs: 1_000_000 + second * 1000,
      });
    }
    // 100 kB finished each second: 100 kB/s over 10 full seconds ending 3 s ago
    expect(stats.throughputBytesPerSecond(1_000_000 + 20_000)).toBe(100_000);
    // Seconds not yet complete (the last 3) do not count: right after the last request, still 100 kB/s.
    expect(stats.throughputBytesPerSecond(1_000_000 + 21_000)).toBe(100_000);
    // Long after, nothing finished in the window.
    expect(stats.throughputBytesPerSecond(1_000_000 + 60_000)).toBe(0);
  });

  it('counts stalled clients from their latest window and forgets stopped ones', () => {
    const stats = new FleetStats();
    stats.recordPlayback({ clientId: 1, atMs: 1, speed: 0.5, stalled: true });
    stats.recordPlayback({ clientId: 2, atMs: 1, speed: 1, stalled: false });
    stats.recordPlayback({ clientId: 3, atMs: 1, speed: 0.2, stalled: true });
    stats.recordPlayback({ clientId: 3, atMs: 2, speed: 1.0, stalled: false });
    expect(stats.stalledClients()).toBe(1);
    stats.forgetClient(1);
    expect(stats.stalledClients()).toBe(0);
    expect(stats.playbackSpeedSummary().count).toBe(4);
  });

  it('summarises the drift behind the live edge from the windows that know it', () => {
    const stats = new FleetStats();
    stats.recordPlayback({ clientId: 1, atMs: 1, speed: 1, stalled: false, driftSeconds: 0 });
    stats.recordPlayback({ clientId: 2, atMs: 1, speed: 0.6, stalled: true, driftSeconds: 4 });
    stats.recordPlayback({ clientId: 3, atMs: 1, speed: 1, stalled: false });
    const drift = stats.snapshotParts(2).liveEdgeDriftSeconds;
    expect(drift).toMatchObject({ count: 2, min: 0, max: 4 });
  });
});

/** Feeds a 10 s-window tracker, started at 0, the (wall ms, out_time µs) progress points; returns its samples. */
function playbackSamples(points: Iterable<readonly [number, number]>) {
  const tracker = new PlaybackTracker(0, { windowMs: 10_000 });
  tracker.start(0);
  const samples = [];
  for (const [atMs, outTimeUs] of points) {
    const sample = tracker.progress(atMs, outTimeUs);
    if (sample) samples.push(sample);
  }
  return samples;
}

/** Progress every `stepMs` from 1 s to 41 s, out_time starting at 6 s (3 segments back) and growing 2 s a step. */
function* everyStep(stepMs: number): Generator<[number, number]> {
  for (let t = 1000, out = 6e6; t <= 41_000; t += stepMs, out += 2e6) yield [t, out];
}

describe('PlaybackTracker', () => {
  it('a realtime viewer is not stalled (out_time advance / wall time, not ffmpeg speed=)', () => {
    // A live viewer gets 6 s at once (3 segments back), then 2 s per 2 s.
    const samples = playbackSamples(everyStep(2000));
    expect(samples.length).toBeGreaterThanOrEqual(3);
    for (const sample of samples.slice(1)) {
      expect(sample.speed).toBeGreaterThan(0.95);
      expect(sample.speed).toBeLessThan(1.05);
      expect(sample.stalled).toBe(false);
      expect(sample.driftSeconds).toBeLessThanOrEqual(2.01);
    }
  });

  it('segment-sized bursts never flag a realtime viewer, whatever the window phase', () => {
    // Segments land every 2 s with up to ±0.6 s of download jitter; out_time jumps by a whole
    // 2 s segment when one lands. A 10 s window then holds 4, 5 or 6 segments: 0.8, 1.0, 1.2.
    let shortWindows = 0;
    for (const phaseMs of [0, 300, 700, 1100, 1600, 1900]) {
      const landings = Array.from(
        { length: 60 },
        (_, k) => phaseMs + k * 2000 + Math.round(600 * Math.sin(k * 1.3)),
      );
      const points = Array.from({ length: 220 }, (_, index): [number, number] => {
        const t = 500 * (index + 1);
        return [t, (6 + 2 * landings.filter((at) => at <= t).length) * 1e6];
      });
      const samples = playbackSamples(points);
      const steady = samples.slice(1);
      shortWindows += steady.filter((sample) => sample.speed < 0.9).length;
      for (const sample of steady) expect(sample.stalled, `phase ${phaseMs} at ${sample.atMs}`).toBe(false);
    }
    // The quantisation is really exercised: some windows read below the 0.9 threshold.
    expect(shortWindows).toBeGreaterThan(0);
  });

  it('a viewer at half speed is stalled even with the one-segment allowance', () => {
    const samples = playbackSamples(everyStep(4000));
    for (const sample of samples.slice(1)) expect(sample.stalled).toBe(true);
  });

  it('a slow starter counts: the first window starts at spawn', () => {
    const tracker = new PlaybackTracker(0, { windowMs: 10_000 });
    tracker.start(0);
    expect(tracker.progress(9000, 1e6)).toBeUndefined();
    const sample = tracker.progress(10_500, 2e6);
    expect(sample?.stalled).toBe(true);
    expect(sample?.speed).toBeCloseTo(2 / 10.5, 5);
  });

  it('a hung viewer (no progress at all) shows up as stalled through check()', () => {
    const tracker = new PlaybackTracker(0, { windowMs: 10_000 });
    tracker.start(0);
    tracker.progress(1000, 6e6);
    expect(tracker.check(5000)).toBeUndefined();
    const sample = tracker.check(12_000);
    expect(sample).toMatchObject({ stalled: true });
    const hung = tracker.check(25_000);
    expect(hung).toMatchObject({ speed: 0, stalled: true });
    expect(hung?.driftSeconds).toBeGreaterThan(20);
    expect(tracker.lastSample).toEqual(hung);
  });

  it('never uses a window shorter than 10 s', () => {
    const tracker = new PlaybackTracker(0, { windowMs: 2000 });
    tracker.start(0);
    expect(tracker.progress(5000, 5e6)).toBeUndefined();
    expect(tracker.progress(10_000, 10e6)).toBeDefined();
  });
});
