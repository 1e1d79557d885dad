import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { liveStartIndex, playlistStale, reloadIntervalMs, secondsAfter } from './live-edge.js';
import { type LightSegment, parsePlaylist } from './playlist.js';

// Recorded by fixtures/record/light-segments.ts (tiny profile: 2 s segments).
const text = readFileSync(new URL('../../../fixtures/light/tiny-media.m3u8', import.meta.url), 'utf8');
const info = parsePlaylist(text, 'http://127.0.0.1:17080/stream.m3u8');
if (info.kind !== 'media') throw new Error('the recorded tiny playlist did not parse as a media playlist');
const recorded = info.segments;
/** The recorded window slid on: `count` segments of 2 s from media sequence `from`. */
const window = (from: number, count: number): LightSegment[] =>
  Array.from({ length: count }, (_, index) => ({ ...(recorded[0] as LightSegment), msn: from + index }));

describe('RFC 8216 §6.3.4 reload schedule', () => {
  it('waits the target duration after a changed playlist, half of it after an unchanged one', () => {
    expect(reloadIntervalMs(true, 2)).toBe(2000);
    expect(reloadIntervalMs(false, 2)).toBe(1000);
    expect(reloadIntervalMs(false, 6)).toBe(3000);
  });
});

describe('live start point (3 target durations behind the edge)', () => {
  it('starts at the first segment when the playlist is no longer than that', () => {
    expect(liveStartIndex(recorded, 2)).toBe(0);
  });

  it('starts at the third segment from the end of a 10-segment playlist of target-duration segments', () => {
    expect(liveStartIndex(window(40, 10), 2)).toBe(7);
    expect(liveStartIndex(window(40, 10), 2, 1)).toBe(9);
  });

  it('counts EXTINF durations, not segments', () => {
    const short = window(0, 10).map((segment, index) => ({
      ...segment,
      durationSeconds: index >= 6 ? 1.5 : 2,
    }));
    // From the end: 1.5 + 1.5 + 1.5 + 1.5 = 6 s reaches 3 × 2 s at the fourth segment from the end.
    expect(liveStartIndex(short, 2)).toBe(6);
  });
});

describe('stale playlist and distance to the edge', () => {
  it('is stale once unchanged for the given number of target durations', () => {
    expect(playlistStale(10_000 + 5_999, 10_000, 2, 3)).toBe(false);
    expect(playlistStale(10_000 + 6_000, 10_000, 2, 3)).toBe(true);
  });

  it('sums the media listed after a segment, when the playlist still reaches it', () => {
    expect(secondsAfter(window(40, 10), 45)).toBe(8);
    expect(secondsAfter(window(40, 10), 39)).toBe(20);
    expect(secondsAfter(window(40, 10), 30)).toBeUndefined();
  });
});
