import { CapacityError, checkCapacity } from '../../swarm/index.js';
import type { RunContext, RunState } from '../run-context.js';

/*
 * generator.capacityCheck, before the origin boots: the scenario's peak viewers against this
 * host's cached calibration (never a calibration: it takes ~30 s). A failed lookup (ffmpeg
 * missing: the swarm's preflight says so) skips the check. 'warn' logs one line; 'error' with a
 * peak above the estimate throws a CapacityError, so nothing starts and the report says why.
 */
export async function checkCapacityPhase(context: RunContext, state: RunState): Promise<void> {
  const { scenario } = context;
  const mode = scenario.generator.capacityCheck;
  if (mode === 'off') return;
  const check = await checkCapacity(scenario.origin, scenario.swarm).catch(() => undefined);
  if (!check) return;
  state.capacity = check;
  if (check.exceeded && mode === 'error')
    throw new CapacityError(`${check.message} (generator.capacityCheck: 'error'; 'warn' runs it anyway)`);
  context.log(`${check.exceeded ? 'WARNING: ' : ''}${check.message}`);
}
