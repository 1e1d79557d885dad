import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../types.js';
import { FleetQoe } from './qoe.js';
import { ViewerKindStats } from './viewer-kinds.js';

const T0 = 1_700_000_000_000;

function segment(
  clientId: number,
  viewerKind: 'ffmpeg' | 'light',
  seconds: number,
  ok = true,
): RequestRecord {
  return {
    clientId,
    viewerKind,
    kind: 'segment',
    url: `http://127.0.0.1/seg-${clientId}.ts`,
    startMs: T0,
    status: ok ? 200 : 404,
    bytes: 1000,
    ttfbSeconds: seconds / 2,
    durationSeconds: seconds,
    ok,
    ...(ok ? {} : { error: 'http' as const }),
  };
}

describe('light viewers in FleetQoe, and the per-kind breakdown', () => {
  it('light attempts count from their own account and stop; the ffmpeg share is the rest', () => {
    const qoe = new FleetQoe();
    qoe.attemptStarted(0, T0);
    qoe.lightAttemptStarted(1);
    qoe.lightAttemptStarted(2);
    qoe.lightAccount(1, { playingSeconds: 9, stalledSeconds: 1, stallsStarted: 1 });
    qoe.lightVariantSwitch();
    // Viewer 2 never played: its own last fault is the reason, not its last request's status.
    qoe.request(segment(2, 'light', 0.1, false));
    expect(
      qoe.lightAttemptEnded(1, {
        videoStarted: true,
        watch: { playingSeconds: 9, stalledSeconds: 1, stallsStarted: 1 },
      }),
    ).toEqual({ kind: 'played' });
    expect(
      qoe.lightAttemptEnded(2, {
        videoStarted: false,
        startFailure: 'missing-extm3u',
        watch: { playingSeconds: 0, stalledSeconds: 0, stallsStarted: 0 },
      }),
    ).toEqual({ kind: 'video-start-failure', reason: 'missing-extm3u' });
    // Ended once: a second stop says nothing, and watch time after it is not counted.
    expect(
      qoe.lightAttemptEnded(1, {
        videoStarted: true,
        watch: { playingSeconds: 1, stalledSeconds: 0, stallsStarted: 0 },
      }),
    ).toBeUndefined();
    qoe.lightAccount(1, { playingSeconds: 5, stalledSeconds: 0, stallsStarted: 0 });
    qoe.attemptEnded(0, T0 + 1000, true, 'signal');

    const summary = qoe.summary();
    expect(summary).toMatchObject({
      videoStartFailures: 1,
      videoStartFailureReasons: { 'missing-extm3u': 1 },
      exitsBeforeVideoStart: 1,
      attemptsPlayed: 1,
      watchSeconds: 9,
      rebufferSeconds: 1,
      rebufferEvents: 1,
      variantSwitches: 1,
    });
    expect(qoe.kindSummary('light')).toEqual({
      attemptsPlayed: 1,
      videoStartFailures: 1,
      exitsBeforeVideoStart: 0,
      watchSeconds: 9,
      rebufferSeconds: 1,
      rebufferEvents: 1,
      rebufferRatio: 0.1,
    });
    expect(qoe.kindSummary('ffmpeg')).toMatchObject({
      attemptsPlayed: 0,
      exitsBeforeVideoStart: 1,
      watchSeconds: 0,
    });
  });

  it('splits requests, segment timings and startup by viewer kind; they add up to the whole', () => {
    const stats = new ViewerKindStats();
    for (const id of [0, 4]) stats.planned('ffmpeg', id);
    for (const id of [1, 2, 3]) stats.planned('light', id);
    stats.planned('light', 1); // a restart counts the viewer once
    stats.recordRequest(segment(0, 'ffmpeg', 0.2));
    stats.recordRequest({ ...segment(4, 'ffmpeg', 0.3), viewerKind: undefined }); // absent: ffmpeg
    stats.recordRequest(segment(1, 'light', 0.01));
    stats.recordRequest(segment(2, 'light', 0.02, false));
    stats.recordRequest({ ...segment(3, 'light', 0.03), kind: 'manifest' });
    stats.recordStartup('light', 0.5);
    const snapshot = stats.snapshot(new FleetQoe());
    expect(snapshot.ffmpeg?.viewers).toBe(2);
    expect(snapshot.light?.viewers).toBe(3);
    expect(snapshot.ffmpeg?.requests).toEqual({ total: 2, ok: 2, failed: 0, bytes: 2000 });
    expect(snapshot.light?.requests).toEqual({ total: 3, ok: 2, failed: 1, bytes: 3000 });
    // Timings of sound segments only.
    expect(snapshot.ffmpeg?.segmentDurationSeconds.count).toBe(2);
    expect(snapshot.light?.segmentDurationSeconds.count).toBe(1);
    expect(snapshot.light?.segmentDurationSeconds.p50).toBeCloseTo(0.01, 4);
    expect(snapshot.light?.startupSeconds.count).toBe(1);
    expect(snapshot.ffmpeg?.startupSeconds.count).toBe(0);
    expect(new ViewerKindStats().snapshot(new FleetQoe())).toEqual({});
  });
});
