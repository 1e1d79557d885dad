import { loadBaseline } from '../../report/index.js';
import type { RunContext, RunState } from '../run-context.js';

/*
 * scenario.baseline, before anything starts: read and check the earlier report now, so a wrong
 * path or a report of another setup stops the run in a second instead of after it (the error
 * names the file and what to do; the report still gets written, verdict 'error').
 */
export async function loadBaselinePhase(context: RunContext, state: RunState): Promise<void> {
  const baseline = await loadBaseline(context.scenario, context.reportKey, context.log);
  if (baseline) state.baseline = baseline;
}
