import { join } from 'node:path';
import { startOrigin } from '../../origin/index.js';
import { formatClock } from '../../report/index.js';
import type { RunContext, RunState } from '../run-context.js';

/*
 * Phase 1: the origin (unless the caller passed a running one). A VM may take minutes to
 * boot, so the wait is narrated at every progress interval.
 */
export async function bootOrigin(context: RunContext, state: RunState): Promise<void> {
  if (state.origin) return;
  const { scenario, options, controller, timings } = context;
  context.log(`starting ${scenario.origin.kind} origin`);
  const logDir =
    options.keepOriginLogs === false
      ? undefined
      : join(context.reportPath.replace(/\.json$/, '.logs'), 'origin');
  const bootStartMs = Date.now();
  const bootTimer = setInterval(() => {
    const waited = formatClock((Date.now() - bootStartMs) / 1000);
    context.log(
      `waiting for the ${scenario.origin.kind} origin (${waited}, ready timeout ${scenario.origin.readyTimeout})`,
    );
  }, timings.progressIntervalMs);
  try {
    state.origin = await startOrigin(scenario.origin, {
      signal: controller.signal,
      ...(logDir ? { logDir } : {}),
    });
  } finally {
    clearInterval(bootTimer);
  }
}
