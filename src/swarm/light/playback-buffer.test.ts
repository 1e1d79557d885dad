import { describe, expect, it } from 'vitest';
import { PlaybackBuffer } from './playback-buffer.js';

// Times are monotonic ms on a fake timeline starting at 1000.
describe('PlaybackBuffer', () => {
  it('waits for the first whole segment, then plays in real time', () => {
    const buffer = new PlaybackBuffer(1000);
    expect(buffer.state).toBe('waiting');
    expect(buffer.append(1800, 2)).toEqual({ started: true });
    expect(buffer.startedAtMs).toBe(1800);
    expect(buffer.state).toBe('playing');
    expect(buffer.bufferSeconds(2300)).toBeCloseTo(1.5, 9);
    expect(buffer.playheadSeconds(2300)).toBeCloseTo(0.5, 9);
    expect(buffer.dryAtMs()).toBeCloseTo(3800, 9);
  });

  it('stalls at the exact moment the buffer runs dry, and a whole segment resumes it', () => {
    const buffer = new PlaybackBuffer(0);
    buffer.append(0, 2);
    // Checked late (at 2600 ms): the stall still began at 2000 ms.
    expect(buffer.advance(2600)).toEqual({ stalledAtMs: 2000 });
    expect(buffer.state).toBe('stalled');
    expect(buffer.append(3500, 2)).toEqual({
      rebuffer: { startMs: 2000, endMs: 3500, durationSeconds: 1.5 },
    });
    expect(buffer.state).toBe('playing');
    expect(buffer.totals).toEqual({ playingSeconds: 2, stalledSeconds: 1.5, stallsStarted: 1 });
  });

  it('keeps playing when segments come faster than real time', () => {
    const buffer = new PlaybackBuffer(0);
    for (let second = 0; second < 20; second += 2) buffer.append(second * 1000, 2);
    expect(buffer.advance(19_900)).toEqual({});
    expect(buffer.state).toBe('playing');
    expect(buffer.totals.stallsStarted).toBe(0);
    expect(buffer.totals.playingSeconds).toBeCloseTo(19.9, 9);
  });

  it('accounts playing and stalled time once, across calls', () => {
    const buffer = new PlaybackBuffer(0);
    buffer.append(0, 1);
    expect(buffer.account(500)).toEqual({ playingSeconds: 0.5, stalledSeconds: 0, stallsStarted: 0 });
    expect(buffer.account(3000)).toEqual({ playingSeconds: 0.5, stalledSeconds: 2, stallsStarted: 1 });
    expect(buffer.account(3000)).toEqual({ playingSeconds: 0, stalledSeconds: 0, stallsStarted: 0 });
  });

  it('reports the stall in progress when the viewer stops in it', () => {
    const buffer = new PlaybackBuffer(0);
    buffer.append(0, 1);
    expect(buffer.openStall(500)).toBeUndefined();
    expect(buffer.openStall(4000)).toEqual({ startMs: 1000, endMs: 4000, durationSeconds: 3 });
  });

  it('ends (no stall) when a stream that ended drains', () => {
    const buffer = new PlaybackBuffer(0);
    buffer.append(0, 2);
    buffer.endOfStream(100);
    expect(buffer.advance(5000)).toEqual({});
    expect(buffer.state).toBe('ended');
    expect(buffer.totals).toEqual({ playingSeconds: 2, stalledSeconds: 0, stallsStarted: 0 });
  });
});
