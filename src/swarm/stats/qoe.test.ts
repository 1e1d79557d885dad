import { describe, expect, it } from 'vitest';
import { replay } from '../parse/test/replay.js';
import {
  PlayerModel,
  RESUME_BUFFER_SECONDS,
  STALL_TOLERANCE_SECONDS,
  type WatchAccount,
} from './player-model.js';

function expectAccount(account: WatchAccount, playing: number, stalled: number, stalls: number): void {
  expect(account.playingSeconds).toBeCloseTo(playing, 6);
  expect(account.stalledSeconds).toBeCloseTo(stalled, 6);
  expect(account.stallsStarted).toBe(stalls);
}

import { FleetQoe } from './qoe.js';

/**
 * Drives FleetQoe with a real recording (fixtures/ffmpeg, recorded by fixtures/record/ffmpeg-logs.sh)
 * as the swarm does: the attempt starts at the first log line, the first complete segment starts
 * the video, progress feeds media time, and watch time is accounted every second.
 */
function playRecording(name: string, stoppedByPlan = true) {
  const { events, log, endMs } = replay(name);
  const startMs = log[0]?.atMs as number;
  const qoe = new FleetQoe();
  qoe.attemptStarted(0, startMs);
  let videoStartMs: number | undefined;
  let nextTickMs = startMs + 1000;
  const media: { atMs: number; seconds: number }[] = [];
  const samples: ReturnType<FleetQoe['sample']>[] = [];
  for (const event of events) {
    const atMs = event.type === 'request' ? event.record.startMs : event.atMs;
    while (nextTickMs <= atMs) {
      qoe.account(0, nextTickMs);
      nextTickMs += 1000;
    }
    if (event.type === 'progress') {
      qoe.media(0, event.atMs, event.outTimeUs);
      media.push({ atMs: event.atMs, seconds: event.outTimeUs / 1e6 });
      samples.push(qoe.sample(0, event.atMs));
    } else if (event.type === 'request') {
      qoe.request(event.record);
      if (videoStartMs === undefined && event.record.kind === 'segment' && event.record.ok) {
        videoStartMs =
          event.record.endMs ?? event.record.startMs + (event.record.durationSeconds ?? 0) * 1000;
        qoe.firstSegment(0, videoStartMs);
      }
    }
  }
  const outcome = qoe.attemptEnded(0, endMs, stoppedByPlan, 'clean');
  return { qoe, summary: qoe.summary(), outcome, startMs, endMs, videoStartMs, media, samples };
}

describe('PlayerModel', () => {
  it('plays what it has, stalls when the playhead reaches the end, resumes once a second is buffered', () => {
    const model = new PlayerModel();
    model.start(0);
    model.media(400, 0.00001e6);
    model.firstSegment(400);
    // A first progress block with (almost) no media: not playing yet.
    expect(model.started).toBe(false);
    model.media(500, 2e6);
    expect(model.started).toBe(true);
    // 2 s buffered at 0.5 s: plays until 2.5 s, then the buffer is dry…
    expectAccount(model.account(2000), 1.5, 0, 0);
    // …which is not a stall until it has lasted STALL_TOLERANCE_SECONDS: then it is, from 2.5 s.
    expectAccount(model.account(2500 + STALL_TOLERANCE_SECONDS * 1000 - 1), 0.5, 0, 0);
    expectAccount(model.account(4000), 0, 1.5, 1);
    // Half a second arrives: not enough to resume.
    model.media(4500, 2.5e6);
    expect(model.isStalled).toBe(true);
    model.media(5000, (2 + RESUME_BUFFER_SECONDS) * 1e6);
    expect(model.isStalled).toBe(false);
    expectAccount(model.account(6000), 1, 1, 0);
    expectAccount(model.totals, 3, 2.5, 1);
  });

  it('takes a buffer dry for less than the tolerance as a late progress report (played, no stall)', () => {
    const model = new PlayerModel();
    model.start(0);
    model.firstSegment(0);
    model.media(0, 2e6);
    // Dry at 2 s; media shows up 0.6 s later.
    model.media(2600, 4e6);
    expectAccount(model.account(3000), 3, 0, 0);
    expect(model.position(3000)?.bufferSeconds).toBeCloseTo(1, 6);
  });

  it('does not count time before the video started, and the start is not a stall', () => {
    const model = new PlayerModel();
    model.start(0);
    expect(model.account(3000)).toEqual({ playingSeconds: 0, stalledSeconds: 0, stallsStarted: 0 });
    model.firstSegment(3000);
    // No media time yet: still starting.
    expect(model.account(3500)).toEqual({ playingSeconds: 0, stalledSeconds: 0, stallsStarted: 0 });
    model.media(4000, 6e6);
    expect(model.account(5000)).toEqual({ playingSeconds: 1, stalledSeconds: 0, stallsStarted: 0 });
  });
});

describe('FleetQoe on recorded ffmpeg viewers', () => {
  it('a healthy viewer (nginx, 2 s segments) never stalls and plays a steady distance behind live', () => {
    const { summary, outcome, samples, media, startMs, endMs, videoStartMs } =
      playRecording('nginx-healthy-trace');
    expect(outcome).toEqual({ kind: 'played' });
    expect(summary.rebufferEvents).toBe(0);
    expect(summary.rebufferSeconds).toBe(0);
    expect(summary.rebufferRatio).toBe(0);
    // Watch time is the whole attempt after playback began (first segment in, a second demuxed).
    const playFrom = media.find(
      (point) => point.atMs >= (videoStartMs as number) && point.seconds >= RESUME_BUFFER_SECONDS,
    ) as { atMs: number };
    expect(summary.watchSeconds).toBeCloseTo((endMs - playFrom.atMs) / 1000, 3);
    expect(videoStartMs).toBeGreaterThanOrEqual(startMs);
    // ffmpeg starts three 2 s segments back: once caught up, the buffer holds 4-6 s and the
    // playhead stays as far behind the edge as it started (it never loses ground).
    const steady = samples
      .slice(3)
      .flatMap((sample) => (sample.liveLatencySeconds === undefined ? [] : [sample]));
    expect(steady.length).toBeGreaterThan(3);
    const latencies = steady.map((sample) => sample.liveLatencySeconds as number);
    expect(Math.max(...latencies) - Math.min(...latencies)).toBeLessThan(0.05);
    for (const sample of steady) {
      expect(sample.bufferSeconds).toBeGreaterThan(1.5);
      expect(sample.bufferSeconds).toBeLessThanOrEqual(6.1);
    }
  });

  it('a viewer frozen for 14.5 s stalls once, for the freeze less the buffer it had', () => {
    // After the freeze ffmpeg reported the 14 s it caught up 2.5 s late, with 2 s buffered:
    // within the stall tolerance, so not a second stall.
    const { summary, media, videoStartMs } = playRecording('python-frozen-viewer-trace');
    // The recording: media stuck at 8 s from t≈4 s until t≈18 s.
    const stuck = media.find((point) => point.seconds >= 8) as { atMs: number; seconds: number };
    const resumed = media.find((point) => point.atMs > stuck.atMs && point.seconds > stuck.seconds) as {
      atMs: number;
      seconds: number;
    };
    // Playback begins at the first second of media after the first segment; it plays all
    // the media it has (`stuck.seconds`), then waits for more.
    const playFrom = media.find(
      (point) => point.atMs >= (videoStartMs as number) && point.seconds >= RESUME_BUFFER_SECONDS,
    ) as { atMs: number };
    const runsDryMs = playFrom.atMs + stuck.seconds * 1000;
    expect(runsDryMs).toBeGreaterThan(stuck.atMs);
    expect(summary.rebufferEvents).toBe(1);
    expect(summary.rebufferSeconds).toBeCloseTo((resumed.atMs - runsDryMs) / 1000, 2);
    expect(summary.rebufferRatio).toBeCloseTo(
      summary.rebufferSeconds / (summary.watchSeconds + summary.rebufferSeconds),
      6,
    );
    expect(summary.rebufferFrequencyPerMinute).toBeCloseTo(1 / (summary.watchSeconds / 60), 6);
  });

  it('a viewer behind a throttled link that still carries the stream keeps up', () => {
    const { summary } = playRecording('throttled-nginx-trace');
    expect(summary.rebufferEvents).toBe(0);
    expect(summary.watchSeconds).toBeGreaterThan(30);
  });

  it('an attempt that only got 404s is a video start failure with the status', () => {
    const { summary, outcome } = playRecording('python-404-trace', false);
    expect(outcome).toEqual({ kind: 'video-start-failure', reason: '404' });
    expect(summary.videoStartFailures).toBe(1);
    expect(summary.videoStartFailureReasons).toEqual({ '404': 1 });
    expect(summary.watchSeconds).toBe(0);
  });

  it('an attempt the plan stopped before its first segment, with no failure, is an exit before video start', () => {
    const qoe = new FleetQoe();
    qoe.attemptStarted(7, 1000);
    expect(qoe.attemptEnded(7, 1500, true, 'clean')).toEqual({ kind: 'exit-before-video-start' });
    qoe.attemptStarted(7, 2000);
    expect(qoe.attemptEnded(7, 2500, false, 'error')).toEqual({
      kind: 'video-start-failure',
      reason: 'exit:error',
    });
    // A viewer that never opened an attempt (held at the start gate) is neither.
    expect(qoe.attemptEnded(8, 3000, true, 'clean')).toBeUndefined();
    expect(qoe.summary()).toMatchObject({ exitsBeforeVideoStart: 1, videoStartFailures: 1 });
  });
});
