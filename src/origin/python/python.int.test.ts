import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originSchema, parseWith } from '../../config/index.js';
import { alive, groupMembers, listeningPorts, waitUntil } from '../../system/test/processes.js';
import { masterVariants, playlistSegments, type RunningOrigin, startOrigin } from '../index.js';

async function get(url: string) {
  const response = await request(url);
  const body = Buffer.from(await response.body.arrayBuffer());
  return { status: response.statusCode, headers: response.headers, body };
}

// The abr profile on python: exercises the master playlist, -var_stream_map and MIME fixes.
describe('python origin (abr profile)', () => {
  let origin: RunningOrigin;
  let pids: number[] = [];

  beforeAll(async () => {
    origin = await startOrigin(parseWith(originSchema, { kind: 'python', port: 0, profile: 'abr' }, 'test'));
    pids = origin.status().processes.map((process) => process.pid as number);
  });
  afterAll(async () => {
    await origin?.stop();
  });

  it('binds loopback on a free port and reports versions and logs', () => {
    const url = new URL(origin.streamUrl);
    expect(url.hostname).toBe('127.0.0.1');
    expect(Number(url.port)).toBe(origin.ports?.http);
    expect(url.pathname).toBe('/master.m3u8');
    expect(origin.versions.ffmpeg).toMatch(/^\d+\.\d+/);
    expect(origin.versions.python).toMatch(/^3\./);
    expect(Object.keys(origin.logs).sort()).toEqual(['generator', 'http.server']);
    for (const log of Object.values(origin.logs)) expect(existsSync(log)).toBe(true);
    expect(origin.status()).toMatchObject({ healthy: true, problems: [] });
    expect(pids).toHaveLength(2);
  });

  it('serves the master and variant playlists as application/vnd.apple.mpegurl with a short cache lifetime', async () => {
    const master = await get(origin.streamUrl);
    expect(master.status).toBe(200);
    expect(master.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(master.headers['cache-control']).toMatch(/max-age=1\b/);
    const variants = masterVariants(master.body.toString());
    expect(variants.length).toBeGreaterThanOrEqual(3);
    const media = await get(new URL(variants[0] as string, origin.streamUrl).href);
    expect(media.status).toBe(200);
    expect(playlistSegments(media.body.toString()).length).toBeGreaterThanOrEqual(3);
  });

  it("logs each request with the viewer's CMCD-Session header (client correlation)", async () => {
    const answer = await request(origin.streamUrl, { headers: { 'CMCD-Session': 'sid="run-7"' } });
    await answer.body.dump();
    const logged = () => readFileSync(origin.logs['http.server'] as string, 'utf8');
    expect(
      await waitUntil(() => logged().includes('"GET /master.m3u8 HTTP/1.1" 200 - sid="run-7"'), 5000),
    ).toBe(true);
  });

  it('serves segments as video/mp2t, immutable, starting with an MPEG-TS sync byte', async () => {
    const master = await get(origin.streamUrl);
    const mediaUrl = new URL(masterVariants(master.body.toString())[1] as string, origin.streamUrl).href;
    const media = await get(mediaUrl);
    const segment = await get(new URL(playlistSegments(media.body.toString())[0] as string, mediaUrl).href);
    expect(segment.status).toBe(200);
    expect(segment.headers['content-type']).toBe('video/mp2t');
    expect(segment.headers['cache-control']).toMatch(/immutable/);
    expect(segment.body.length).toBeGreaterThan(1000);
    expect(segment.body[0]).toBe(0x47);
  });

  it('a generator that dies mid-run shows in status()', async () => {
    const generator = origin.status().processes.find((process) => process.name === 'generator');
    expect(generator?.running).toBe(true);
    process.kill(generator?.pid as number, 'SIGKILL');
    expect(await waitUntil(() => !origin.status().healthy, 5000)).toBe(true);
    const status = origin.status();
    expect(status.problems.join('\n')).toMatch(/generator was killed by SIGKILL/);
    expect(status.processes.find((process) => process.name === 'generator')).toMatchObject({
      running: false,
      signal: 'SIGKILL',
    });
    expect(status.processes.find((process) => process.name === 'http.server')?.running).toBe(true);
  });

  it('stop() leaves no process, no listener and no temporary folder', async () => {
    const workspace = dirname(dirname(origin.logs.generator as string));
    const generatorLog = readFileSync(origin.logs.generator as string, 'utf8');
    expect(generatorLog).toMatch(/Opening '.*stream_\w+_\d+\.ts\.tmp' for writing/);
    await origin.stop();
    await origin.stop(); // idempotent
    expect(pids.filter(alive)).toEqual([]);
    expect(groupMembers(pids)).toEqual([]);
    expect(await listeningPorts([origin.ports?.http as number])).toEqual([]);
    expect(existsSync(workspace)).toBe(false);
  });
});
