import type { Vitest } from 'vitest/node';
import { INTERRUPT_SIGNALS, type InterruptSignal, SignalInterruption } from '../../system/index.js';
import { SIGNAL_CANCEL_PREFIX } from '../shared.js';

/*
 * A CI cancellation or `timeout` signals only the top process, the `vitest` main process.
 * Vitest's own handler then exits within a millisecond, and the worker running a scenario
 * dies on its next message to the main process, before it writes its report. While a run is
 * going, this takes SIGINT/SIGTERM over and cancels the run with Vitest's own API,
 * `cancelCurrentRun` (what its Ctrl-C key and `bail` use). That reaches the workers of every
 * pool (forks, threads, vm*) over Vitest's RPC, where it aborts the running test's `signal`:
 * the scenario stops its viewers and origin and writes its `interrupted` report, the file
 * ends, and the run ends as usual (reporters, summary.json). Forwarding the signal to the
 * worker processes instead would miss the threads pools, which share our PID.
 * Outside a run (collecting, closing) Vitest's own handler runs, as before.
 */

/** Default bound on the wait after a signal: the default swarm stop grace (3 s), a VM origin's power-off (30 s), and the report. */
export const DEFAULT_INTERRUPT_GRACE_MS = 60_000;

type Listener = (...args: unknown[]) => void;

/**
 * Vitest's logger registers one function for SIGINT, SIGTERM and 'exit' (it sets the exit code
 * and exits 1 ms later): found by being registered for all three.
 */
function vitestSignalListeners(): Listener[] {
  const onExit = new Set(process.listeners('exit') as Listener[]);
  const onTerm = new Set(process.listeners('SIGTERM') as Listener[]);
  return (process.listeners('SIGINT') as Listener[]).filter(
    (listener) => onExit.has(listener) && onTerm.has(listener),
  );
}

export interface RunInterruptionOptions {
  graceMs: number;
  log(line: string): void;
}

/** Installs the signal handling on a Vitest instance; returns what the reporter calls at run start and end. */
export function interruptRunsOnSignal(
  vitest: Vitest,
  options: RunInterruptionOptions,
): { runStarted(): void; runEnded(): void } {
  let running = false;
  const vitestListeners = vitestSignalListeners();
  const exitLikeVitest = (code: number, signal: InterruptSignal) => {
    for (const listener of vitestListeners) listener(signal, code - 128);
    // Vitest's listener exits after a tick; without one (a future Vitest), exit here.
    setTimeout(() => process.exit(code), 50).unref();
  };
  const interruption = new SignalInterruption({
    prefix: '[hls-swarm] ',
    graceMs: options.graceMs,
    log: options.log,
    exitNow: exitLikeVitest,
    onInterrupt: (signal) => {
      if (!running) return false;
      const reason = `${SIGNAL_CANCEL_PREFIX}${signal}` as Parameters<Vitest['cancelCurrentRun']>[0];
      void vitest.cancelCurrentRun(reason);
      return true;
    },
  });
  for (const signal of INTERRUPT_SIGNALS)
    for (const listener of vitestListeners) process.off(signal, listener);
  interruption.install();
  // Vitest removes its own listeners on close; ours go with them.
  vitest.onClose(() => interruption.uninstall());
  return {
    runStarted: () => {
      running = true;
    },
    runEnded: () => {
      running = false;
      // `vitest run` exits once the run ends; watch mode would wait for changes instead.
      if (interruption.signal && vitest.config.watch) void vitest.exit(true);
    },
  };
}
