// Test helper run inside a network namespace (nsenter --net=…) whose dockerd has its default
// bridge: starts the container origin with network 'auto' and the seed's default ports (free in a
// fresh namespace), plays it with one ffmpeg viewer, reads both exporters, stops it, and prints one
// JSON line with what it saw. The parent test asserts on that line.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { containerOriginSchema } from '../../../config/index.js';
import { spawnOwned } from '../../../system/index.js';
import { startOrigin } from '../../registry.js';
import { findSamples, playlistSegments } from '../../wait/index.js';
import { ORIGIN_CONTAINER_LABEL } from '../driver.js';
import { engineContainersWithLabel, engineEndpoint, engineRequest } from '../engine.js';

async function getText(url: string): Promise<{ status: number; body: string }> {
  const response = await request(url, { headersTimeout: 5000, bodyTimeout: 5000 });
  return { status: response.statusCode, body: await response.body.text() };
}

const endpoint = engineEndpoint(process.env);
const origin = await startOrigin(
  containerOriginSchema.parse({ kind: 'container', profile: 'tiny', network: 'auto' }),
);
try {
  const [id] = await engineContainersWithLabel(endpoint, ORIGIN_CONTAINER_LABEL);
  const inspect = JSON.parse((await engineRequest(endpoint, 'GET', `/containers/${id}/json`)).body) as {
    HostConfig: {
      NetworkMode: string;
      PortBindings: Record<string, Array<{ HostIp: string; HostPort: string }>>;
    };
  };
  const playlist = await getText(origin.streamUrl);
  const firstSegment = playlistSegments(playlist.body)[0] ?? '';
  const segment = await request(new URL(firstSegment, origin.streamUrl), { headersTimeout: 5000 });
  const segmentBytes = (await segment.body.arrayBuffer()).byteLength;

  const seen = new Set<string>();
  const viewer = spawnOwned(
    'ffmpeg',
    [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'repeat+level+verbose',
      '-i',
      origin.streamUrl,
      '-c',
      'copy',
      '-f',
      'null',
      '-',
    ],
    { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', buffer: false },
  );
  viewer.subprocess.stderr?.on('data', (chunk: Buffer) => {
    for (const match of chunk.toString().matchAll(/Opening '([^']+\.ts)' for reading/g))
      seen.add(match[1] as string);
  });
  await sleep(8000);
  const viewerRunning = viewer.running;
  await viewer.stop(2000);

  const nginxMetrics = await getText(origin.exporters.nginx as string);
  const nodeMetrics = await getText(origin.exporters.node as string);
  const containerLog = readFileSync(origin.logs.container as string, 'utf8');
  const result = {
    streamUrl: origin.streamUrl,
    exporters: origin.exporters,
    ports: origin.ports,
    networkMode: inspect.HostConfig.NetworkMode,
    portBindings: inspect.HostConfig.PortBindings,
    networkLine: /network: \S+/.exec(containerLog)?.[0],
    playlistStatus: playlist.status,
    segmentStatus: segment.statusCode,
    segmentBytes,
    viewerRunning,
    segmentsSeen: seen.size,
    nginxUp: findSamples(nginxMetrics.body, 'nginx_up'),
    loBytes: findSamples(nodeMetrics.body, 'node_network_receive_bytes_total{device="lo"}'),
    healthy: origin.status().healthy,
  };
  await origin.stop();
  const remaining = await engineContainersWithLabel(endpoint, ORIGIN_CONTAINER_LABEL);
  process.stdout.write(`${JSON.stringify({ ...result, remaining })}\n`);
} finally {
  await origin.stop();
}
process.exit(0);
