import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism, homedir, hostname } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { SwarmSpec } from '../../config/index.js';
import type { OriginCpu, ViewerCosts } from './estimate.js';
import type { MeasurementConditions } from './measure.js';

/*
 * Calibrations are kept per host, ffmpeg, stream and log level, one JSON file per key in
 * $XDG_CACHE_HOME/hls-swarm/ (or ~/.cache/hls-swarm/). Anything in the key changing (another
 * machine or VM size, an ffmpeg upgrade, another profile or URL, another log level) misses the
 * cache, so a stale figure is never applied to a host it was not measured on.
 */

export const CALIBRATION_FORMAT = 1;

/** What a calibration is valid for. */
export interface CalibrationKey {
  hostname: string;
  cores: number;
  memTotalBytes: number;
  ffmpegVersion: string;
  /** `profile:<origin kind>/<profile>` or `url:<sha256 of the URL, 16 hex>` (a URL may hold a token). */
  target: string;
  logLevel: SwarmSpec['logLevel'];
}

export interface CalibrationEntry {
  format: typeof CALIBRATION_FORMAT;
  key: CalibrationKey;
  /** ISO date-time of the measurement. */
  calibratedAt: string;
  /** The stream measured, secrets redacted: the profile, or the URL without query and credentials. */
  stream: string;
  viewersMeasured: number;
  steadySeconds: number;
  costs: ViewerCosts;
  memorySource: 'pss' | 'rss';
  /** The local origin's CPU during the measurement; null for a URL. */
  origin: (OriginCpu & { kind: string }) | null;
  /** MemAvailable when it was measured (an estimate at check time uses the current value). */
  memAvailableBytes: number;
  /** How busy the host was while measuring (absent in files written before it was recorded). */
  conditions?: MeasurementConditions;
}

export function profileTarget(originKind: string, profile: string): string {
  return `profile:${originKind}/${profile}`;
}

export function urlTarget(url: string): string {
  return `url:${createHash('sha256').update(url).digest('hex').slice(0, 16)}`;
}

/** The host part of the key, read now. */
export function hostKey(memTotalBytes: number): Pick<CalibrationKey, 'hostname' | 'cores' | 'memTotalBytes'> {
  return { hostname: hostname(), cores: availableParallelism(), memTotalBytes };
}

/** $XDG_CACHE_HOME/hls-swarm when that is an absolute path (as the XDG spec asks), else ~/.cache/hls-swarm. */
export function calibrationCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.cache'), 'hls-swarm');
}

export function keyString(key: CalibrationKey): string {
  return JSON.stringify([
    key.hostname,
    key.cores,
    key.memTotalBytes,
    key.ffmpegVersion,
    key.target,
    key.logLevel,
  ]);
}

export function cacheFileFor(key: CalibrationKey, dir: string): string {
  const digest = createHash('sha256').update(keyString(key)).digest('hex').slice(0, 16);
  return join(dir, `calibration-${digest}.json`);
}

function isEntry(value: unknown): value is CalibrationEntry {
  const entry = value as Partial<CalibrationEntry> | null;
  return (
    typeof entry === 'object' &&
    entry !== null &&
    entry.format === CALIBRATION_FORMAT &&
    typeof entry.calibratedAt === 'string' &&
    typeof entry.key === 'object' &&
    typeof entry.costs === 'object'
  );
}

/** The cached calibration for exactly this key, or undefined (missing, unreadable, another format or key). */
export function readCalibration(key: CalibrationKey, dir: string): CalibrationEntry | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(cacheFileFor(key, dir), 'utf8'));
  } catch {
    return undefined;
  }
  if (!isEntry(parsed) || keyString(parsed.key) !== keyString(key)) return undefined;
  return parsed;
}

/** Writes atomically (temporary file, then rename); returns the file's path. */
export function writeCalibration(entry: CalibrationEntry, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = cacheFileFor(entry.key, dir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(entry, null, 2)}\n`, 'utf8');
  renameSync(tmp, file);
  return file;
}
