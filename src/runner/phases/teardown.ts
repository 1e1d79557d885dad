import type { SwarmSnapshot } from '../../swarm/index.js';
import { noteError, type RunState } from '../run-context.js';

/*
 * Phase 4: stop in order. Viewers first (so the origin is not blamed for the shutdown), then
 * sampling (a last scrape of the final state), then the actions still running, then the origin
 * (only one this run started). Every step runs whatever failed before it.
 */
export async function teardown(state: RunState): Promise<void> {
  state.phase = 'stopping';
  for (const timer of state.timers) clearTimeout(timer);
  const swarm = state.swarm;
  if (swarm) {
    try {
      const stopped = await swarm.stop();
      state.finalSnapshot = (stopped as SwarmSnapshot | undefined) ?? swarm.snapshot();
    } catch (error) {
      noteError(state, error);
      try {
        state.finalSnapshot = swarm.snapshot();
      } catch {}
    }
  }
  state.marks.swarmEndMs = Date.now();
  state.monitor?.detach();
  await state.generatorHealth?.stop();
  if (state.sampler) {
    try {
      await state.sampler.stop();
    } catch (error) {
      noteError(state, error);
    }
  }
  await Promise.allSettled(state.pendingActions);
}

/** Stops the origin if this run started it (after its report was taken). */
export async function stopOrigin(state: RunState): Promise<void> {
  if (!state.origin || !state.ownsOrigin) return;
  try {
    await state.origin.stop();
  } catch (error) {
    noteError(state, error);
  }
}
