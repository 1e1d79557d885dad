import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originSchema, parseWith } from '../../config/index.js';
import { findFreePort } from '../../system/index.js';
import { alive, groupMembers, listeningPorts, waitUntil } from '../../system/test/processes.js';
import { findSamples, playlistSegments, type RunningOrigin, startOrigin } from '../index.js';
import type { NginxAccessLogEntry } from './config.js';

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await request(url, { headers });
  const body = Buffer.from(await response.body.arrayBuffer());
  return { status: response.statusCode, headers: response.headers, body };
}

describe('nginx origin (low-latency profile, with exporters)', () => {
  let origin: RunningOrigin;
  let pids: number[] = [];
  let ports: number[] = [];

  beforeAll(async () => {
    origin = await startOrigin(
      parseWith(originSchema, { kind: 'nginx', port: 0, profile: 'low-latency' }, 'test'),
    );
    pids = origin.status().processes.map((process) => process.pid as number);
    ports = Object.values(origin.ports ?? {});
  });
  afterAll(async () => {
    await origin?.stop();
  });

  it('starts generator, nginx and both exporters on distinct loopback ports', () => {
    expect(origin.status().processes.map((process) => process.name)).toEqual([
      'generator',
      'nginx',
      'nginx-exporter',
      'node-exporter',
    ]);
    expect(new Set(ports).size).toBe(3);
    expect(origin.streamUrl).toBe(`http://127.0.0.1:${origin.ports?.http}/stream.m3u8`);
    expect(origin.exporters.nginx).toBe(`http://127.0.0.1:${origin.ports?.nginxExporter}/metrics`);
    expect(origin.exporters.node).toBe(`http://127.0.0.1:${origin.ports?.nodeExporter}/metrics`);
    expect(origin.versions.nginx).toMatch(/^1\.\d+\.\d+/);
    expect(origin.versions.ffmpeg).toMatch(/^\d+\.\d+/);
    expect(origin.status().healthy).toBe(true);
  });

  it('serves the playlist with its MIME type and a 1 s cache lifetime', async () => {
    const playlist = await get(origin.streamUrl);
    expect(playlist.status).toBe(200);
    expect(playlist.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(playlist.headers['cache-control']).toBe('public, max-age=1');
    expect(playlist.body.toString()).toContain('#EXT-X-TARGETDURATION:1');
  });

  it('serves segments as video/mp2t, immutable, and answers ffmpeg-style ranges with 206', async () => {
    const playlist = await get(origin.streamUrl);
    const segmentUrl = new URL(playlistSegments(playlist.body.toString())[0] as string, origin.streamUrl)
      .href;
    const segment = await get(segmentUrl);
    expect(segment.status).toBe(200);
    expect(segment.headers['content-type']).toBe('video/mp2t');
    expect(segment.headers['cache-control']).toBe('public, max-age=86400, immutable');
    expect(segment.body[0]).toBe(0x47);
    const ranged = await get(segmentUrl, { range: 'bytes=0-' });
    expect(ranged.status).toBe(206);
    expect(ranged.body.length).toBe(segment.body.length);
  });

  it('answers /health, loopback-only /nginx_status and the JSON listing', async () => {
    const base = new URL(origin.streamUrl).origin;
    expect((await get(`${base}/health`)).status).toBe(200);
    const status = await get(`${base}/nginx_status`);
    expect(status.status).toBe(200);
    expect(status.body.toString()).toMatch(/Active connections: \d+/);
    const listing = await get(`${base}/files/json/`);
    expect(listing.status).toBe(200);
    const files = JSON.parse(listing.body.toString()) as Array<{ name: string; type: string; size: number }>;
    expect(files.some((file) => /^seg_\d+\.ts$/.test(file.name) && file.size > 0)).toBe(true);
  });

  it('exporters show nginx_up 1 and loopback traffic', async () => {
    const nginxMetrics = (await get(origin.exporters.nginx as string)).body.toString();
    expect(findSamples(nginxMetrics, 'nginx_up')).toEqual([1]);
    expect(findSamples(nginxMetrics, 'nginx_http_requests_total')[0]).toBeGreaterThan(0);
    const nodeMetrics = (await get(origin.exporters.node as string)).body.toString();
    const loopbackBytes = findSamples(nodeMetrics, 'node_network_receive_bytes_total{device="lo"}');
    expect(loopbackBytes).toHaveLength(1);
    expect(loopbackBytes[0]).toBeGreaterThan(0);
    expect(findSamples(nodeMetrics, 'node_cpu_seconds_total{mode="idle"}').length).toBeGreaterThan(0);
  });

  it('writes one JSON object per request to the access log', async () => {
    await get(origin.streamUrl, { 'user-agent': 'hls-swarm-test/1' });
    const accessLog = origin.accessLog as string;
    expect(origin.logs.access).toBe(accessLog);
    expect(await waitUntil(() => readFileSync(accessLog, 'utf8').includes('hls-swarm-test/1'), 3000)).toBe(
      true,
    );
    const entries = readFileSync(accessLog, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as NginxAccessLogEntry);
    const mine = entries.find((entry) => entry.user_agent === 'hls-swarm-test/1');
    expect(mine).toMatchObject({ method: 'GET', uri: '/stream.m3u8', status: 200, protocol: 'HTTP/1.1' });
    expect(mine?.body_bytes_sent).toBeGreaterThan(0);
    expect(mine?.bytes_sent).toBeGreaterThan(mine?.body_bytes_sent as number);
    expect(typeof mine?.request_time).toBe('number');
    expect(mine?.msec).toBeGreaterThan(1.7e9);
    expect(Number.isNaN(Date.parse(mine?.time as string))).toBe(false);
    expect(typeof mine?.connection).toBe('number');
  });

  it('stop() leaves no process (workers included), no listener and no temporary folder', async () => {
    const workspace = dirname(dirname(origin.logs.generator as string));
    const members = groupMembers(pids);
    // nginx's master and its worker share a process group.
    expect(members.length).toBeGreaterThan(pids.length);
    await origin.stop();
    expect(await waitUntil(() => members.every((pid) => !alive(pid)), 5000)).toBe(true);
    expect(groupMembers(pids)).toEqual([]);
    expect(await listeningPorts(ports)).toEqual([]);
    expect(existsSync(workspace)).toBe(false);
    expect(origin.status().problems).toEqual([]);
  });
});

describe('nginx origin ports from the seed environment variables', () => {
  it('MICROVM_HTTP_PORT and MICROVM_METRICS_PORT override the defaults', async () => {
    const [httpPort, metricsPort] = [await findFreePort(), await findFreePort()];
    const env = {
      ...process.env,
      MICROVM_HTTP_PORT: String(httpPort),
      MICROVM_METRICS_PORT: String(metricsPort),
    };
    // nodeExporterPort has no variable in the seed: 0 keeps this test off the shared default 17100.
    const origin = await startOrigin(
      parseWith(
        originSchema,
        { kind: 'nginx', profile: 'tiny', minSegments: 1, nodeExporterPort: 0 },
        'test',
      ),
      { env },
    );
    try {
      expect(origin.ports?.http).toBe(httpPort);
      expect(origin.ports?.nginxExporter).toBe(metricsPort);
      expect(origin.streamUrl).toBe(`http://127.0.0.1:${httpPort}/stream.m3u8`);
      expect(origin.exporters.nginx).toBe(`http://127.0.0.1:${metricsPort}/metrics`);
    } finally {
      await origin.stop();
    }
    expect(await listeningPorts([httpPort, metricsPort])).toEqual([]);
  });

  it('exporters: false starts nginx alone; the access log is rotated past its size limit', async () => {
    const origin = await startOrigin(
      parseWith(
        originSchema,
        { kind: 'nginx', port: 0, profile: 'tiny', minSegments: 1, exporters: false },
        'test',
      ),
      { env: { ...process.env, HLS_SWARM_ACCESS_LOG_MAX_BYTES: '4096' } },
    );
    try {
      expect(origin.exporters).toEqual({});
      expect(origin.status().processes.map((entry) => entry.name)).toEqual(['generator', 'nginx']);
      expect(Object.keys(origin.ports ?? {})).toEqual(['http']);
      const accessLog = origin.accessLog as string;
      // ~400 bytes per line: 20 requests pass the 4 KiB limit.
      for (let index = 0; index < 20; index++)
        await get(origin.streamUrl, { 'user-agent': 'before-rotation' });
      expect(await waitUntil(() => existsSync(`${accessLog}.1`), 6000)).toBe(true);
      expect(readFileSync(`${accessLog}.1`, 'utf8')).toContain('before-rotation');
      // nginx reopened the path: new requests land in the new file.
      expect(
        await waitUntil(async () => {
          await get(origin.streamUrl, { 'user-agent': 'after-rotation' });
          return existsSync(accessLog) && readFileSync(accessLog, 'utf8').includes('after-rotation');
        }, 5000),
      ).toBe(true);
      expect(origin.status().healthy).toBe(true);
    } finally {
      await origin.stop();
    }
    expect(await listeningPorts([origin.ports?.http as number])).toEqual([]);
  });
});
