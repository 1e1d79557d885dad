import { classifyRequestUrl } from '../parse/index.js';
import type { RequestRecord } from '../types.js';
import type { RelayRecord } from './measuring-relay.js';

/**
 * A relayed request as the swarm records every request. `stopping`: the swarm is stopping its
 * viewers, so a body the viewer stopped reading after the origin answered is `cutByStop` (the
 * origin served it), as the log parser marks it; any other abort by the viewer is a failure.
 */
export function requestRecordFromRelay(record: RelayRecord, stopping: boolean): RequestRecord {
  const base = {
    clientId: record.clientId,
    kind: classifyRequestUrl(record.url),
    url: record.url,
    startMs: record.startMs,
    ...(record.status !== undefined ? { status: record.status } : {}),
    bytes: record.bytes,
    ...(record.ttfbMicros !== undefined ? { ttfbSeconds: record.ttfbMicros / 1e6 } : {}),
  };
  if (record.ok) {
    const durationSeconds = (record.durationMicros ?? 0) / 1e6;
    return { ...base, durationSeconds, endMs: record.startMs + durationSeconds * 1000, ok: true };
  }
  if (record.error === 'aborted' && stopping && record.status !== undefined && record.status < 400) {
    return { ...base, ok: true, cutByStop: true };
  }
  const error: RequestRecord['error'] =
    record.error === 'http' || record.error === 'connect' || record.error === 'timeout'
      ? record.error
      : 'other';
  return {
    ...base,
    ...(record.durationMicros !== undefined ? { durationSeconds: record.durationMicros / 1e6 } : {}),
    ok: false,
    error,
  };
}
