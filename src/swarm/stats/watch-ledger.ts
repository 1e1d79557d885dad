/** Playing and stalled time, and the stalls that began in it. */
export interface WatchAccount {
  playingSeconds: number;
  stalledSeconds: number;
  stallsStarted: number;
}

const emptyAccount = (): WatchAccount => ({ playingSeconds: 0, stalledSeconds: 0, stallsStarted: 0 });

/**
 * A player's watch time kept twice: since the last `take()` (what the swarm reports each second)
 * and in total (the attempt's rebuffer ratio). Shared by the ffmpeg viewers' player model and
 * the light viewers' buffer, so both account alike.
 */
export class WatchLedger {
  private pending = emptyAccount();
  readonly totals = emptyAccount();

  addPlaying(seconds: number): void {
    this.pending.playingSeconds += seconds;
    this.totals.playingSeconds += seconds;
  }

  addStalled(seconds: number): void {
    this.pending.stalledSeconds += seconds;
    this.totals.stalledSeconds += seconds;
  }

  addStall(): void {
    this.pending.stallsStarted++;
    this.totals.stallsStarted++;
  }

  /** What was added since the previous call. */
  take(): WatchAccount {
    const account = this.pending;
    this.pending = emptyAccount();
    return account;
  }

  /** Starts over (a new attempt). */
  reset(): void {
    this.pending = emptyAccount();
    Object.assign(this.totals, emptyAccount());
  }
}
