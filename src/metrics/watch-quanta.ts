/*
 * Rebuffering as k6-style rates, so a threshold judges any window exactly like request_errors:
 * every viewer-second is one sample. `rebuffer_ratio` takes a sample per second watched
 * (playing or stalled), a hit when stalled; `rebuffer_frequency` a sample per second played,
 * a hit when a stall began. The swarm reports each viewer's playing and stalled time every
 * second in fractions; this splits them into whole seconds with error diffusion, so a viewer's
 * totals are never off by more than half a second (and the ratio is Σ stalled / Σ watched).
 */

export interface WatchQuanta {
  /** Viewer-seconds watched (playing + stalled) now complete, and how many of them stalled. */
  watched: number;
  stalled: number;
  /** Viewer-seconds played now complete, and how many of them saw a stall begin. */
  played: number;
  stallStarts: number;
}

export class WatchQuantizer {
  private watchedCarry = 0;
  private stalledCarry = 0;
  private playedCarry = 0;
  private stallStartsCarry = 0;

  /** Adds one account; returns the whole seconds it completes. */
  add(playingSeconds: number, stalledSeconds: number, stallsStarted: number): WatchQuanta {
    this.watchedCarry += playingSeconds + stalledSeconds;
    this.stalledCarry += stalledSeconds;
    this.playedCarry += playingSeconds;
    this.stallStartsCarry += stallsStarted;
    return this.take(Math.floor(this.watchedCarry), Math.floor(this.playedCarry));
  }

  /** The viewer is gone: rounds what is left (a stall not yet followed by a played second still counts). */
  flush(): WatchQuanta {
    const watched = Math.round(this.watchedCarry);
    const played = Math.max(Math.round(this.playedCarry), this.stallStartsCarry > 0 ? 1 : 0);
    const quanta = this.take(watched, played);
    this.watchedCarry = 0;
    this.stalledCarry = 0;
    this.playedCarry = 0;
    this.stallStartsCarry = 0;
    return quanta;
  }

  private take(watched: number, played: number): WatchQuanta {
    const stalled = Math.min(watched, Math.max(0, Math.round(this.stalledCarry)));
    const stallStarts = Math.min(played, this.stallStartsCarry);
    this.watchedCarry -= watched;
    this.stalledCarry -= stalled;
    this.playedCarry -= played;
    this.stallStartsCarry -= stallStarts;
    return { watched, stalled, played, stallStarts };
  }
}
