import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { swarmSchema } from '../../config/index.js';
import { parseAccessLog } from '../../metrics/index.js';
import { useTinyNginxOrigin } from '../../origin/test/tiny-nginx.js';
import { swarmReportFromSnapshot, swarmReportSchema } from '../../report/index.js';
import { TOOL_VERSION } from '../../version.js';
import type { RequestRecord, SwarmEventMap, ViewerKind } from '../types.js';
import { startSwarm } from './start-swarm.js';
import type { Swarm } from './swarm.js';
import { liveFfmpeg, waitUntil } from './test/processes.js';

/*
 * One swarm, two kinds: 2 ffmpeg + 6 light viewers against the native nginx origin (`tiny`,
 * 2 s segments) for 8 s. Both kinds' records reach the swarm's one path with their kind; the
 * origin's access log shows each light viewer's own User-Agent; the per-kind breakdown adds up
 * to the fleet's figures; both kinds' attempts reach QoE; and nothing is left afterwards: no
 * ffmpeg process, no light request in flight, no socket of this process to the origin.
 */

const FFMPEG = 2;
const LIGHT = 6;
const origin = useTinyNginxOrigin();

/** Sockets of this process connected to `port` (its fds' inodes in /proc/net/tcp{,6}). */
function socketsTo(port: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (match?.[1]) inodes.add(match[1]);
    } catch {
      // closed while listing
    }
  }
  let count = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const remotePort = Number.parseInt(fields[2]?.split(':')[1] ?? '', 16);
      if (remotePort === port && inodes.has(fields[9] ?? '')) count++;
    }
  }
  return count;
}

describe('a swarm of ffmpeg and light viewers', () => {
  it('records both kinds on one path, breaks them down per kind, and leaves nothing behind', async () => {
    const spec = swarmSchema.parse({
      viewers: { ffmpeg: FFMPEG, light: LIGHT },
      rampRate: 16,
      duration: '8s',
      metricsPort: 0,
    });
    const streamUrl = origin().streamUrl;
    const originPort = Number(new URL(streamUrl).port);
    // No probe: its fetch would keep a socket to the origin that is not the light viewers'.
    const swarm = (await startSwarm({
      url: streamUrl,
      spec,
      probeUrl: false,
      runId: 'mixed-int',
    })) as Swarm;
    const records: RequestRecord[] = [];
    const started: SwarmEventMap['viewerStarted'][0][] = [];
    const pids: number[] = [];
    const startups = new Map<number, number>();
    swarm.on('request', (record) => records.push(record));
    swarm.on('viewerStarted', (event) => started.push(event));
    swarm.on('clientStarted', (event) => pids.push(event.pid));
    swarm.on('startup', (event) => startups.set(event.clientId, event.seconds));
    const fleet = swarm.lightFleet;
    expect(fleet).toBeDefined();
    // While they play, the light viewers' keep-alive sockets are this process's (ffmpeg's are not).
    expect(await waitUntil(() => socketsTo(originPort) > 0, 5000)).toBe(true);
    const snapshot = await swarm.done;

    // Ids interleave the kinds: 0 and 4 are ffmpeg, the rest light.
    const kindOf = (id: number): ViewerKind => swarm.kindOf(id);
    const lightIds = [1, 2, 3, 5, 6, 7];
    expect([...Array(FFMPEG + LIGHT).keys()].filter((id) => kindOf(id) === 'light')).toEqual(lightIds);
    expect(
      [...started].sort((a, b) => a.clientId - b.clientId).map((event) => [event.clientId, event.viewerKind]),
    ).toEqual([...Array(FFMPEG + LIGHT).keys()].map((id) => [id, kindOf(id)]));
    for (const event of started) expect(event.pid === undefined).toBe(event.viewerKind === 'light');
    expect(pids).toHaveLength(FFMPEG);

    // Every record on the swarm's one path, with its viewer's kind; both kinds played.
    for (const record of records) expect(record.viewerKind, record.url).toBe(kindOf(record.clientId));
    for (const kind of ['ffmpeg', 'light'] as const) {
      const segments = records.filter((record) => record.viewerKind === kind && record.kind === 'segment');
      expect(segments.length, kind).toBeGreaterThanOrEqual(kind === 'light' ? LIGHT * 2 : FFMPEG * 2);
    }
    expect([...startups.keys()].sort((a, b) => a - b)).toEqual([...Array(FFMPEG + LIGHT).keys()]);

    // The breakdown adds up to the fleet's figures, in the snapshot and in the report.
    const kinds = snapshot.viewerKinds;
    const ffmpeg = kinds?.ffmpeg;
    const light = kinds?.light;
    expect(ffmpeg?.viewers).toBe(FFMPEG);
    expect(light?.viewers).toBe(LIGHT);
    const requests = Object.values(snapshot.requests);
    for (const field of ['total', 'ok', 'failed', 'bytes'] as const)
      expect((ffmpeg?.requests[field] ?? 0) + (light?.requests[field] ?? 0), field).toBe(
        requests.reduce((sum, counts) => sum + counts[field], 0),
      );
    expect(light?.requests.total).toBe(records.filter((record) => record.viewerKind === 'light').length);
    expect((ffmpeg?.segmentDurationSeconds.count ?? 0) + (light?.segmentDurationSeconds.count ?? 0)).toBe(
      snapshot.segmentDurationSeconds.count,
    );
    expect(light?.segmentDurationSeconds.p95).toBeGreaterThan(0);
    expect(light?.startupSeconds.count).toBe(LIGHT);
    expect((ffmpeg?.startupSeconds.count ?? 0) + (light?.startupSeconds.count ?? 0)).toBe(
      snapshot.startupSeconds.count,
    );
    const report = swarmReportSchema.parse(swarmReportFromSnapshot(snapshot));
    expect(report.viewerKinds?.light?.requests).toEqual(light?.requests);
    expect(report.viewerKinds?.ffmpeg?.viewers).toBe(FFMPEG);

    // QoE: each kind's attempts, from its own player (the light viewers' modelled buffer).
    const qoe = snapshot.qoe;
    expect(light?.qoe.attemptsPlayed).toBe(LIGHT);
    expect(ffmpeg?.qoe.attemptsPlayed).toBeGreaterThanOrEqual(FFMPEG);
    expect((ffmpeg?.qoe.attemptsPlayed ?? 0) + (light?.qoe.attemptsPlayed ?? 0)).toBe(qoe?.attemptsPlayed);
    expect(light?.qoe.watchSeconds).toBeGreaterThan(LIGHT * 3);
    expect((ffmpeg?.qoe.watchSeconds ?? 0) + (light?.qoe.watchSeconds ?? 0)).toBeCloseTo(
      qoe?.watchSeconds ?? 0,
      6,
    );
    expect(light?.qoe.videoStartFailures).toBe(0);
    expect(snapshot.lightSchedulerLatenessMs?.count).toBeGreaterThan(LIGHT);

    // The origin saw each light viewer's own User-Agent and CMCD session, and the ffmpeg viewers' theirs.
    const accessLog = origin().accessLog as string;
    const viewersIn = (pattern: RegExp) => {
      const ids = new Set<number>();
      for (const entry of parseAccessLog(readFileSync(accessLog, 'utf8'), Date.now())) {
        const id = pattern.exec(entry.userAgent ?? '')?.[1];
        if (id === undefined) continue;
        ids.add(Number(id));
        expect(entry.sessionId).toBe(`mixed-int-${id}`);
      }
      return [...ids].sort((a, b) => a - b);
    };
    const version = TOOL_VERSION.replace(/\./g, '\\.');
    await waitUntil(
      () => viewersIn(new RegExp(`^hls-swarm/${version}/light-(\\d+)$`)).length === LIGHT,
      3000,
    );
    expect(viewersIn(new RegExp(`^hls-swarm/${version}/light-(\\d+)$`))).toEqual(lightIds);
    expect(viewersIn(/\/client-(\d+)$/)).toEqual([0, 4]);

    // Nothing left: no ffmpeg, no light viewer running or request in flight, no socket to the origin.
    expect(liveFfmpeg(pids)).toEqual([]);
    expect(fleet?.active).toBe(0);
    expect(fleet?.http.inFlight).toBe(0);
    expect(await waitUntil(() => socketsTo(originPort) === 0, 1000)).toBe(true);
    expect(snapshot.clientsActive).toBe(0);
  });
});
