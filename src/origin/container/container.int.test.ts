import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerOriginSchema, swarmSchema } from '../../config/index.js';
import { type SwarmHandle, startSwarm } from '../../swarm/index.js';
import { alive } from '../../system/test/processes.js';
import { startOrigin } from '../registry.js';
import type { RunningOrigin } from '../types.js';
import { findSamples } from '../wait/index.js';
import { ORIGIN_CONTAINER_LABEL } from './driver.js';
import { engineContainersWithLabel, engineEndpoint, engineRequest } from './engine.js';
import { ensureOfflineBaseImage, provideDockerEngine, type TestDockerEngine } from './test/docker-engine.js';

/*
 * Boots the container origin through the driver on a real engine (a private dockerd without a
 * bridge when none answers: host networking), plays it with a 2-viewer swarm for 20 s, reads both
 * exporters, stops it and checks that no container, dockerd, containerd or shim of ours is left.
 * Timings are printed (cold: empty engine; warm: cached data root with the images).
 */

const VIEW_SECONDS = 20;
const timings: Record<string, number> = {};
let engine: TestDockerEngine | undefined;
const origins: RunningOrigin[] = [];
const swarms: SwarmHandle[] = [];
const viewerPids: number[] = [];

async function getText(url: string): Promise<{ status: number; body: string }> {
  const response = await request(url, { headersTimeout: 5000, bodyTimeout: 5000 });
  return { status: response.statusCode, body: await response.body.text() };
}

async function ourContainers(): Promise<string[]> {
  return engineContainersWithLabel(engineEndpoint(process.env), ORIGIN_CONTAINER_LABEL);
}

function spec(overrides: Record<string, unknown> = {}) {
  return containerOriginSchema.parse({
    kind: 'container',
    profile: 'tiny',
    port: 0,
    nginxExporterPort: 0,
    nodeExporterPort: 0,
    ...overrides,
  });
}

beforeAll(async () => {
  engine = await provideDockerEngine();
  process.env.DOCKER_HOST = engine.dockerHost;
  timings.engineStartMs = engine.startMs;
  timings.cachedDataRoot = engine.cachedDataRoot ? 1 : 0;
  timings.baseImageMs = (await ensureOfflineBaseImage(engine.dockerHost)).ms;
}, 600_000);

afterAll(async () => {
  for (const swarm of swarms) await swarm.stop();
  for (const origin of origins) await origin.stop();
  const leftover = engine ? await ourContainers().catch(() => []) : [];
  // On our own dockerd, `docker ps -a` must be empty, whatever the labels.
  const all =
    engine?.startedByUs === true
      ? (JSON.parse(
          (await engineRequest(engineEndpoint(process.env), 'GET', '/containers/json?all=1')).body,
        ) as unknown[])
      : [];
  const stopStartedMs = Date.now();
  await engine?.stop();
  timings.engineStopMs = Date.now() - stopStartedMs;
  process.stderr.write(`[container.int.test] timings (ms): ${JSON.stringify(timings)}\n`);
  expect(leftover).toEqual([]);
  expect(all).toEqual([]);
  expect(engine?.leftoverPids() ?? []).toEqual([]);
  expect(viewerPids.filter(alive)).toEqual([]);
}, 120_000);

describe('container origin', () => {
  it('serves the tiny profile to 2 viewers for 20 s, exposes both exporters, and leaves nothing behind', async () => {
    const startedMs = Date.now();
    const origin = await startOrigin(spec());
    origins.push(origin);
    timings.originReadyMs = Date.now() - startedMs;

    expect(origin.kind).toBe('container');
    expect(origin.streamUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/stream\.m3u8$/);
    expect(origin.versions.nginx).toMatch(/^1\.\d+/);
    expect(origin.versions.ffmpeg).toMatch(/^\d+\.\d+/);
    expect(origin.status().healthy).toBe(true);
    const [id] = await ourContainers();
    expect(id).toBeDefined();

    // 2 viewers for 20 s through the real swarm (ffmpeg -c copy -f null -, trace log parsed).
    const swarm = await startSwarm({
      url: origin.streamUrl,
      spec: swarmSchema.parse({ clients: 2, rampRate: 4, duration: `${VIEW_SECONDS}s`, metricsPort: 0 }),
    });
    swarms.push(swarm);
    swarm.on('clientStarted', (event) => viewerPids.push(event.pid));
    const snapshot = await swarm.done;
    expect(snapshot.clientsStarted).toBe(2);
    expect(snapshot.restarts).toBe(0);
    // tiny = 2 s segments: 20 s of live play is ~10 new segments per viewer plus the ones it starts behind.
    expect(snapshot.requests.segment.ok).toBeGreaterThanOrEqual(12);
    expect(snapshot.requests.segment.failed).toBe(0);
    expect(snapshot.requests.segment.bytes).toBeGreaterThan(0);
    expect(snapshot.requests.manifest.ok).toBeGreaterThanOrEqual(4);
    expect(viewerPids).toHaveLength(2);
    expect(viewerPids.filter(alive)).toEqual([]);

    const nginxMetrics = await getText(origin.exporters.nginx as string);
    expect(nginxMetrics.status).toBe(200);
    expect(findSamples(nginxMetrics.body, 'nginx_up')).toEqual([1]);
    const handled = findSamples(nginxMetrics.body, 'nginx_http_requests_total');
    expect(handled[0]).toBeGreaterThan(10);

    const nodeMetrics = await getText(origin.exporters.node as string);
    expect(nodeMetrics.status).toBe(200);
    const loBytes = findSamples(nodeMetrics.body, 'node_network_receive_bytes_total{device="lo"}');
    expect(loBytes.length).toBe(1);
    expect(loBytes[0]).toBeGreaterThan(0);

    // nginx's JSON access log reaches this host (bind mount) and shows the segments served.
    expect(origin.accessLog).toBeDefined();
    const accessLines = readFileSync(origin.accessLog as string, 'utf8')
      .trim()
      .split('\n');
    const segmentRequests = accessLines
      .map((line) => JSON.parse(line) as { uri: string; status: number; cmcd_session: string })
      .filter((entry) => entry.uri.endsWith('.ts'));
    expect(segmentRequests.length).toBeGreaterThanOrEqual(12);
    expect(segmentRequests.every((entry) => entry.status === 200 || entry.status === 206)).toBe(true);
    // Each viewer's CMCD session id is logged (client correlation): two viewers, two sids.
    expect(new Set(segmentRequests.map((entry) => entry.cmcd_session)).size).toBe(2);
    expect(segmentRequests.every((entry) => /^sid="[^"]+-[01]"$/.test(entry.cmcd_session))).toBe(true);

    expect(origin.status().healthy).toBe(true);

    const stopStartedMs = Date.now();
    await origin.stop();
    timings.originStopMs = Date.now() - stopStartedMs;
    await origin.stop(); // idempotent
    expect(await ourContainers()).toEqual([]);
    const inspect = await engineRequest(engineEndpoint(process.env), 'GET', `/containers/${id}/json`);
    expect(inspect.status).toBe(404);
  });

  it('status() notices the container dying', async () => {
    const origin = await startOrigin(spec());
    origins.push(origin);
    const [id] = await ourContainers();
    expect(id).toBeDefined();
    const kill = await engineRequest(
      engineEndpoint(process.env),
      'POST',
      `/containers/${id}/kill?signal=KILL`,
    );
    expect(kill.status).toBe(204);
    for (let attempt = 0; attempt < 100 && origin.status().healthy; attempt++) await sleep(100);
    const status = origin.status();
    expect(status.healthy).toBe(false);
    expect(status.processes[0]?.running).toBe(false);
    expect(status.processes[0]?.exitCode).toBe(137);
    expect(status.problems[0]).toMatch(/exited with code 137/);
    await origin.stop();
    expect(await ourContainers()).toEqual([]);
  });

  it('a start that does not become ready removes its container and says what it waited for', async () => {
    await expect(startOrigin(spec({ readyTimeout: '3s', minSegments: 100 }))).rejects.toThrow(
      /not ready after 3 s[\s\S]*playlist/,
    );
    expect(await ourContainers()).toEqual([]);
  });

  it('an aborted start removes its container', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('test interrupts the start')), 500);
    await expect(startOrigin(spec(), { signal: controller.signal })).rejects.toThrow(/aborted/);
    expect(await ourContainers()).toEqual([]);
  });

  it('if Node is SIGKILLed, the watchdog removes the container', async () => {
    const script = fileURLToPath(new URL('./test/start-and-die.ts', import.meta.url));
    const owner = spawn(process.execPath, ['--import', 'tsx', script], {
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    owner.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    owner.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    try {
      for (
        let waited = 0;
        !stdout.includes('\n') && owner.exitCode === null && waited < 180_000;
        waited += 200
      ) {
        await sleep(200);
      }
      expect(stdout, `start-and-die printed nothing; stderr:\n${stderr.slice(-2000)}`).toContain('\n');
      const { ids } = JSON.parse(stdout.split('\n')[0] as string) as { ids: string[] };
      expect(ids).toHaveLength(1);
      owner.kill('SIGKILL');
      // The watchdog waits its grace period (2 s), then runs `docker rm -f -v`.
      for (let attempt = 0; attempt < 150 && (await ourContainers()).length > 0; attempt++) await sleep(200);
      expect(await ourContainers()).toEqual([]);
    } finally {
      if (owner.exitCode === null) owner.kill('SIGKILL');
    }
  }, 240_000);
});
