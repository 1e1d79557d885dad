import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { swarmSchema } from '../../config/index.js';
import { findFreePort, type OwnedProcess, spawnOwned } from '../../system/index.js';
import { alive } from '../../system/test/processes.js';
import { TOOL_VERSION } from '../../version.js';
import { type ClientOutputEvent, ClientOutputParser } from '../parse/index.js';
import type { RequestRecord } from '../types.js';
import { buildClientCommand, detectFfmpeg, selectVariant, VariantProbeError } from './index.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('ffmpeg viewers built by buildClientCommand, read by ClientOutputParser (real processes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hls-swarm-a1-viewers-'));
  const owned: OwnedProcess[] = [];
  let url = '';

  beforeAll(async () => {
    // Live HLS that keeps every segment file on disk (no delete_segments) so sizes can be compared.
    owned.push(
      spawnOwned(
        'ffmpeg',
        [
          ...['-hide_banner', '-nostdin', '-loglevel', 'error'],
          ...['-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=15'],
          ...['-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
          ...['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '30', '-b:v', '200k'],
          ...['-c:a', 'aac', '-b:a', '48k', '-f', 'hls', '-hls_time', '2', '-hls_list_size', '6'],
          ...['-hls_flags', 'omit_endlist+temp_file', '-hls_segment_filename', join(dir, 'seg%05d.ts')],
          join(dir, 'stream.m3u8'),
        ],
        { stdio: 'ignore' },
      ),
    );
    const port = await findFreePort();
    owned.push(
      spawnOwned('python3', ['-m', 'http.server', '--bind', '127.0.0.1', String(port), '--directory', dir], {
        stdio: 'ignore',
      }),
    );
    const playlist = join(dir, 'stream.m3u8');
    await waitFor(
      () => existsSync(playlist) && (readFileSync(playlist, 'utf8').match(/#EXTINF/g)?.length ?? 0) >= 3,
      40_000,
      'three segments in the playlist',
    );
    url = `http://127.0.0.1:${port}/stream.m3u8`;
  }, 60_000);

  afterAll(async () => {
    await Promise.all(owned.map((process) => process.stop(2000)));
    rmSync(dir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('detects the installed ffmpeg', async () => {
    const capabilities = await detectFfmpeg();
    expect(capabilities.version).toMatch(/^\d+\.\d+/);
    expect(capabilities.path).toMatch(/ffmpeg$/);
    expect(await detectFfmpeg()).toBe(capabilities); // cached per path
    await expect(detectFfmpeg('hls-swarm-no-such-ffmpeg')).rejects.toThrow(/apt-get install -y ffmpeg/);
  });

  it('two viewers for ~15 s: manifests and segments with status 200 and the files’ exact sizes', async () => {
    const capabilities = await detectFfmpeg();
    const spec = swarmSchema.parse({ clients: 2 });
    const records: RequestRecord[] = [];
    const others: ClientOutputEvent[] = [];
    const viewers = [0, 1].map((clientId) => {
      const command = buildClientCommand({ url, clientId, spec, capabilities, toolVersion: TOOL_VERSION });
      const parser = new ClientOutputParser(clientId, (event) => {
        if (event.type === 'request') records.push(event.record);
        else others.push(event);
      });
      const process = spawnOwned(command.file, command.args, {
        stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
        buffer: false,
        graceMs: 3000,
      });
      owned.push(process);
      process.subprocess.stderr?.on('data', (chunk: Buffer) => parser.logChunk(chunk, Date.now()));
      (process.subprocess.stdio[3] as Readable | undefined)?.on('data', (chunk: Buffer) =>
        parser.progressChunk(chunk, Date.now()),
      );
      return { process, parser };
    });

    await sleep(15_000);
    expect(viewers.every((viewer) => viewer.process.running)).toBe(true);
    const exits = await Promise.all(viewers.map((viewer) => viewer.process.stop(3000)));
    for (const viewer of viewers) viewer.parser.end(Date.now());

    // ffmpeg ends cleanly on SIGTERM within the grace period.
    expect(exits.every((exit) => exit.signal === undefined || exit.signal === 'SIGTERM')).toBe(true);
    for (const clientId of [0, 1]) {
      const mine = records.filter((record) => record.clientId === clientId);
      const manifests = mine.filter((record) => record.kind === 'manifest');
      const segments = mine.filter((record) => record.kind === 'segment');
      expect(manifests.length, `client ${clientId} manifests`).toBeGreaterThanOrEqual(3);
      expect(segments.length, `client ${clientId} segments`).toBeGreaterThanOrEqual(4);
      for (const record of [...manifests, ...segments]) {
        expect(record).toMatchObject({ ok: true, status: 200 });
        expect(record.url.startsWith(`${url.slice(0, url.lastIndexOf('/'))}/`)).toBe(true);
        expect(record.ttfbSeconds).toBeGreaterThanOrEqual(0);
        // The one the stop cut after its answer has no duration; every other one has.
        if (record.cutByStop) expect(record.durationSeconds).toBeUndefined();
        else expect(record.durationSeconds).toBeGreaterThanOrEqual(record.ttfbSeconds!);
      }
      expect(mine.filter((record) => record.cutByStop).length).toBeLessThanOrEqual(1);
      for (const segment of segments) {
        const file = join(dir, basename(new URL(segment.url).pathname));
        expect(segment.bytes, basename(file)).toBe(statSync(file).size);
      }
      expect(manifests.every((record) => record.bytes! > 0)).toBe(true);
    }
    expect(others.filter((event) => event.type === 'progress').length).toBeGreaterThanOrEqual(4);
    expect(others.filter((event) => event.type === 'http_error' || event.type === 'fatal')).toHaveLength(0);
    expect(viewers.every((viewer) => viewer.parser.droppedLines === 0)).toBe(true);

    // Nothing left behind: every viewer's process is gone.
    await waitFor(() => viewers.every((viewer) => !alive(viewer.process.pid)), 5000, 'viewers to exit');
  }, 90_000);

  it('selectVariant: probes with ffprobe, falls back or fails by policy', async () => {
    const highest = await selectVariant(url, 'highest', 'fail');
    expect(highest.maps).toEqual(['0:p:0']);
    expect(highest.chosen?.program).toBe(0);
    expect(await selectVariant(url, 'all', 'fail')).toMatchObject({ maps: ['0'] });
    const dead = `http://127.0.0.1:${await findFreePort()}/stream.m3u8`;
    const fallback = await selectVariant(dead, 'lowest', 'fallback', 'ffprobe', 10_000);
    expect(fallback.maps).toEqual(['0:p:0']);
    expect(fallback.note).toMatch(/probe failed/);
    await expect(selectVariant(dead, 'lowest', 'fail', 'ffprobe', 10_000)).rejects.toBeInstanceOf(
      VariantProbeError,
    );
  }, 60_000);

  it('leaves no process behind', async () => {
    await Promise.all(owned.map((process) => process.stop(2000)));
    await waitFor(() => owned.every((process) => !alive(process.pid)), 5000, 'every owned process to exit');
    expect(owned.filter((process) => alive(process.pid))).toHaveLength(0);
  }, 20_000);
});
