import { describe, expect, it } from 'vitest';
import { readFixture, replay, requestsOf } from './test/replay.js';

/*
 * The last-byte estimate (durationSeconds) against a throttled link, recorded by
 * fixtures/record/duration-check.sh: one viewer in a network namespace, nginx in another,
 * tc tbf limiting origin → viewer. Two references: the wire time of the body at the link rate,
 * and nginx's own $request_time (which stops once the last byte is handed to the kernel, so it
 * ends early by whatever the socket and qdisc still hold). See docs/swarm-measurement.md.
 */
interface AccessEntry {
  msec: number;
  request: string;
  status: number;
  body_bytes_sent: number;
  request_time: number;
}

const link = JSON.parse(readFixture('throttled-link.json')) as { rate: string; burst: string };
const rateBitsPerSecond = Number.parseFloat(link.rate) * (/mbit/i.test(link.rate) ? 1e6 : 1e3);
const access = readFixture('throttled-nginx-access.jsonl')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as AccessEntry);
const { events, parser } = replay('throttled-nginx-trace');
const records = requestsOf(events);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Segments requested at the live edge (right after a playlist reload): one download at a time on the link. */
const steady = records.filter(
  (record, index) =>
    record.kind === 'segment' && !record.cutByStop && index > 6 && records[index - 1]?.kind === 'manifest',
);
const pairs = steady.map((record) => {
  const path = new URL(record.url).pathname;
  const entry = access.find((a) => a.request.split(' ')[1] === path)!;
  return {
    ours: record.durationSeconds!,
    nginx: entry.request_time,
    wire: (record.bytes! * 8) / rateBitsPerSecond,
  };
});

describe('durationSeconds on a throttled link (tbf, recorded)', () => {
  it('counts the same requests as nginx, with its bytes but for the one the stop cut mid-body', () => {
    expect(parser.cutAtEnd).toBe(0);
    expect(parser.swallowedErrors).toBe(0);
    expect(records).toHaveLength(access.length);
    const key = (path: string, status: number | undefined, bytes: number | undefined) =>
      `${path} ${status} ${bytes}`;
    const theirs = access.map((a) => key(a.request.split(' ')[1]!, a.status, a.body_bytes_sent));
    const [cut, ...moreCut] = records.filter((r) => r.cutByStop);
    for (const record of records.filter((r) => !r.cutByStop))
      expect(theirs).toContain(key(new URL(record.url).pathname, record.status, record.bytes));
    // The segment requested ahead when SIGTERM came: the link had delivered only part of it, so
    // nginx logged fewer bytes than the announced length the swarm counts for it.
    expect(moreCut).toEqual([]);
    const served = access.find((a) => a.request.split(' ')[1] === new URL(cut!.url).pathname)!;
    expect(served.status).toBe(cut!.status);
    expect(served.body_bytes_sent).toBeLessThanOrEqual(cut!.bytes!);
    expect(steady.length).toBeGreaterThanOrEqual(10);
  });

  it('tracks the wire time of each segment body (median within 0.8-1.3x)', () => {
    const ratio = median(pairs.map((p) => p.ours / p.wire));
    expect(ratio).toBeGreaterThan(0.8);
    expect(ratio).toBeLessThan(1.3);
  });

  it('never ends before nginx finished sending (beyond 50 ms of stamping noise)', () => {
    const early = pairs.filter((p) => p.ours < p.nginx - 0.05);
    expect(early).toEqual([]);
    // nginx's clock stops when the last byte enters the kernel: ours ends later, by less than 0.4 s here.
    expect(median(pairs.map((p) => p.ours - p.nginx))).toBeLessThan(0.4);
  });

  it('times manifests as small bodies: end within a few ms of the headers', () => {
    const manifests = records.filter((r) => r.kind === 'manifest' && r.ok);
    expect(median(manifests.map((r) => r.durationSeconds! - r.ttfbSeconds!))).toBeLessThan(0.01);
  });
});
