import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { originSchema, swarmSchema } from '../../config/index.js';
import { type AccessLogEntry, parseAccessLog } from '../../metrics/index.js';
import { type RunningOrigin, startOrigin } from '../../origin/index.js';
import { findBinary, findFreePort, spawnOwned } from '../../system/index.js';
import { startSwarm } from '../runtime/start-swarm.js';
import { alive, liveFfmpeg, waitUntil } from '../runtime/test/processes.js';
import type { RequestRecord } from '../types.js';
import { MeasuringRelay, type RelayRecord, RelayStartError } from './measuring-relay.js';

/*
 * The measuring relay between real ffmpeg viewers and a real nginx origin (tiny live stream):
 * every request a viewer makes comes back as one record whose status, bytes and connection
 * reuse match nginx's own access-log line for it; the faults a viewer can meet; and swarm.relay
 * in a swarm, through the start gate, with every log read in batches.
 */

/** nginx's access log, read with the product's own parser. */
function accessLog(): AccessLogEntry[] {
  return parseAccessLog(readFileSync(origin.accessLog as string, 'utf8'), Date.now());
}

let origin: RunningOrigin;

beforeAll(async () => {
  origin = await startOrigin(
    originSchema.parse({
      kind: 'nginx',
      profile: 'tiny',
      port: 0,
      nginxExporterPort: 0,
      nodeExporterPort: 0,
    }),
  );
}, 90_000);

afterAll(async () => {
  await origin?.stop();
});

async function startRelay(): Promise<MeasuringRelay> {
  const relay = await MeasuringRelay.start({ timeoutMs: 3000 });
  onTestFinished(() => relay.close());
  return relay;
}

describe('MeasuringRelay', () => {
  it('relays a live viewer; each record matches nginx’s log line for that request', async () => {
    const relay = await startRelay();
    const records: RelayRecord[] = [];
    relay.on('request', (record) => records.push(record));
    const userAgent = `hls-swarm-relay-test-${process.pid}`;
    const ffmpeg = findBinary('ffmpeg');
    if (!ffmpeg) throw new Error('ffmpeg is needed (node src/cli/bootstrap.mjs --for test)');
    const viewer = spawnOwned(
      ffmpeg,
      [
        ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-user_agent', userAgent],
        ...['-rw_timeout', '5000000', '-i', relay.urlFor(0, origin.streamUrl), '-map', '0', '-c', 'copy'],
        ...['-t', '6', '-f', 'null', '-'],
      ],
      { graceMs: 1000, stdio: 'ignore' },
    );
    onTestFinished(async () => {
      await viewer.stop();
    });
    const exit = await viewer.exited;
    expect(exit.exitCode).toBe(0);

    const segments = records.filter((record) => record.url.endsWith('.ts'));
    const playlists = records.filter((record) => record.url.endsWith('.m3u8'));
    expect(segments.length).toBeGreaterThanOrEqual(3);
    expect(playlists.length).toBeGreaterThanOrEqual(1);
    // ffmpeg reads 6 s of a live stream's existing segments faster than realtime and exits at
    // once: a segment it prefetched may still be in flight, which the relay records as aborted
    // by the viewer (seen on a loaded CI run). Every other request completed.
    const aborted = records.filter((record) => record.error === 'aborted');
    expect(aborted.length).toBeLessThanOrEqual(2);
    for (const record of records) {
      expect(record.clientId).toBe(0);
      expect(record.url.startsWith(new URL(origin.streamUrl).origin)).toBe(true);
      if (record.error === 'aborted') continue;
      expect(record.ok).toBe(true);
      // ffmpeg asks for `Range: bytes=0-`, which nginx answers with 206.
      expect([200, 206]).toContain(record.status);
      expect(record.ttfbMicros).toBeGreaterThan(0);
      expect(record.durationMicros).toBeGreaterThanOrEqual(record.ttfbMicros ?? 0);
    }

    // nginx saw exactly the completed requests (no /r/ path: the relay asks for the origin's own
    // path); a request the viewer cut may or may not be in its log yet, so it is left out.
    const completed = records.filter((record) => record.error !== 'aborted');
    const log = accessLog().filter((entry) => entry.userAgent === userAgent);
    for (const cut of aborted) {
      const path = new URL(cut.url).pathname;
      let last = -1;
      for (const [index, entry] of log.entries()) if (entry.uri === path) last = index;
      if (last >= 0) log.splice(last, 1);
    }
    expect(log.map((entry) => entry.uri).sort()).toEqual(
      completed.map((record) => new URL(record.url).pathname).sort(),
    );
    const byStart = [...completed].sort((a, b) => a.startMs - b.startMs);
    const logged = [...log].sort((a, b) => a.atMs - b.atMs);
    for (const [index, entry] of logged.entries()) {
      const record = byStart[index] as RelayRecord;
      expect(new URL(record.url).pathname).toBe(entry.uri);
      expect(record.bytes).toBe(entry.bodyBytesSent);
      expect(record.reused).toBe((entry.connectionRequests ?? 0) > 1);
      // nginx's request_time (ms resolution) is inside the relay's download time.
      expect((record.durationMicros ?? 0) / 1e6).toBeGreaterThanOrEqual(entry.requestTimeSeconds - 0.001);
    }
    expect(records.some((record) => record.reused)).toBe(true);
  }, 60_000);

  it('records a 404 as the viewer sees it, and a refused origin as a 502 with error connect', async () => {
    const relay = await startRelay();
    const records: RelayRecord[] = [];
    relay.on('request', (record) => records.push(record));
    const missing = await fetch(relay.urlFor(3, `${new URL(origin.streamUrl).origin}/no-such.m3u8`));
    expect(missing.status).toBe(404);
    await missing.arrayBuffer();
    const closedPort = await findFreePort();
    const refused = await fetch(relay.urlFor(4, `http://127.0.0.1:${closedPort}/live.m3u8`));
    expect(refused.status).toBe(502);
    await refused.arrayBuffer();
    await waitUntil(() => records.length === 2, 5000);
    expect(records[0]).toMatchObject({ clientId: 3, status: 404, ok: false, error: 'http' });
    expect(records[1]).toMatchObject({ clientId: 4, ok: false, error: 'connect', bytes: 0 });
    expect(records[1]?.status).toBeUndefined();
    const notRelayed = await fetch(`http://127.0.0.1:${relay.port}/elsewhere`);
    expect(notRelayed.status).toBe(404);
    await notRelayed.arrayBuffer();
  });

  it('an origin that resets mid-body: the viewer’s connection is cut and the record says reset', async () => {
    // A raw origin that promises 100 000 bytes, sends 1 000 and resets the connection.
    const sockets = new Set<import('node:net').Socket>();
    const server: Server = createServer((socket) => {
      sockets.add(socket);
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: video/mp2t\r\nContent-Length: 100000\r\n\r\n');
        socket.write(Buffer.alloc(1000, 0x47), () => socket.resetAndDestroy());
      });
    });
    const port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );
    onTestFinished(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        }),
    );
    const relay = await startRelay();
    const records: RelayRecord[] = [];
    relay.on('request', (record) => records.push(record));
    const response = await fetch(relay.urlFor(7, `http://127.0.0.1:${port}/seg-1.ts`));
    expect(response.status).toBe(200);
    await expect(response.arrayBuffer()).rejects.toThrow();
    await waitUntil(() => records.length === 1, 5000);
    expect(records[0]).toMatchObject({ clientId: 7, status: 200, ok: false, error: 'reset', bytes: 1000 });
    expect(records[0]?.durationMicros).toBeUndefined();
  });

  it('names the port when it is in use', async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
    );
    onTestFinished(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const error = await MeasuringRelay.start({ port }).catch((caught) => caught);
    expect(error).toBeInstanceOf(RelayStartError);
    expect(error.message).toContain(`127.0.0.1:${port}: the port is in use`);
  });

  it('close() ends the viewers’ connections and stops listening', async () => {
    const relay = await startRelay();
    const response = await fetch(relay.urlFor(1, origin.streamUrl));
    await response.arrayBuffer();
    await relay.close();
    await expect(fetch(`http://127.0.0.1:${relay.port}/r/1/http/x/`)).rejects.toThrow();
    expect(alive(process.pid)).toBe(true);
  });
});

describe('swarm.relay', () => {
  it('times the timed viewers through the relay; every viewer’s requests match nginx’s log', async () => {
    const target = new URL(origin.streamUrl);
    // resolve and a query string too: both must survive the gate and the relay.
    const url = `http://hls-origin.invalid:${target.port}${target.pathname}?team=video`;
    const spec = swarmSchema.parse({
      clients: 4,
      rampRate: 4,
      duration: '10s',
      metricsPort: 0,
      timedViewers: 2,
      resolve: '127.0.0.1',
      relay: { enabled: true },
    });
    const lines: string[] = [];
    const swarm = await startSwarm({ url, spec, log: (line) => lines.push(line) });
    const records: RequestRecord[] = [];
    const pids = new Set<number>();
    swarm.on('request', (record) => records.push(record));
    swarm.on('clientStarted', (event) => pids.add(event.pid));
    const snapshot = await swarm.done;
    const endMs = Date.now();

    expect(snapshot.timingSource).toBe('relay');
    expect(snapshot.timedViewers).toBe(2);
    expect(snapshot.clientsStarted).toBe(4);
    expect(lines.some((line) => line.includes('every viewer is timed'))).toBe(false);
    expect(liveFfmpeg(pids)).toEqual([]);

    // Never the gate's or the relay's URL; relayed requests are named as the user gave the URL
    // (resolve's host name), from the Host the viewer sent.
    for (const record of records) expect(record.url).not.toMatch(/^http:\/\/[^/]+\/(r|v)\/\d+\//);
    for (const record of records.filter((entry) => entry.clientId % 2 === 0))
      expect(record.url.startsWith(`http://hls-origin.invalid:${target.port}/`)).toBe(true);

    const log = accessLog().filter(
      (entry) => entry.atMs >= (snapshot.startGate?.prepareStartedAtMs ?? 0) && entry.atMs <= endMs,
    );
    expect(log.filter((entry) => entry.uri.startsWith('/r/') || entry.uri.startsWith('/v/'))).toEqual([]);
    const timed = [0, 1, 2, 3].filter((id) => (id * 2) % 4 < 2);
    expect(timed).toEqual([0, 2]);
    for (const clientId of [0, 1, 2, 3]) {
      const mine = records.filter((record) => record.clientId === clientId);
      const served = log.filter((entry) => entry.userAgent?.endsWith(`/client-${clientId}`));
      expect(served.length).toBeGreaterThanOrEqual(3);
      expect(served.find((entry) => entry.uri === target.pathname)?.args).toBe('team=video');
      // Counts, statuses and bytes per viewer, the relayed and the batched ones alike.
      expect(mine.length, `viewer ${clientId} requests`).toBe(served.length);
      expect(mine.map((record) => record.status).sort()).toEqual(served.map((entry) => entry.status).sort());
      expect(mine.reduce((sum, record) => sum + (record.bytes ?? 0), 0)).toBe(
        served.reduce((sum, entry) => sum + (entry.bodyBytesSent ?? 0), 0),
      );
      if (timed.includes(clientId)) {
        const segments = mine.filter((record) => record.kind === 'segment' && !record.cutByStop);
        expect(segments.length).toBeGreaterThan(0);
        for (const record of segments) {
          expect(record.ttfbSeconds).toBeGreaterThan(0);
          expect(record.durationSeconds).toBeGreaterThan(0);
        }
        // Microseconds, not whole milliseconds stamped from log lines.
        const micros = segments.map((record) => Math.round((record.durationSeconds ?? 0) * 1e6));
        expect(micros.some((value) => value % 1000 !== 0)).toBe(true);
      }
    }
    expect(snapshot.segmentDurationSeconds.min).toBeGreaterThan(0);
  }, 60_000);
});
