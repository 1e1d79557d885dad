import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OriginStartError } from '../errors.js';
import {
  type CheckResult,
  findSamples,
  masterVariants,
  parseMetricSelector,
  playlistSegments,
  type WaitStrategy,
  waitForAll,
} from './index.js';

// Recorded by fixtures/record/origin-playlists.ts and fixtures/record/exporter-scrapes.sh.
const fixture = (path: string) => readFileSync(new URL(`../../../fixtures/${path}`, import.meta.url), 'utf8');

describe('playlist parsing', () => {
  it('lists the variants of a master playlist, in order', () => {
    expect(masterVariants(fixture('origin/abr-master.m3u8'))).toEqual([
      'stream_480p.m3u8',
      'stream_360p.m3u8',
      'stream_240p.m3u8',
    ]);
    expect(masterVariants(fixture('origin/low-latency-media.m3u8'))).toEqual([]);
  });

  it('lists the segments of a media playlist', () => {
    const segments = playlistSegments(fixture('origin/abr-media.m3u8'));
    expect(segments.length).toBeGreaterThanOrEqual(3);
    for (const segment of segments) expect(segment).toMatch(/^stream_480p_\d{5}\.ts$/);
    expect(playlistSegments(fixture('origin/low-latency-media.m3u8'))).toEqual([
      'seg_00000.ts',
      'seg_00001.ts',
      'seg_00002.ts',
    ]);
    expect(playlistSegments(fixture('origin/abr-master.m3u8'))).toEqual([]);
  });
});

describe('metric selectors', () => {
  it('finds a sample by name and labels in a real exposition', () => {
    const node = fixture('exporters/node-exporter-1.prom');
    expect(findSamples(node, 'node_network_receive_bytes_total{device="lo"}')).toEqual([2.099931e6]);
    expect(findSamples(node, 'node_network_receive_bytes_total').length).toBeGreaterThan(1);
    expect(findSamples(node, 'node_network_receive_bytes_total{device="nope"}')).toEqual([]);
    // A name that is a prefix of another metric does not match it.
    expect(findSamples(node, 'node_network_receive_bytes')).toEqual([]);
    expect(findSamples(fixture('exporters/nginx-exporter-1.prom'), 'nginx_up')).toEqual([1]);
  });

  it('parses selectors and rejects nonsense', () => {
    expect(parseMetricSelector('a_b{x="1", y="two"}')).toEqual({ name: 'a_b', labels: { x: '1', y: 'two' } });
    expect(() => parseMetricSelector('not a metric')).toThrow(/Not a metric selector/);
  });
});

/** A strategy scripted by a list of results (the last one repeats). */
function scripted(description: string, results: CheckResult[], logFile?: string): WaitStrategy {
  let attempt = 0;
  const strategy: WaitStrategy = {
    description,
    async check() {
      const result = results[Math.min(attempt, results.length - 1)] as CheckResult;
      attempt++;
      return result;
    },
    withLog(path) {
      if (path) strategy.logFile = path;
      return strategy;
    },
  };
  return strategy.withLog(logFile);
}

describe('waitForAll', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hls-swarm-wait-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves once every strategy is ready', async () => {
    const details = await waitForAll(
      [
        scripted('a', [
          { ready: false, reason: 'not yet' },
          { ready: true, detail: 'a ok' },
        ]),
        scripted('b', [{ ready: true }]),
      ],
      { timeoutMs: 5000, pollIntervalMs: 10 },
    );
    expect(details).toEqual(['a ok', 'b']);
  });

  it('names what did not come up, its last reason and the tail of its log', async () => {
    const log = join(dir, 'server.log');
    writeFileSync(log, `${Array.from({ length: 30 }, (_, index) => `line ${index}`).join('\n')}\n`);
    const error = await waitForAll(
      [
        scripted('playlist http://x/stream.m3u8', [{ ready: false, reason: 'HTTP 404' }], log),
        scripted('health', [{ ready: true }]),
      ],
      { timeoutMs: 300, pollIntervalMs: 20, kind: 'nginx', tailLines: 5 },
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OriginStartError);
    const message = (error as Error).message;
    expect(message).toContain('nginx origin: not ready after 0.3 s');
    expect(message).toContain('playlist http://x/stream.m3u8: HTTP 404');
    expect(message).not.toContain('- health');
    expect(message).toContain(`--- last lines of ${log} ---\nline 25\nline 26\nline 27\nline 28\nline 29`);
  });

  it('fails at once when a watched process dies', async () => {
    const log = join(dir, 'generator.log');
    writeFileSync(log, 'Unknown encoder libx265\n');
    const started = Date.now();
    const error = await waitForAll([scripted('playlist', [{ ready: false, reason: 'HTTP 404' }])], {
      timeoutMs: 10_000,
      pollIntervalMs: 20,
      kind: 'python',
      watch: [{ name: 'generator', process: { running: false, exit: { exitCode: 1 } }, logFile: log }],
    }).catch((caught: unknown) => caught);
    expect(Date.now() - started).toBeLessThan(5000);
    expect((error as Error).message).toContain(
      'python origin: generator exited with code 1 before the origin was ready',
    );
    expect((error as Error).message).toContain('Unknown encoder libx265');
  });

  it('stops waiting when the caller aborts', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 50);
    const error = await waitForAll([scripted('never', [{ ready: false, reason: 'no' }])], {
      timeoutMs: 10_000,
      pollIntervalMs: 10,
      signal: abort.signal,
    }).catch((caught: unknown) => caught);
    expect((error as Error).message).toContain('start was aborted');
  });
});
