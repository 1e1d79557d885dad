import type { SchedulerClock } from '../scheduler.js';

/**
 * A manual clock for the scheduler's tests: time moves only by `advance`, and the one-shot
 * timers fire when it passes their due time — `lateMs` after it, to model a busy event loop.
 */
export class FakeClock implements SchedulerClock {
  private nowMs = 0;
  private nextId = 0;
  private readonly timers = new Map<number, { atMs: number; callback: () => void }>();
  /** Timers armed so far (to check that one timer drives everything). */
  armed = 0;

  now(): number {
    return this.nowMs;
  }

  setTimer(callback: () => void, delayMs: number): unknown {
    const id = this.nextId++;
    this.armed++;
    this.timers.set(id, { atMs: this.nowMs + delayMs, callback });
    return id;
  }

  clearTimer(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Timers pending now. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /**
   * Moves time to `toMs`, firing each timer due on the way at its due time plus `lateMs`. A
   * negative `lateMs` fires only the first timer early (as Node may by under a millisecond).
   */
  advance(toMs: number, lateMs = 0): void {
    for (;;) {
      let next: [number, { atMs: number; callback: () => void }] | undefined;
      for (const entry of this.timers) if (!next || entry[1].atMs < next[1].atMs) next = entry;
      if (!next || next[1].atMs + lateMs > toMs) break;
      this.timers.delete(next[0]);
      this.nowMs = Math.max(this.nowMs, next[1].atMs + lateMs);
      if (lateMs < 0) lateMs = 0;
      next[1].callback();
    }
    this.nowMs = Math.max(this.nowMs, toMs);
  }
}
