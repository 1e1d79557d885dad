import { readFileSync } from 'node:fs';
import type { CalibrationEntry, CalibrationKey } from '../cache.js';
import type { CalibrationOutcome } from '../calibrate.js';

// What `hls-swarm calibrate --json` printed on this machine (fixtures/record/calibration.sh):
// the cached entry's fields plus the host, the estimate and where it was cached.
export type RecordedCalibration = CalibrationEntry &
  Pick<CalibrationOutcome, 'host' | 'estimate' | 'timedViewers' | 'fromCache'> & { cacheFile: string };

export const recordedCalibration: RecordedCalibration = JSON.parse(
  readFileSync(new URL('../../../../fixtures/calibration/python-tiny-trace.json', import.meta.url), 'utf8'),
);

/** The recorded calibration as the cache stores it, optionally under another key (e.g. this host's). */
export function recordedEntry(key: CalibrationKey = recordedCalibration.key): CalibrationEntry {
  const {
    host: _host,
    estimate: _estimate,
    timedViewers: _timed,
    fromCache: _cached,
    cacheFile: _file,
    ...entry
  } = recordedCalibration;
  return { ...entry, key };
}
