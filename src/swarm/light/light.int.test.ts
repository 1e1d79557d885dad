import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type AccessLogEntry, parseAccessLog } from '../../metrics/index.js';
import { useTinyNginxOrigin } from '../../origin/test/tiny-nginx.js';
import { waitUntil } from '../../system/test/processes.js';
import { LightFleet, type LightRequestRecord, type LightViewerError } from './index.js';

/*
 * Light viewers against the real thing: the native nginx origin serving the `tiny` live stream
 * (a real generator), 20 light viewers for 6 s. What they record must be what nginx served:
 * the same requests (each with its viewer's CMCD session id), the same bytes, and download times that agree with nginx's
 * $request_time (which starts when nginx reads the request and ends when it has sent the last
 * byte, so it can only be shorter than the viewer's, by its millisecond rounding at most).
 */

const VIEWERS = 20;
const HOLD_MS = 6000;
const origin = useTinyNginxOrigin();

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

describe('light viewers against nginx', () => {
  it('play the live stream, and their records match nginx’s access log request for request', async () => {
    const fleet = new LightFleet({
      url: origin().streamUrl,
      variant: 'highest',
      validateSegments: true,
      runId: 'light-int',
    });
    const records: LightRequestRecord[] = [];
    const errors: LightViewerError[] = [];
    const started = new Set<number>();
    let stalls = 0;
    fleet.on('request', (record) => records.push(record));
    fleet.on('viewerError', (error) => errors.push(error));
    fleet.on('startup', (event) => started.add(event.clientId));
    fleet.on('stall', () => stalls++);
    for (let id = 0; id < VIEWERS; id++) fleet.start(id);
    await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
    const samples = [...fleet.all()].map((viewer) => viewer.sample());
    await fleet.close();

    expect(errors).toEqual([]);
    expect(started.size).toBe(VIEWERS);
    expect(stalls).toBe(0);
    for (const sample of samples) {
      expect(sample?.stalled).toBe(false);
      // Three target durations (2 s segments) behind the edge, give or take the segment in progress.
      expect(sample?.liveLatencySeconds).toBeGreaterThan(3);
      expect(sample?.liveLatencySeconds).toBeLessThan(9);
    }
    expect(fleet.scheduler.latenessMs().count).toBeGreaterThan(VIEWERS);

    // nginx writes a request's line when it ends; the fleet waited for every request to end.
    const accessLog = origin().accessLog as string;
    const readLog = () =>
      parseAccessLog(readFileSync(accessLog, 'utf8'), Date.now()).filter((entry) =>
        /\/light-\d+$/.test(entry.userAgent ?? ''),
      );
    await waitUntil(() => readLog().length >= records.length, 3000);
    const log = readLog();
    expect(log.length).toBe(records.length);

    // One to one, per viewer and path, in order: status and bytes equal, times agree.
    const served = new Map<string, AccessLogEntry[]>();
    for (const entry of log) {
      const key = `${/light-(\d+)$/.exec(entry.userAgent ?? '')?.[1]} ${entry.uri}`;
      served.set(key, [...(served.get(key) ?? []), entry]);
    }
    const differencesMs: number[] = [];
    for (const record of records) {
      const entry = served.get(`${record.clientId} ${new URL(record.url).pathname}`)?.shift();
      expect(entry, `nginx has no line for ${record.url} of viewer ${record.clientId}`).toBeDefined();
      // Cut by the fleet's close: nginx logged what it had sent by then, not what the viewer read.
      if (!entry || record.cutByStop || record.status === undefined) continue;
      expect(entry.sessionId).toBe(`light-int-${record.clientId}`);
      expect(record.status).toBe(entry.status);
      expect(record.bytes).toBe(entry.bodyBytesSent);
      const downloadMs = (record.durationMicros as number) / 1000;
      const nginxMs = entry.requestTimeSeconds * 1000;
      expect(downloadMs).toBeGreaterThanOrEqual(nginxMs - 1);
      differencesMs.push(downloadMs - nginxMs);
    }
    expect(records.filter((record) => record.kind === 'segment').length).toBeGreaterThanOrEqual(VIEWERS * 3);
    // Loopback, small files: the viewer's download time is nginx's plus delivery, well within 20 ms.
    expect(median(differencesMs)).toBeLessThan(20);
  });
});
