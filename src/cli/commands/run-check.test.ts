import { describe, expect, it } from 'vitest';
import { FleetStats, type RequestRecord, type SwarmSnapshot } from '../../swarm/index.js';
import { replay, requestsOf } from '../../swarm/parse/test/replay.js';
import { redactUrl } from '../../system/index.js';
import { judgeCheck } from './run-check.js';

/*
 * The --check verdict over requests parsed from recorded ffmpeg viewers (fixtures/ffmpeg,
 * recorded by fixtures/record/ffmpeg-logs.sh): what one real viewer reports, judged as the
 * check judges the one it runs.
 */

/** The swarm's snapshot of one viewer that made `records` (counts, bytes, statuses as the fleet keeps them). */
function snapshotOf(records: RequestRecord[]): SwarmSnapshot {
  const stats = new FleetStats();
  for (const record of records) stats.recordRequest(record);
  return {
    ...stats.snapshotParts(1000),
    atMs: 1000,
    clientsTarget: 1,
    clientsActive: 0,
    clientsStarted: 1,
    restarts: 0,
    stalledClients: 0,
    exitCategories: { clean: 1 },
    droppedLines: 0,
    ffmpeg: { path: '/usr/bin/ffmpeg', version: '5.1.9' },
  };
}

const options = { durationText: '10 s', variantNote: 'every variant (-map 0)' };

describe('hls-swarm run --check verdict', () => {
  it('passes a viewer that played segments, and reports playlists, segments, statuses and bytes', () => {
    const records = requestsOf(replay('python-healthy-trace').events);
    const segments = records.filter((r) => r.kind === 'segment');
    const report = judgeCheck(snapshotOf(records), records, options);
    expect(report.failure).toBeUndefined();
    const text = report.lines.join('\n');
    expect(text).toMatch(/variant\s+every variant \(-map 0\)/);
    expect(text).toMatch(
      new RegExp(`segments\\s+${segments.length} requests \\(${segments.length} ok, 0 failed\\), \\d`),
    );
    expect(text).toMatch(
      /playlists\s+\d+ requests \(\d+ ok, 0 failed\).*: http:\/\/127\.0\.0\.1:\d+\/stream\.m3u8/,
    );
    expect(text).toMatch(new RegExp(`http statuses\\s+200×${records.length}$`, 'm'));
  });

  it('fails a 404 playlist with a one-line reason naming the status and the URL', () => {
    const records = requestsOf(replay('python-404-trace').events);
    const report = judgeCheck(snapshotOf(records), records, options);
    expect(report.failure).toBe(`no segment played in 10 s: HTTP 404 on ${redactUrl(records[0]?.url ?? '')}`);
    expect(report.lines.join('\n')).toMatch(/http statuses\s+404×/);
  });

  it('names the last failed segment when segments failed and none played', () => {
    // The faulty origin's 404 segments without the ones it served: a viewer that played none.
    const records = requestsOf(replay('python-faulty-origin-trace').events).filter(
      (r) => r.kind === 'manifest' || !r.ok,
    );
    const lastFailed = records.filter((r) => r.kind === 'segment').at(-1);
    expect(lastFailed?.status).toBe(404);
    const report = judgeCheck(snapshotOf(records), records, options);
    expect(report.failure).toBe(`no segment played in 10 s: HTTP 404 on ${lastFailed?.url}`);
    expect(report.failure).toMatch(/\/seg\d+\.ts$/);
  });

  it('says so when the viewer made no request at all', () => {
    const report = judgeCheck(snapshotOf([]), [], options);
    expect(report.failure).toBe('no segment played in 10 s: the viewer made no request (exits: clean 1)');
  });
});
