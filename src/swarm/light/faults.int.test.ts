import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_PLAYLIST_BYTES,
  LightFleet,
  type LightFleetOptions,
  type LightRequestRecord,
  STOPPED_BEFORE_RESPONSE,
} from './index.js';
import { FaultOrigin } from './test/fault-origin.js';
import type { LightViewerError, LightViewerStoppedEvent } from './types.js';

/*
 * Faults from a real (small, loopback) HTTP server: each broken origin behaviour becomes a
 * per-viewer error with its URL and reason, counted, while the viewers (and this process) go
 * on. One fleet per case, all run at once for 5 s, then closed.
 */

interface Run {
  fleet: LightFleet;
  errors: LightViewerError[];
  records: LightRequestRecord[];
  stopped: LightViewerStoppedEvent[];
  startups: number;
  stalls: number;
}

const CASES = {
  good: '/good/live.m3u8',
  noExtm3u: '/no-extm3u/live.m3u8',
  noTarget: '/no-target/live.m3u8',
  master404: '/master-404/master.m3u8',
  cut: '/cut/live.m3u8',
  frozen: '/frozen/live.m3u8',
  huge: '/huge/live.m3u8',
  garbage: '/garbage/live.m3u8',
  hang: '/hang/live.m3u8',
} as const;

let origin: FaultOrigin;
const runs = {} as Record<keyof typeof CASES, Run>;

function codes(run: Run): string[] {
  return [...new Set(run.errors.map((error) => error.code))].sort();
}

beforeAll(async () => {
  origin = await FaultOrigin.start();
  const options: Partial<LightFleetOptions> = { validateSegments: true, timeoutMs: 1500 };
  for (const [name, path] of Object.entries(CASES) as [keyof typeof CASES, string][]) {
    const fleet = new LightFleet({ url: origin.url(path), ...options });
    const run: Run = { fleet, errors: [], records: [], stopped: [], startups: 0, stalls: 0 };
    fleet.on('viewerError', (error) => run.errors.push(error));
    // Requests the final close cut, before any response or mid-body, are the test's doing, not the origin's.
    fleet.on('request', (record) => {
      if (record.fault?.reason !== STOPPED_BEFORE_RESPONSE && !record.cutByStop) run.records.push(record);
    });
    fleet.on('viewerStopped', (event) => run.stopped.push(event));
    fleet.on('startup', () => run.startups++);
    fleet.on('stall', () => run.stalls++);
    fleet.start(0);
    fleet.start(1);
    runs[name] = run;
  }
  await new Promise((resolve) => setTimeout(resolve, 5000));
  await Promise.all(Object.values(runs).map((run) => run.fleet.close()));
}, 30_000);

afterAll(async () => {
  await origin?.stop();
});

describe('light viewers on a faulty origin', () => {
  it('play the healthy stream beside the broken ones, with no error', () => {
    expect(runs.good.errors).toEqual([]);
    expect(runs.good.startups).toBe(2);
    expect(runs.good.stopped.every((event) => event.videoStarted)).toBe(true);
  });

  it('a playlist without #EXTM3U: the entry URL and the reason, retried with backoff', () => {
    const run = runs.noExtm3u;
    expect(codes(run)).toEqual(['missing-extm3u']);
    expect(run.errors[0]).toMatchObject({
      url: origin.url(CASES.noExtm3u),
      reason: expect.stringContaining('#EXTM3U'),
    });
    // Retries at 1 s, 2 s (±20 %) within 5 s: two to three loads per viewer.
    const perViewer = run.errors.filter((error) => error.clientId === 0).length;
    expect(perViewer).toBeGreaterThanOrEqual(2);
    expect(perViewer).toBeLessThanOrEqual(4);
    expect(run.stopped.map((event) => [event.videoStarted, event.startFailure])).toEqual([
      [false, 'missing-extm3u'],
      [false, 'missing-extm3u'],
    ]);
  });

  it('a media playlist without a target duration', () => {
    expect(codes(runs.noTarget)).toEqual(['no-target-duration']);
    expect(runs.noTarget.startups).toBe(0);
  });

  it('a variant that answers 404: its URL and status, the request record failed', () => {
    const run = runs.master404;
    expect(codes(run)).toEqual(['http-status']);
    expect(run.errors[0]).toMatchObject({ url: origin.url('/master-404/missing.m3u8'), reason: 'HTTP 404' });
    const failed = run.records.filter((record) => record.url.endsWith('missing.m3u8'));
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(failed.every((record) => !record.ok && record.error === 'http' && record.status === 404)).toBe(
      true,
    );
    expect(run.stopped[0]?.startFailure).toBe('404');
  });

  it('segments cut mid-body: body-cut errors on the segment URLs, bytes counted as received', () => {
    const run = runs.cut;
    expect(codes(run)).toEqual(['body-cut']);
    expect(run.errors.every((error) => /\/cut\/seg-\d+\.ts$/.test(error.url))).toBe(true);
    const segments = run.records.filter((record) => record.kind === 'segment');
    expect(segments.length).toBeGreaterThanOrEqual(4);
    for (const record of segments) {
      expect(record).toMatchObject({ ok: false, error: 'other', status: 200, fault: { code: 'body-cut' } });
      expect(record.bytes).toBeLessThan(81_780);
      expect(record.durationMicros).toBeUndefined();
    }
    expect(run.startups).toBe(0);
  });

  it('a playlist that stops advancing: one stale error per viewer, and the buffer runs dry', () => {
    const run = runs.frozen;
    expect(codes(run)).toEqual(['playlist-stale']);
    expect(run.errors.filter((error) => error.clientId === 0)).toHaveLength(1);
    expect(run.errors[0]?.reason).toMatch(/unchanged for \d+\.\d s/);
    expect(run.startups).toBe(2);
    expect(run.stalls).toBe(2);
  });

  it('a huge playlist: not read past the cap', () => {
    const run = runs.huge;
    expect(codes(run)).toEqual(['playlist-too-large']);
    for (const record of run.records)
      expect(record.bytes).toBeLessThanOrEqual(DEFAULT_MAX_PLAYLIST_BYTES + 64 * 1024);
  });

  it('segments that are not MPEG-TS: segment-invalid, not played', () => {
    const run = runs.garbage;
    expect(codes(run)).toEqual(['segment-invalid']);
    expect(run.errors[0]?.reason).toBe('MPEG-TS sync byte missing at byte 0 (0x20 instead of 0x47)');
    const segments = run.records.filter((record) => record.kind === 'segment');
    expect(segments.every((record) => record.ok && record.fault?.code === 'segment-invalid')).toBe(true);
    expect(run.startups).toBe(0);
  });

  it('an origin that never answers: timeout errors', () => {
    expect(codes(runs.hang)).toEqual(['timeout']);
    expect(runs.hang.records.every((record) => !record.ok && record.error === 'timeout')).toBe(true);
  });
});
