import type { PlaybackSample } from '../types.js';

/** Below this out_time advance per wall second over a window, a viewer is stalled. */
export const STALL_SPEED_THRESHOLD = 0.9;
/** Shorter windows are dominated by segment-sized bursts (a 2 s segment arrives at once). */
export const MIN_STALL_WINDOW_MS = 10_000;

export interface PlaybackTrackerOptions {
  /** Window length (spec.stallWindow); raised to MIN_STALL_WINDOW_MS when shorter. */
  windowMs: number;
  stallThreshold?: number;
}

/**
 * One viewer's playback, judged from `-progress` out_time advance over wall time in windows of
 * at least 10 s — never from ffmpeg's cumulative `speed=`, which starts near 3x because a live
 * viewer begins three segments back.
 *
 * The first window starts when the client is spawned (`start`), at media time 0, so a client
 * that is slow to start (or never starts) is judged too. `check(now)` closes a window when no
 * progress came at all, which is how a hung viewer shows up as stalled.
 *
 * Live-edge drift: a viewer's lead is media time minus wall time (both since start). Its best
 * lead is reached once the initial burst has caught up with the live edge; drift is how far
 * the lead has fallen since that best point (0 for a viewer that keeps up). It is a lower bound
 * of the distance to the live edge growing, not the absolute distance (which ffmpeg does not log).
 */
export class PlaybackTracker {
  private readonly windowMs: number;
  private readonly stallThreshold: number;
  private windowStartMs: number | undefined;
  private windowStartOutUs = 0;
  private lastOutUs = 0;
  /** Largest single out_time jump seen: about one segment, since segments arrive whole. */
  private burstUs = 0;
  private spawnMs: number | undefined;
  private bestLeadSeconds = Number.NEGATIVE_INFINITY;
  private currentLeadSeconds: number | undefined;
  private latest: PlaybackSample | undefined;

  constructor(
    readonly clientId: number,
    options: PlaybackTrackerOptions,
  ) {
    this.windowMs = Math.max(MIN_STALL_WINDOW_MS, options.windowMs);
    this.stallThreshold = options.stallThreshold ?? STALL_SPEED_THRESHOLD;
  }

  /** The client was (re)spawned: media time restarts at 0. */
  start(atMs: number): void {
    this.spawnMs = atMs;
    this.windowStartMs = atMs;
    this.windowStartOutUs = 0;
    this.lastOutUs = 0;
    this.bestLeadSeconds = Number.NEGATIVE_INFINITY;
    this.currentLeadSeconds = undefined;
    this.burstUs = 0;
  }

  /** The most recent sample, if a window has closed. */
  get lastSample(): PlaybackSample | undefined {
    return this.latest;
  }

  /** A progress event; returns a sample when it closes a window. */
  progress(atMs: number, outTimeUs: number): PlaybackSample | undefined {
    if (this.windowStartMs === undefined) this.start(atMs);
    if (Number.isFinite(outTimeUs) && outTimeUs >= this.lastOutUs) {
      // The first jump is the initial catch-up (three segments back from the live edge).
      if (this.lastOutUs > 0) this.burstUs = Math.max(this.burstUs, outTimeUs - this.lastOutUs);
      this.lastOutUs = outTimeUs;
    }
    if (this.lastOutUs > 0 && this.spawnMs !== undefined) {
      const lead = this.lastOutUs / 1e6 - (atMs - this.spawnMs) / 1000;
      this.currentLeadSeconds = lead;
      if (lead > this.bestLeadSeconds) this.bestLeadSeconds = lead;
    }
    return this.check(atMs);
  }

  /** Closes the window if it is due (call on a timer too: a hung viewer sends no progress). */
  check(nowMs: number): PlaybackSample | undefined {
    if (this.windowStartMs === undefined) return undefined;
    const elapsedMs = nowMs - this.windowStartMs;
    if (elapsedMs < this.windowMs) return undefined;
    if (this.lastOutUs > 0 && this.spawnMs !== undefined) {
      this.currentLeadSeconds = this.lastOutUs / 1e6 - (nowMs - this.spawnMs) / 1000;
    }
    const advanceUs = this.lastOutUs - this.windowStartOutUs;
    const speed = advanceUs / 1000 / elapsedMs;
    // A live viewer gets media a segment at a time, so a window that closes just before a
    // segment lands reads short by up to one segment (10 s of a 2 s-segment stream reads
    // 0.8, 1.0 or 1.2 for a perfect viewer). Stalled means short even granting that one
    // segment (capped at half the window so it never hides a hung viewer).
    const allowanceUs = Math.min(this.burstUs, (elapsedMs * 1000) / 2);
    const sample: PlaybackSample = {
      clientId: this.clientId,
      atMs: nowMs,
      speed,
      stalled: (advanceUs + allowanceUs) / 1000 / elapsedMs < this.stallThreshold,
    };
    if (this.currentLeadSeconds !== undefined) {
      sample.driftSeconds = Math.max(0, this.bestLeadSeconds - this.currentLeadSeconds);
    }
    this.windowStartMs = nowMs;
    this.windowStartOutUs = this.lastOutUs;
    this.latest = sample;
    return sample;
  }
}
