import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originSchema, swarmSchema } from '../../config/index.js';
import { type RunningOrigin, startOrigin } from '../../origin/index.js';
import type { RequestRecord } from '../types.js';
import { isTimedViewer } from './log-fifos.js';
import { startSwarm } from './start-swarm.js';
import { liveFfmpeg } from './test/processes.js';

/*
 * Timed and untimed viewers side by side against nginx (keep-alive, JSON access log): the
 * untimed ones (stderr through a polled FIFO) must count exactly what nginx served them, request
 * by request, and only lack the timings.
 */

let origin: RunningOrigin;

beforeAll(async () => {
  origin = await startOrigin(
    originSchema.parse({ kind: 'nginx', port: 0, profile: 'tiny', exporters: false }),
  );
});

afterAll(async () => {
  await origin?.stop();
});

interface AccessEntry {
  uri: string;
  status: number;
  body_bytes_sent: number;
  user_agent: string;
}

describe('untimed viewers (swarm.timedViewers)', () => {
  it('4 viewers, 1 timed: every request of the untimed ones matches nginx’s log, bytes and status, without timings', async () => {
    const fifoDirs = () => readdirSync(tmpdir()).filter((name) => name.startsWith('hls-swarm-logs-'));
    const dirsBefore = fifoDirs();
    const spec = swarmSchema.parse({
      clients: 4,
      rampRate: 10,
      duration: '16s',
      metricsPort: 0,
      timedViewers: 1,
    });
    const swarm = await startSwarm({ url: origin.streamUrl, spec });
    const requests: RequestRecord[] = [];
    const pids: number[] = [];
    swarm.on('request', (record) => requests.push(record));
    swarm.on('clientStarted', (event) => pids.push(event.pid));
    // The FIFOs live in their own folder while the swarm runs.
    expect(fifoDirs().filter((name) => !dirsBefore.includes(name))).toHaveLength(1);
    const snapshot = await swarm.done;

    const timedIds = [0, 1, 2, 3].filter((id) => isTimedViewer(id, 1, 4));
    expect(timedIds).toEqual([0]);
    expect(swarm.isTimed(0)).toBe(true);
    expect(swarm.isTimed(1)).toBe(false);
    for (const record of requests) {
      if (record.clientId === 0) continue;
      expect(record.ttfbSeconds).toBeUndefined();
      expect(record.durationSeconds).toBeUndefined();
    }
    // The timed viewer's segments read to their end have durations (one cut by the stop has none).
    const timedSegments = requests.filter((r) => r.clientId === 0 && r.kind === 'segment' && !r.cutByStop);
    expect(timedSegments.length).toBeGreaterThan(0);
    for (const record of timedSegments) expect(record.durationSeconds).toBeGreaterThanOrEqual(0);
    // Every viewer, timed or not, has a startup time.
    expect(snapshot.startupSeconds.count).toBe(4);
    expect(snapshot.timedViewers).toBe(1);

    // nginx's log, per untimed viewer: (uri, status, bytes) of every request it answered.
    const entries = readFileSync(origin.accessLog as string, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as AccessEntry);
    for (const clientId of [1, 2, 3]) {
      const served = entries.filter((entry) => entry.user_agent.endsWith(`/client-${clientId}`));
      const counted = requests.filter((record) => record.clientId === clientId);
      expect(counted.length).toBeGreaterThanOrEqual(8);
      // Everything counted was served, with nginx's status and bytes. The request the stop cut
      // after its answer (flagged cutByStop) carries the announced length: nginx may have sent
      // less before the viewer closed the connection.
      const remaining = [...served];
      for (const record of counted) {
        const path = new URL(record.url).pathname;
        const index = remaining.findIndex(
          (entry) =>
            entry.uri === path &&
            entry.status === record.status &&
            (record.cutByStop
              ? entry.body_bytes_sent <= (record.bytes ?? 0)
              : entry.body_bytes_sent === record.bytes),
        );
        expect(
          index,
          `client ${clientId}: ${path} ${record.status} ${record.bytes} not in nginx's log`,
        ).not.toBe(-1);
        remaining.splice(index, 1);
      }
      // nginx may log one more: a request the stop cut before its answer reached ffmpeg.
      expect(remaining.length).toBeLessThanOrEqual(1);
    }
    expect(liveFfmpeg(pids)).toEqual([]);
    // The FIFO folder goes with the swarm.
    expect(fifoDirs().filter((name) => !dirsBefore.includes(name))).toEqual([]);
  });
});
