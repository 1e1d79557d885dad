import { swarmFieldsSchema } from '../../config/index.js';
import { type HostMemory, readHostMemory } from '../../system/index.js';
import { detectFfmpeg } from '../command/index.js';
import {
  CALIBRATION_FORMAT,
  type CalibrationEntry,
  type CalibrationKey,
  cacheFileFor,
  calibrationCacheDir,
  hostKey,
  profileTarget,
  readCalibration,
  urlTarget,
  writeCalibration,
} from './cache.js';
import { type CapacityEstimate, estimateCapacity, NO_LOCAL_ORIGIN } from './estimate.js';
import { type CalibrationStream, type MeasureOptions, measureCalibration } from './measure.js';

/*
 * `calibrate`: the cached calibration for this host, ffmpeg, stream and log level, or a fresh
 * measurement (then cached), with the estimate it gives for the swarm's defaults.
 */

export interface CalibrateOptions extends MeasureOptions {
  /** Measure even when a cached calibration exists. */
  fresh?: boolean;
  /** Default: calibrationCacheDir(). */
  cacheDir?: string;
  /** timedViewers of the estimate printed (default: the swarm's default). */
  timedViewers?: number | 'all';
}

export interface CalibrationOutcome {
  entry: CalibrationEntry;
  file: string;
  fromCache: boolean;
  estimate: CapacityEstimate;
  host: HostMemory & { cores: number; hostname: string };
  timedViewers: number | 'all';
}

export function targetOf(stream: CalibrationStream): string {
  return stream.kind === 'profile' ? profileTarget(stream.originKind, stream.profile) : urlTarget(stream.url);
}

/** The key of a calibration of `stream` at `logLevel` on this host with this ffmpeg (probes ffmpeg once). */
export async function calibrationKeyFor(
  target: string,
  logLevel: CalibrationKey['logLevel'],
  memory: HostMemory,
  ffmpegPath?: string,
): Promise<CalibrationKey> {
  const ffmpeg = await detectFfmpeg(ffmpegPath);
  return { ...hostKey(memory.memTotalBytes), ffmpegVersion: ffmpeg.version, target, logLevel };
}

export async function calibrate(options: CalibrateOptions): Promise<CalibrationOutcome> {
  const dir = options.cacheDir ?? calibrationCacheDir();
  const memory = readHostMemory();
  const key = await calibrationKeyFor(targetOf(options.stream), options.logLevel, memory, options.ffmpegPath);
  const timedViewers = options.timedViewers ?? swarmFieldsSchema.shape.timedViewers.parse(undefined);
  const host = { ...memory, cores: key.cores, hostname: key.hostname };
  const outcome = (entry: CalibrationEntry, file: string, fromCache: boolean): CalibrationOutcome => ({
    entry,
    file,
    fromCache,
    host,
    timedViewers,
    estimate: estimateCapacity({
      costs: entry.costs,
      cores: key.cores,
      memAvailableBytes: memory.memAvailableBytes,
      timedViewers,
      origin: entry.origin ?? NO_LOCAL_ORIGIN,
    }),
  });
  if (!options.fresh) {
    const cached = readCalibration(key, dir);
    if (cached) return outcome(cached, cacheFileFor(key, dir), true);
  }
  const measured = await measureCalibration(options);
  const entry: CalibrationEntry = {
    format: CALIBRATION_FORMAT,
    key: { ...key, ffmpegVersion: measured.ffmpegVersion },
    calibratedAt: new Date().toISOString(),
    stream: measured.stream,
    viewersMeasured: measured.viewersMeasured,
    steadySeconds: measured.steadySeconds,
    costs: measured.costs,
    memorySource: measured.memorySource,
    origin: measured.origin,
    memAvailableBytes: memory.memAvailableBytes,
    conditions: measured.conditions,
  };
  return outcome(entry, writeCalibration(entry, dir), false);
}
