import type { LightSegment } from './playlist.js';

/*
 * The live rules a light viewer plays by, pure:
 *  - reloads (RFC 8216 §6.3.4): after a load that found the playlist new or changed, the next
 *    reload waits the target duration; after one that found it unchanged, half of it; both
 *    measured from when the previous load began;
 *  - the start point: three target durations behind the live edge (hls.js's
 *    liveSyncDurationCount 3; ffmpeg's live_start_index -3 gives the same segment when
 *    segments are one target duration long): the segment that holds edge − 3 × target duration;
 *  - a live playlist that has not changed for `staleAfter` target durations has stopped
 *    advancing (the encoder or the packager died): a fault, reported once per episode.
 */

/** Target durations behind the live edge a viewer starts at. */
export const LIVE_SYNC_TARGET_DURATIONS = 3;

/** Milliseconds from the start of one playlist load to the next, per RFC 8216 §6.3.4. */
export function reloadIntervalMs(changed: boolean, targetDurationSeconds: number): number {
  return (changed ? 1000 : 500) * targetDurationSeconds;
}

/**
 * Index into `segments` where a live viewer starts: the segment that contains the position
 * `behind` target durations before the end of the playlist (the first one when the playlist
 * is shorter than that).
 */
export function liveStartIndex(
  segments: readonly LightSegment[],
  targetDurationSeconds: number,
  behind = LIVE_SYNC_TARGET_DURATIONS,
): number {
  const wanted = behind * targetDurationSeconds;
  let fromEnd = 0;
  for (let index = segments.length - 1; index >= 0; index--) {
    fromEnd += (segments[index] as LightSegment).durationSeconds;
    // Within a millisecond counts as reached: EXTINF values are rounded (1.999 vs 2).
    if (fromEnd >= wanted - 0.001) return index;
  }
  return 0;
}

/** True when a live playlist unchanged since `lastChangeMs` has stopped advancing at `nowMs`. */
export function playlistStale(
  nowMs: number,
  lastChangeMs: number,
  targetDurationSeconds: number,
  staleAfterTargetDurations: number,
): boolean {
  return nowMs - lastChangeMs >= staleAfterTargetDurations * targetDurationSeconds * 1000;
}

/**
 * Media seconds listed after segment `msn` (to the playlist's live edge); undefined when the
 * playlist no longer reaches back to it (then nothing says how far the edge is).
 */
export function secondsAfter(segments: readonly LightSegment[], msn: number): number | undefined {
  const first = segments[0];
  if (!first || msn < first.msn - 1) return undefined;
  let seconds = 0;
  for (const segment of segments) if (segment.msn > msn) seconds += segment.durationSeconds;
  return seconds;
}
