import type { StartGateSummary } from '../types.js';
import type { ViewerPreparer } from './prepare.js';

/*
 * The wait at the end of the prepare phase: until every gated viewer waits at the gate, the
 * held bound stops spawning, maxPrepare runs out, or the swarm is stopped; progress is said
 * every 2 s, since preparing hundreds of viewers takes minutes on a small host.
 */

/** How often the prepare phase checks whether it may end, and says how far it got. */
const PREPARE_CHECK_INTERVAL_MS = 100;
const PREPARE_LOG_INTERVAL_MS = 2000;

export interface PrepareWaitOptions {
  maxPrepareMs: number;
  stopped(): boolean;
  log(line: string): void;
}

export function waitUntilPrepared(
  preparer: ViewerPreparer,
  options: PrepareWaitOptions,
): Promise<StartGateSummary['prepareEnd'] | 'stopped'> {
  const startedAtMs = Date.now();
  return new Promise((resolve) => {
    let lastLogMs = startedAtMs;
    const timer = setInterval(() => {
      const now = Date.now();
      let end: StartGateSummary['prepareEnd'] | 'stopped' | undefined;
      if (options.stopped()) end = 'stopped';
      else if (preparer.allArrived) end = 'all-waiting';
      else if (preparer.heldBoundReached && preparer.startingCount === 0) end = 'held-bound';
      else if (now - startedAtMs >= options.maxPrepareMs) end = 'max-prepare';
      if (end) {
        clearInterval(timer);
        resolve(end);
      } else if (now - lastLogMs >= PREPARE_LOG_INTERVAL_MS) {
        lastLogMs = now;
        const rate = preparer.arrivalRatePerSecond().toFixed(1);
        options.log(`start gate: ${preparer.arrivedCount} of ${preparer.total} viewers ready (${rate}/s)`);
      }
    }, PREPARE_CHECK_INTERVAL_MS);
  });
}
