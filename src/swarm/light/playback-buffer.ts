import { type WatchAccount, WatchLedger } from '../stats/watch-ledger.js';

/*
 * A light viewer's playback buffer, modelled in media seconds and drained in real time. Unlike
 * the ffmpeg viewers' PlayerModel (stats/player-model.ts), which infers the buffer from late
 * progress reports and so needs a tolerance, a light viewer knows the exact moment each
 * segment's last byte arrived: the model is exact and needs none.
 *  - waiting → playing when the first whole segment is in (video start);
 *  - playing drains one media second per wall second; when the buffer runs dry the player
 *    stalls at that exact moment (computed, not polled: a late timer changes nothing);
 *  - stalled → playing as soon as one whole segment is buffered again (segments arrive whole,
 *    so the next append resumes); the stall is a rebuffer event with its start, end, duration;
 *  - a stream that ended (EXT-X-ENDLIST, all downloaded) drains to `ended`, which is no stall.
 * Pure: every method takes the time; nothing here reads a clock.
 */

export type PlaybackState = 'waiting' | 'playing' | 'stalled' | 'ended';

/** One stall after video start: from the moment the buffer ran dry to the moment play resumed. */
export interface RebufferEvent {
  startMs: number;
  endMs: number;
  durationSeconds: number;
}

export class PlaybackBuffer {
  private stateValue: PlaybackState = 'waiting';
  /** Everything before clockMs is accounted for. */
  private clockMs: number;
  private bufferedSeconds = 0;
  private playhead = 0;
  private stallStartMs = 0;
  private streamEnded = false;
  private readonly ledger = new WatchLedger();
  /** Totals since the viewer started. */
  get totals(): Readonly<WatchAccount> {
    return this.ledger.totals;
  }
  /** When playback began (monotonic ms), once it has. */
  startedAtMs: number | undefined;

  constructor(startMs: number) {
    this.clockMs = startMs;
  }

  get state(): PlaybackState {
    return this.stateValue;
  }

  /** A whole segment of `seconds` arrived at `nowMs`. Says whether that started playback or ended a stall. */
  append(nowMs: number, seconds: number): { started?: boolean; rebuffer?: RebufferEvent } {
    this.advance(nowMs);
    if (this.stateValue === 'ended' || !(seconds > 0)) return {};
    this.bufferedSeconds += seconds;
    if (this.stateValue === 'waiting') {
      this.stateValue = 'playing';
      this.startedAtMs = this.clockMs;
      return { started: true };
    }
    if (this.stateValue === 'stalled') {
      this.stateValue = 'playing';
      const endMs = this.clockMs;
      return {
        rebuffer: { startMs: this.stallStartMs, endMs, durationSeconds: (endMs - this.stallStartMs) / 1000 },
      };
    }
    return {};
  }

  /** No more segments will come (EXT-X-ENDLIST and all downloaded): running dry is the end, not a stall. */
  endOfStream(nowMs: number): void {
    this.advance(nowMs);
    this.streamEnded = true;
    if (this.stateValue === 'stalled') this.stateValue = 'ended';
  }

  /**
   * Moves the model to `nowMs`. Returns the moment a stall began when it began in this step
   * (the exact time the buffer ran dry, which may be before `nowMs`).
   */
  advance(nowMs: number): { stalledAtMs?: number } {
    if (nowMs <= this.clockMs) return {};
    const fromMs = this.clockMs;
    this.clockMs = nowMs;
    if (this.stateValue === 'stalled') {
      this.ledger.addStalled((nowMs - fromMs) / 1000);
      return {};
    }
    if (this.stateValue !== 'playing') return {};
    const elapsed = (nowMs - fromMs) / 1000;
    if (this.bufferedSeconds >= elapsed) {
      this.bufferedSeconds -= elapsed;
      this.playhead += elapsed;
      this.ledger.addPlaying(elapsed);
      return {};
    }
    const dryAtMs = fromMs + this.bufferedSeconds * 1000;
    this.playhead += this.bufferedSeconds;
    this.ledger.addPlaying(this.bufferedSeconds);
    this.bufferedSeconds = 0;
    if (this.streamEnded) {
      this.stateValue = 'ended';
      return {};
    }
    this.stateValue = 'stalled';
    this.stallStartMs = dryAtMs;
    this.ledger.addStall();
    this.ledger.addStalled((nowMs - dryAtMs) / 1000);
    return { stalledAtMs: dryAtMs };
  }

  /** While playing: when the buffer will run dry if nothing more arrives; undefined otherwise. */
  dryAtMs(): number | undefined {
    return this.stateValue === 'playing' ? this.clockMs + this.bufferedSeconds * 1000 : undefined;
  }

  /** Media seconds buffered ahead of the playhead at `nowMs`. */
  bufferSeconds(nowMs: number): number {
    this.advance(nowMs);
    return this.bufferedSeconds;
  }

  /** Media seconds played since video start, at `nowMs`. */
  playheadSeconds(nowMs: number): number {
    this.advance(nowMs);
    return this.playhead;
  }

  /** Playing and stalled time up to `nowMs` not returned by a previous call. */
  account(nowMs: number): WatchAccount {
    this.advance(nowMs);
    return this.ledger.take();
  }

  /** The stall in progress at `nowMs`, closed there (the viewer stops while stalled). */
  openStall(nowMs: number): RebufferEvent | undefined {
    this.advance(nowMs);
    if (this.stateValue !== 'stalled') return undefined;
    return { startMs: this.stallStartMs, endMs: nowMs, durationSeconds: (nowMs - this.stallStartMs) / 1000 };
  }
}
