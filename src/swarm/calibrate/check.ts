import type { OriginSpec, SwarmSpec } from '../../config/index.js';
import { HlsSwarmError, type HostMemory, readHostMemory } from '../../system/index.js';
import { buildRampPlan, rampInputFromSpec } from '../runtime/ramp.js';
import {
  type CalibrationEntry,
  cacheFileFor,
  calibrationCacheDir,
  profileTarget,
  readCalibration,
  urlTarget,
} from './cache.js';
import { calibrationKeyFor } from './calibrate.js';
import { type CapacityEstimate, estimateCapacity, NO_LOCAL_ORIGIN } from './estimate.js';
import { conditionsWarning } from './measure.js';

/*
 * The capacity check before a scenario starts: never measures (a calibration takes ~30 s),
 * only looks up the cached one for this host, ffmpeg, stream and log level and compares the
 * scenario's peak viewers with what it says this host drives.
 */

export type CapacityCheckMode = 'warn' | 'error' | 'off';

/** What the report carries. */
export interface CapacityReport {
  /** Viewers this host drives with headroom, per the calibration. */
  estimate: number;
  /** The calibration file the estimate comes from. */
  source: string;
  calibratedAt: string;
  plannedClients: number;
  limitedBy: CapacityEstimate['limitedBy'];
}

export interface CapacityCheck {
  /** Null without a cached calibration. */
  capacity: CapacityReport | null;
  exceeded: boolean;
  /** One line for the run's log. */
  message: string;
}

/**
 * A user-facing refusal to start (generator.capacityCheck: 'error'): the scenario plans more
 * viewers than this host can drive.
 */
export class CapacityError extends HlsSwarmError {
  override readonly name = 'CapacityError';
  readonly code = 'HLS_SWARM_CAPACITY';
}

/** Which calibration applies to an origin, and the command that makes it. */
export function calibrationTargetFor(origin: OriginSpec): {
  target: string;
  command: string;
  localOrigin: boolean;
} {
  if (origin.kind === 'external')
    return {
      target: urlTarget(origin.url),
      command: 'hls-swarm calibrate <the stream URL>',
      localOrigin: false,
    };
  // vm and container serve the nginx stack: their viewers cost what nginx's do (the VM's own
  // emulation is not counted, so the estimate for a vm origin errs high).
  const kind = origin.kind === 'python' ? 'python' : 'nginx';
  const profile = 'profile' in origin && origin.profile ? origin.profile : 'default';
  return {
    target: profileTarget(kind, profile),
    command: `hls-swarm calibrate --profile ${profile}${kind === 'python' ? ' --origin python' : ''}`,
    localOrigin: true,
  };
}

const day = (iso: string) => iso.slice(0, 10);

/** Pure: the check's verdict from a cached calibration (or none) and the scenario's plan. */
export function assessCapacity(input: {
  entry: CalibrationEntry | undefined;
  file: string;
  plannedClients: number;
  timedViewers: number | 'all';
  localOrigin: boolean;
  cores: number;
  memAvailableBytes: number;
  logLevel: string;
  calibrateCommand: string;
}): CapacityCheck {
  const { entry, plannedClients } = input;
  if (!entry)
    return {
      capacity: null,
      exceeded: false,
      message: `no calibration of this host for this stream at log level ${input.logLevel}: \`${input.calibrateCommand}\` gives an estimate of how many viewers it drives`,
    };
  const estimate = estimateCapacity({
    costs: entry.costs,
    cores: input.cores,
    memAvailableBytes: input.memAvailableBytes,
    timedViewers: input.timedViewers,
    origin: input.localOrigin && entry.origin ? entry.origin : NO_LOCAL_ORIGIN,
  });
  const capacity: CapacityReport = {
    estimate: estimate.viewers,
    source: input.file,
    calibratedAt: entry.calibratedAt,
    plannedClients,
    limitedBy: estimate.limitedBy,
  };
  const busy =
    entry.conditions && conditionsWarning(entry.conditions) ? ', measured on a busy host: may be high' : '';
  const what = `this host drives ~${estimate.viewers} (calibrated ${day(entry.calibratedAt)}, ${entry.stream}, limited by ${estimate.limitedBy}${busy})`;
  if (plannedClients > estimate.viewers)
    return {
      capacity,
      exceeded: true,
      message: `${plannedClients} viewers planned, ${what}; reduce clients or shard the load, or the tester's own limits will show as the origin's`,
    };
  return { capacity, exceeded: false, message: `${plannedClients} viewers planned, ${what}` };
}

export interface CheckCapacityOptions {
  cacheDir?: string;
  ffmpegPath?: string;
  /** Default: read /proc/meminfo now. */
  memory?: HostMemory;
}

/** Looks the calibration up and assesses the scenario; throws only if ffmpeg cannot be probed. */
export async function checkCapacity(
  origin: OriginSpec,
  swarm: SwarmSpec,
  options: CheckCapacityOptions = {},
): Promise<CapacityCheck> {
  const dir = options.cacheDir ?? calibrationCacheDir();
  const memory = options.memory ?? readHostMemory();
  const { target, command, localOrigin } = calibrationTargetFor(origin);
  const key = await calibrationKeyFor(target, swarm.logLevel, memory, options.ffmpegPath);
  return assessCapacity({
    entry: readCalibration(key, dir),
    file: cacheFileFor(key, dir),
    plannedClients: buildRampPlan(rampInputFromSpec(swarm)).peakClients,
    timedViewers: swarm.timedViewers,
    localOrigin,
    cores: key.cores,
    memAvailableBytes: memory.memAvailableBytes,
    logLevel: swarm.logLevel,
    calibrateCommand: command + (swarm.logLevel === 'trace' ? '' : ` --log-level ${swarm.logLevel}`),
  });
}
