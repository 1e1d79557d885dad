import { type WatchAccount, WatchLedger } from './watch-ledger.js';

/*
 * A player model for one viewer attempt (a spawn or restart), fed with what an ffmpeg viewer
 * tells us: when its first segment was complete, and how much media it has demuxed
 * (`-progress` out_time). ffmpeg plays nothing, so the model plays for it: a player that starts
 * when its first segment is in, plays in real time, stalls when its playhead reaches the end
 * of the media it has, and resumes once RESUME_BUFFER_SECONDS are buffered again. Like
 * hls.js (liveSyncDurationCount 3) and ffmpeg (live_start_index -3) it starts three segments
 * behind the live edge, so its buffer is what those segments give it: a healthy live viewer
 * never stalls, a viewer whose media arrives slower than real time stalls once that buffer is
 * spent. docs/metrics.md states the definitions; the QoE metrics are this model's output.
 *
 * Tolerance: ffmpeg writes a progress block when it has demuxed something, and after a burst
 * its report can trail the media it already holds by a second or more (recorded: a viewer
 * that caught up 14 s of media reported it 2.5 s later). So a buffer that looks dry for less
 * than STALL_TOLERANCE_SECONDS is taken as such a late report (played); from that long on it
 * is a stall, counted from the moment the buffer ran dry.
 */

/** A progress report that gains less than this on the wall clock ends the initial catch-up. */
const CATCH_UP_GAIN_SECONDS = 0.25;

/** A buffer that looks dry for less than this is a late progress report, not a stall. */
export const STALL_TOLERANCE_SECONDS = 1;

/** A stalled player resumes once this much media is buffered (players wait for a little, not a whole segment). */
export const RESUME_BUFFER_SECONDS = 1;

export type { WatchAccount } from './watch-ledger.js';

/** The model's view at one instant, for a playback sample. */
export interface PlayerPosition {
  /** Media seconds played since the attempt's first segment began (out_time 0). */
  playheadSeconds: number;
  /** Media seconds buffered ahead of the playhead. */
  bufferSeconds: number;
  /**
   * Seconds the playhead is behind the live edge. The edge: when the viewer first loaded the
   * playlist, the newest segment's end, which is where its initial catch-up ends in its own
   * media time (ffmpeg reads from three segments back to the newest at full speed); advanced in
   * real time since. Relative to the newest segment published at that load, it reads less than
   * latency against the encoder's clock by that segment's age (under one segment duration)
   * and the generator's publishing delay (docs/metrics.md#live-latency).
   */
  liveLatencySeconds: number;
}

export class PlayerModel {
  private attemptStartMs = 0;
  /** Model clock: everything before it is accounted for (epoch ms). */
  private clockMs = 0;
  private videoStarted = false;
  private firstSegmentIn = false;
  private mediaSeconds = 0;
  private playheadSeconds = 0;
  private stalled = false;
  /** When the buffer looked dry (epoch ms), while it is not yet a stall; undefined otherwise. */
  private dryFromMs: number | undefined;
  /** The first playlist load of this attempt (epoch ms), when known. */
  private playlistLoadedMs: number | undefined;
  /** Media time at the end of the initial catch-up, once it is over. */
  private catchUpMediaSeconds: number | undefined;
  private catchUpLeadSeconds = Number.NEGATIVE_INFINITY;
  private catchUpCandidateSeconds = 0;
  private readonly ledger = new WatchLedger();
  /** Totals of this attempt. */
  get totals(): Readonly<WatchAccount> {
    return this.ledger.totals;
  }

  /** A new attempt begins: media time restarts at 0. */
  start(atMs: number): void {
    this.attemptStartMs = atMs;
    this.clockMs = atMs;
    this.videoStarted = false;
    this.firstSegmentIn = false;
    this.mediaSeconds = 0;
    this.playheadSeconds = 0;
    this.stalled = false;
    this.dryFromMs = undefined;
    this.playlistLoadedMs = undefined;
    this.catchUpMediaSeconds = undefined;
    this.catchUpLeadSeconds = Number.NEGATIVE_INFINITY;
    this.catchUpCandidateSeconds = 0;
    this.ledger.reset();
  }

  /** Whether this attempt has played (its first segment is in and media time has begun). */
  get started(): boolean {
    return this.videoStarted;
  }

  /** When the attempt loaded the playlist its first segments came from (epoch ms). */
  playlistLoaded(atMs: number): void {
    this.playlistLoadedMs = atMs;
  }

  /** The attempt's first segment is complete. */
  firstSegment(atMs: number): void {
    this.firstSegmentIn = true;
    this.maybeStartVideo(atMs);
  }

  /** Media demuxed so far, from a progress block read at `atMs`. */
  media(atMs: number, outTimeUs: number): void {
    this.advance(atMs);
    if (!Number.isFinite(outTimeUs)) return;
    const seconds = outTimeUs / 1e6;
    if (seconds > this.mediaSeconds) this.mediaSeconds = seconds;
    const lead = this.mediaSeconds - (atMs - this.attemptStartMs) / 1000;
    if (this.mediaSeconds > 0 && this.catchUpMediaSeconds === undefined) {
      // Catching up while each report gains on the wall clock; the first that does not ends it.
      if (lead >= this.catchUpLeadSeconds + CATCH_UP_GAIN_SECONDS) {
        this.catchUpLeadSeconds = lead;
        this.catchUpCandidateSeconds = this.mediaSeconds;
      } else {
        this.catchUpMediaSeconds = this.catchUpCandidateSeconds;
      }
    }
    this.maybeStartVideo(atMs);
    if (this.dryFromMs !== undefined && this.mediaSeconds > this.playheadSeconds) {
      // Media came within the tolerance: the player had it, the report was late.
      const drySeconds = (atMs - this.dryFromMs) / 1000;
      this.dryFromMs = undefined;
      this.playheadSeconds = Math.min(this.mediaSeconds, this.playheadSeconds + drySeconds);
      this.ledger.addPlaying(drySeconds);
    } else if (this.stalled && this.mediaSeconds - this.playheadSeconds >= RESUME_BUFFER_SECONDS) {
      this.stalled = false;
    }
  }

  /** Moves the model clock to `nowMs`: the playhead plays what is buffered, or the player stalls. */
  advance(nowMs: number): void {
    if (nowMs <= this.clockMs) return;
    const fromMs = this.clockMs;
    this.clockMs = nowMs;
    if (!this.videoStarted) return;
    if (this.stalled) {
      this.ledger.addStalled((nowMs - fromMs) / 1000);
      return;
    }
    if (this.dryFromMs === undefined) {
      const seconds = (nowMs - fromMs) / 1000;
      const buffer = this.mediaSeconds - this.playheadSeconds;
      if (buffer >= seconds) {
        this.playheadSeconds += seconds;
        this.ledger.addPlaying(seconds);
        return;
      }
      this.playheadSeconds = this.mediaSeconds;
      this.ledger.addPlaying(Math.max(0, buffer));
      this.dryFromMs = fromMs + Math.max(0, buffer) * 1000;
    }
    // Dry: a stall once it has lasted the tolerance, counted from when it ran dry.
    if (nowMs - this.dryFromMs >= STALL_TOLERANCE_SECONDS * 1000) {
      this.ledger.addStalled((nowMs - this.dryFromMs) / 1000);
      this.dryFromMs = undefined;
      this.stalled = true;
      this.ledger.addStall();
    }
  }

  /** Playing and stalled time up to `nowMs` not yet returned by a previous call. */
  account(nowMs: number): WatchAccount {
    this.advance(nowMs);
    return this.ledger.take();
  }

  /** Buffer and live latency now (after `advance`), once the video has started. */
  position(nowMs: number): PlayerPosition | undefined {
    this.advance(nowMs);
    if (!this.videoStarted || this.catchUpMediaSeconds === undefined) return undefined;
    // Never before the attempt began: a viewer held at the start gate logs its playlist request
    // as begun when it reached the gate, though the gate answered (302) only at its release.
    const loadedMs = Math.max(this.playlistLoadedMs ?? this.attemptStartMs, this.attemptStartMs);
    const edgeSeconds = this.catchUpMediaSeconds + (nowMs - loadedMs) / 1000;
    return {
      playheadSeconds: this.playheadSeconds,
      bufferSeconds: this.mediaSeconds - this.playheadSeconds,
      liveLatencySeconds: Math.max(0, edgeSeconds - this.playheadSeconds),
    };
  }

  /** Media seconds demuxed in this attempt. */
  get mediaSecondsReceived(): number {
    return this.mediaSeconds;
  }

  /** Stalled (a dry buffer within the tolerance is not yet). */
  get isStalled(): boolean {
    return this.stalled;
  }

  /**
   * Playback begins once the first segment is in and ffmpeg has demuxed a second of media: its
   * first progress block can come before any media (out_time of a few µs), and a player does not
   * start on an empty buffer either.
   */
  private maybeStartVideo(atMs: number): void {
    if (this.videoStarted || !this.firstSegmentIn || this.mediaSeconds < RESUME_BUFFER_SECONDS) return;
    this.videoStarted = true;
    this.clockMs = Math.max(this.clockMs, atMs);
  }
}
