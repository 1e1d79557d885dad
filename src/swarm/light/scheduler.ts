import { performance } from 'node:perf_hooks';
import { Distribution } from '../stats/distribution.js';
import type { DistributionSummary } from '../types.js';

/*
 * ONE scheduler for every light viewer: a min-heap of due times driven by a single Node timer,
 * armed for the earliest due task. A setInterval per viewer would cost a timer each, drift on
 * its own, and hide how late the process runs; here every task's lateness (due → run) is
 * recorded, so generator health can tell an origin that is slow from a generator that is.
 * Cancelled tasks stay in the heap until they come due (lazy deletion): a viewer holds at
 * most a few pending tasks, so the heap stays a few entries per viewer.
 */

/** Monotonic time and a one-shot timer; tests pass a fake one. */
export interface SchedulerClock {
  /** Monotonic milliseconds (performance.now() by default). */
  now(): number;
  setTimer(callback: () => void, delayMs: number): unknown;
  clearTimer(handle: unknown): void;
}

export const realClock: SchedulerClock = {
  now: () => performance.now(),
  // Not unref'd: a fleet whose viewers only wait (a retry backoff) must keep the process alive until close().
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** A scheduled task; `cancel()` is idempotent and safe after it ran. */
export interface ScheduledTask {
  readonly dueMs: number;
  cancel(): void;
}

interface Entry extends ScheduledTask {
  seq: number;
  run: (() => void) | undefined;
}

/** Node's timers count whole libuv milliseconds and may fire up to 1 ms before the exact due time. */
const EARLY_TOLERANCE_MS = 1;
/** At most this many tasks per timer callback, so a task that re-schedules itself at "now" cannot hold the loop. */
const MAX_TASKS_PER_TURN = 20_000;

export interface LightSchedulerOptions {
  clock?: SchedulerClock;
  /** A task threw: the scheduler goes on (a viewer's bug must not stop the others). */
  onTaskError?: (error: unknown) => void;
}

export class LightScheduler {
  readonly clock: SchedulerClock;
  private readonly heap: Entry[] = [];
  private seq = 0;
  private timer: unknown;
  private armedForMs = Number.POSITIVE_INFINITY;
  private lateness = new Distribution(1000);
  private latenessWindow = new Distribution(1000);
  private stopped = false;
  /** Inside fire(): tasks scheduled by running tasks wait for the one re-arm at its end. */
  private firing = false;
  private readonly onTaskError: (error: unknown) => void;

  constructor(options: LightSchedulerOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.onTaskError = options.onTaskError ?? (() => {});
  }

  now(): number {
    return this.clock.now();
  }

  /** Runs `run` at monotonic time `dueMs` (or as soon as possible when that is past). */
  at(dueMs: number, run: () => void): ScheduledTask {
    const entry: Entry = {
      dueMs,
      seq: this.seq++,
      run,
      cancel() {
        entry.run = undefined;
      },
    };
    if (this.stopped) {
      entry.run = undefined;
      return entry;
    }
    this.push(entry);
    if (!this.firing && dueMs < this.armedForMs) this.arm();
    return entry;
  }

  /** Runs `run` in `delayMs`. */
  after(delayMs: number, run: () => void): ScheduledTask {
    return this.at(this.clock.now() + Math.max(0, delayMs), run);
  }

  /** Tasks waiting (cancelled ones included until their due time). */
  get pending(): number {
    return this.heap.length;
  }

  /**
   * Lateness of every task run so far (due → run), milliseconds. `sinceLastTake` gives only the
   * tasks run since the previous such call (what a sampler on an interval wants), and starts a
   * new window.
   */
  latenessMs(sinceLastTake = false): DistributionSummary {
    if (!sinceLastTake) return this.lateness.summary();
    const window = this.latenessWindow;
    this.latenessWindow = new Distribution(1000);
    return window.summary();
  }

  /** Drops every pending task and the timer; later `at` calls do nothing. */
  stop(): void {
    this.stopped = true;
    this.heap.length = 0;
    this.disarm();
  }

  private arm(): void {
    this.disarm();
    const first = this.heap[0];
    if (!first) return;
    this.armedForMs = first.dueMs;
    this.timer = this.clock.setTimer(() => this.fire(), Math.max(0, first.dueMs - this.clock.now()));
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.armedForMs = Number.POSITIVE_INFINITY;
  }

  private fire(): void {
    this.timer = undefined;
    this.armedForMs = Number.POSITIVE_INFINITY;
    this.firing = true;
    let ran = 0;
    while (ran < MAX_TASKS_PER_TURN && !this.stopped) {
      const first = this.heap[0];
      if (!first) break;
      const nowMs = this.clock.now();
      if (first.dueMs > nowMs + EARLY_TOLERANCE_MS) break;
      this.pop();
      const run = first.run;
      if (!run) continue;
      first.run = undefined;
      ran++;
      const lateMs = Math.max(0, nowMs - first.dueMs);
      this.lateness.record(lateMs);
      this.latenessWindow.record(lateMs);
      try {
        run();
      } catch (error) {
        this.onTaskError(error);
      }
    }
    this.firing = false;
    if (!this.stopped) this.arm();
  }

  // A binary min-heap on (dueMs, seq): equal due times run in the order they were scheduled.
  private less(a: Entry, b: Entry): boolean {
    return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.seq < b.seq);
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.less(entry, heap[parent]!)) break;
      heap[index] = heap[parent]!;
      index = parent;
    }
    heap[index] = entry;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (!last || heap.length === 0) return;
    let index = 0;
    const length = heap.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && this.less(heap[right]!, heap[left]!) ? right : left;
      if (!this.less(heap[child]!, last)) break;
      heap[index] = heap[child]!;
      index = child;
    }
    heap[index] = last;
  }
}
