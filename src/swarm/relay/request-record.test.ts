import { describe, expect, it } from 'vitest';
import type { RelayRecord } from './measuring-relay.js';
import { requestRecordFromRelay } from './request-record.js';

const base: RelayRecord = {
  clientId: 2,
  url: 'http://127.0.0.1:8080/stream_1/seg-00012.ts?token=x',
  startMs: 1_795_850_000_123.456,
  bytes: 48_316,
  reused: true,
  ok: true,
  status: 200,
  ttfbMicros: 812,
  durationMicros: 3_517,
};

describe('requestRecordFromRelay', () => {
  it('a completed request: kind from the URL, timings in seconds at µs, end from start + duration', () => {
    expect(requestRecordFromRelay(base, false)).toEqual({
      clientId: 2,
      kind: 'segment',
      url: base.url,
      startMs: base.startMs,
      status: 200,
      bytes: 48_316,
      ttfbSeconds: 0.000812,
      durationSeconds: 0.003517,
      endMs: base.startMs + 3.517,
      ok: true,
    });
    expect(requestRecordFromRelay({ ...base, url: 'http://h/live/stream.m3u8' }, false).kind).toBe(
      'manifest',
    );
  });

  it('an HTTP error keeps its status and timings; no connection is a connect failure with no status', () => {
    const notFound = requestRecordFromRelay(
      { ...base, status: 404, ok: false, error: 'http', bytes: 153 },
      false,
    );
    expect(notFound).toMatchObject({ status: 404, ok: false, error: 'http', durationSeconds: 0.003517 });
    const refused = requestRecordFromRelay(
      {
        clientId: 2,
        url: base.url,
        startMs: base.startMs,
        bytes: 0,
        reused: false,
        ok: false,
        error: 'connect',
      },
      false,
    );
    expect(refused).toEqual({
      clientId: 2,
      kind: 'segment',
      url: base.url,
      startMs: base.startMs,
      bytes: 0,
      ok: false,
      error: 'connect',
    });
    expect(requestRecordFromRelay({ ...base, ok: false, error: 'timeout' }, false).error).toBe('timeout');
    expect(requestRecordFromRelay({ ...base, ok: false, error: 'reset' }, false).error).toBe('other');
  });

  it('a body the viewer stopped reading: cut by the stop while stopping, a failure otherwise', () => {
    const aborted: RelayRecord = { ...base, ok: false, error: 'aborted', bytes: 1000 };
    delete aborted.durationMicros;
    expect(requestRecordFromRelay(aborted, true)).toMatchObject({ ok: true, cutByStop: true, status: 200 });
    expect(requestRecordFromRelay(aborted, true).durationSeconds).toBeUndefined();
    expect(requestRecordFromRelay(aborted, false)).toMatchObject({ ok: false, error: 'other' });
  });
});
