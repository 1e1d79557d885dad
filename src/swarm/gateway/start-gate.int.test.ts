import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originSchema, swarmSchema } from '../../config/index.js';
import { type RunningOrigin, startOrigin } from '../../origin/index.js';
import { startSwarm } from '../runtime/start-swarm.js';
import { liveFfmpeg, waitUntil } from '../runtime/test/processes.js';
import type { RequestRecord, SwarmEventMap } from '../types.js';

/*
 * The start gate with real ffmpeg viewers against a real live origin (nginx, tiny profile):
 * viewers are spawned ahead of the plan, held at the gate past their -rw_timeout, released on
 * time, and play from the origin; the gate's own exchange is not counted as a request.
 */

let origin: RunningOrigin;

beforeAll(async () => {
  origin = await startOrigin(
    originSchema.parse({
      kind: 'nginx',
      port: 0,
      profile: 'tiny',
      nginxExporterPort: 0,
      nodeExporterPort: 0,
    }),
  );
});

afterAll(async () => {
  await origin?.stop();
});

/** ffmpeg processes whose parent is this test process, but for the origin's generator. */
function ownFfmpegChildren(): number[] {
  const originPids = new Set(origin.status().processes.map((process) => process.pid));
  const out = execFileSync('ps', ['-eo', 'pid=,ppid=,comm='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, ppid, comm]) => Number(ppid) === process.pid && comm === 'ffmpeg')
    .map(([pid]) => Number(pid))
    .filter((pid) => !originPids.has(pid));
}

type Release = SwarmEventMap['released'][0];

describe('start gate', () => {
  it('holds viewers past their -rw_timeout, releases each at its planned start, and keeps the gate out of the records', async () => {
    // One viewer every 2 s with a 1 s -rw_timeout: the last is held ~4 s at the gate.
    const spec = swarmSchema.parse({
      clients: 3,
      rampRate: 0.5,
      duration: '12s',
      metricsPort: 0,
      timeout: '1s',
    });
    const swarm = await startSwarm({ url: origin.streamUrl, spec });
    const releases: Release[] = [];
    const requests: RequestRecord[] = [];
    const pids = new Set<number>(swarm.viewerPids());
    swarm.on('released', (release) => releases.push(release));
    swarm.on('request', (record) => requests.push(record));
    swarm.on('clientStarted', (event) => pids.add(event.pid));
    const snapshot = await swarm.done;

    expect(releases.map((release) => release.clientId)).toEqual([0, 1, 2]);
    const startedAtMs = snapshot.startedAtMs ?? 0;
    for (const release of releases) {
      // Planned i × 2 s after the run's start; arrived well before; released then.
      expect(release.plannedAtMs - startedAtMs).toBeCloseTo(release.clientId * 2000, -2);
      expect(release.arrivedAtMs).toBeLessThanOrEqual(release.releasedAtMs);
      // Planned times are fractional ms (the scheduler's clock), releases whole ms.
      expect(release.releasedAtMs).toBeGreaterThanOrEqual(Math.floor(release.plannedAtMs));
    }
    const last = releases[2] as Release;
    expect(last.releasedAtMs - last.arrivedAtMs).toBeGreaterThan(2000); // held twice its -rw_timeout
    expect(snapshot.exitCategories).toEqual({ clean: 3 });
    expect(snapshot.restarts).toBe(0);
    expect(snapshot.clientsStarted).toBe(3);
    expect(snapshot.startGate).toMatchObject({ gatedViewers: 3, prepareEnd: 'all-waiting' });
    expect(snapshot.startGate?.releaseLatenessSeconds.count).toBe(3);
    // Every viewer played from the origin; nothing recorded was the gate.
    for (const clientId of [0, 1, 2])
      expect(requests.some((r) => r.clientId === clientId && r.kind === 'segment' && r.ok)).toBe(true);
    const originPrefix = new URL(origin.streamUrl).origin;
    expect(requests.filter((r) => !r.url.startsWith(originPrefix) && !r.url.startsWith('/'))).toEqual([]);
    expect(snapshot.requests.manifest.failed + snapshot.requests.segment.failed).toBe(0);
    // Start-up runs from the release, not from the spawn seconds earlier.
    expect(snapshot.startupSeconds.count).toBe(3);
    expect(snapshot.startupSeconds.max).toBeLessThan(2);
    expect(liveFfmpeg(pids)).toEqual([]);
  });

  it('brings back to the gate a viewer that died while held, and releases it', async () => {
    // Client 1 is due 5 s in: it waits at the gate meanwhile.
    const spec = swarmSchema.parse({ clients: 2, rampRate: 0.2, duration: '9s', metricsPort: 0 });
    const swarm = await startSwarm({ url: origin.streamUrl, spec });
    const releases: Release[] = [];
    const playingPids = new Set<number>();
    swarm.on('released', (release) => releases.push(release));
    swarm.on('clientStarted', (event) => playingPids.add(event.pid));
    await waitUntil(() => playingPids.size === 1 && swarm.viewerPids().length === 2, 5000);
    const heldPid = swarm.viewerPids().find((pid) => !playingPids.has(pid)) as number;
    process.kill(heldPid, 'SIGKILL');
    await waitUntil(() => swarm.viewerPids().length === 2 && !swarm.viewerPids().includes(heldPid), 5000);
    const comeBackPid = swarm.viewerPids().find((pid) => !playingPids.has(pid)) as number;
    const snapshot = await swarm.done;
    expect(releases.map((release) => release.clientId)).toEqual([0, 1]);
    expect(releases[1]?.latenessSeconds).toBeLessThan(1);
    expect(playingPids.has(comeBackPid)).toBe(true);
    expect(snapshot.clientsStarted).toBe(2);
    expect(snapshot.exitCategories.signal).toBe(1);
    expect(liveFfmpeg([...playingPids, heldPid])).toEqual([]);
  });

  it('keeps the query string and `resolve` through the gate: the origin sees them, never the gate path', async () => {
    const target = new URL(origin.streamUrl);
    const url = `http://hls-origin.invalid:${target.port}${target.pathname}?team=video`;
    const spec = swarmSchema.parse({
      clients: 2,
      rampRate: 1,
      duration: '8s',
      metricsPort: 0,
      resolve: '127.0.0.1',
    });
    const swarm = await startSwarm({ url, spec });
    const snapshot = await swarm.done;
    expect(snapshot.startGate?.releaseLatenessSeconds.count).toBe(2);
    const entries = readFileSync(origin.accessLog as string, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(
        (line) =>
          JSON.parse(line) as { msec: number; uri: string; args: string; status: number; user_agent: string },
      )
      .filter((entry) => entry.msec * 1000 >= (snapshot.startGate?.prepareStartedAtMs ?? 0));
    const playlists = entries.filter((entry) => entry.uri === target.pathname);
    expect(playlists.length).toBeGreaterThanOrEqual(2);
    for (const clientId of [0, 1]) {
      const first = playlists.find((entry) => entry.user_agent.endsWith(`/client-${clientId}`));
      expect(first?.args).toBe('team=video');
    }
    expect(entries.filter((entry) => entry.uri.startsWith('/v/'))).toEqual([]);
    expect(entries.every((entry) => entry.status < 400)).toBe(true);
  });

  it('runs viewers at autogroup nice swarm.viewerNice, so the swarm keeps the CPU it needs to release them', async () => {
    const spec = swarmSchema.parse({
      clients: 2,
      rampRate: 2,
      duration: '4s',
      metricsPort: 0,
      viewerNice: 7,
    });
    // Empty when this process sits in the root autogroup (a runner started without setsid, as
    // on CI); the swarm must leave it as it found it either way.
    const ownGroupBefore = readFileSync('/proc/self/autogroup', 'utf8');
    const lines: string[] = [];
    const swarm = await startSwarm({ url: origin.streamUrl, spec, log: (line) => lines.push(line) });
    await waitUntil(() => swarm.viewerPids().length === 2, 5000);
    const groups = swarm.viewerPids().map((pid) => readFileSync(`/proc/${pid}/autogroup`, 'utf8').trim());
    await swarm.done;
    const root = process.getuid?.() === 0;
    // Root may set it (this machine and CI run as root); elsewhere the swarm says it could not.
    if (root) {
      for (const group of groups) expect(group).toMatch(/ nice 7$/);
      expect(lines).toContain(
        'viewers run at autogroup nice 7: the swarm keeps the CPU it needs to start them on time',
      );
    } else {
      expect(lines.some((line) => line.startsWith("viewers run at the swarm's priority"))).toBe(true);
    }
    expect(readFileSync('/proc/self/autogroup', 'utf8')).toBe(ownGroupBefore);
  });

  it('names the busy gate port before any viewer starts', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
    );
    try {
      const spec = swarmSchema.parse({ clients: 2, metricsPort: 0, startGate: { port } });
      const error = await startSwarm({ url: origin.streamUrl, spec }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).toBe('PortInUseError');
      expect((error as Error).message).toContain(`127.0.0.1:${port}`);
      expect((error as Error).message).toContain('swarm.startGate.port');
      expect(ownFfmpegChildren()).toEqual([]);
    } finally {
      blocker.close();
    }
  });

  it('stops every pre-started viewer when aborted while preparing', async () => {
    // 200 viewers take seconds to spawn: the prepare phase is under way when the abort comes.
    const spec = swarmSchema.parse({ clients: 200, rampRate: 200, duration: '10s', metricsPort: 0 });
    const controller = new AbortController();
    const seen = new Set<number>();
    const watcher = setInterval(() => {
      for (const pid of ownFfmpegChildren()) seen.add(pid);
      if (seen.size >= 4) controller.abort(new Error('Ctrl-C'));
    }, 50);
    try {
      const error = await startSwarm({ url: origin.streamUrl, spec, signal: controller.signal }).catch(
        (e: unknown) => e,
      );
      expect((error as Error).message).toBe('Ctrl-C');
    } finally {
      clearInterval(watcher);
    }
    expect(seen.size).toBeGreaterThanOrEqual(4);
    expect(liveFfmpeg(seen)).toEqual([]);
    expect(ownFfmpegChildren()).toEqual([]);
  });
});
