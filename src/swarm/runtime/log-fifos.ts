import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFifos, findBinary, ownDirectory, releaseDirectory } from '../../system/index.js';
import { planIndexOf, type RampPlan } from './ramp.js';

/*
 * Which viewers are timed (their log read as it arrives) and the FIFOs the others write their
 * logs into, read in batches (see swarm.timedViewers in docs/swarm-measurement.md).
 */

/**
 * Whether viewer `clientId` is one of the `timed` viewers of a fleet of `peak`: spread evenly
 * over the ids (0, peak/timed, 2·peak/timed, …) so the sample covers the whole ramp.
 */
export function isTimedViewer(clientId: number, timed: number | 'all', peak: number): boolean {
  if (timed === 'all' || timed >= peak) return true;
  return (clientId * timed) % peak < timed;
}

/**
 * The FIFOs of the untimed viewers, made once for the run (each is reopened per ffmpeg run) in
 * a folder the watchdog removes if we die. Undefined when every viewer is timed, or when
 * `mkfifo` is missing (then every viewer is read as it arrives, and a line says so).
 */
export async function createLogFifos(
  plan: RampPlan,
  timed: number | 'all',
  log: (line: string) => void,
): Promise<string | undefined> {
  const ids = new Set<number>();
  for (const event of plan.events)
    if (!isTimedViewer(planIndexOf(plan, event.clientId), timed, plan.peakClients)) ids.add(event.clientId);
  if (ids.size === 0) return undefined;
  const mkfifo = findBinary('mkfifo');
  if (!mkfifo) {
    log('mkfifo (coreutils) not found: every viewer is timed, at a higher CPU cost');
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'hls-swarm-logs-'));
  ownDirectory(dir);
  try {
    await createFifos(
      [...ids].map((id) => join(dir, `client-${id}`)),
      mkfifo,
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    releaseDirectory(dir);
    throw error;
  }
  return dir;
}
