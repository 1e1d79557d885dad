import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseAccessLog } from '../../metrics/index.js';
import { readReportFile } from '../../report/index.js';
import type { OwnedProcess } from '../../system/index.js';
import { cliInNamespace, ip, originInNamespace, pidsIn } from '../../system/test/netns.js';
import { waitUntil } from '../../system/test/processes.js';

/*
 * Rebuffering where the truth is known: origin and viewer in one network namespace made by
 * this test, talking over its own loopback, shaped with tbf to less than the stream needs.
 * (tbf, not netem: this kernel has no sch_netem.) A player that gets media at a fraction r of
 * real time stalls for about 1 − r of the time once its start-up buffer is spent.
 */

const NS = `hs-qoe-${process.pid % 100_000}`;
const LINK_KBIT = 150;

let origin: OwnedProcess | undefined;
let accessLog = '';
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hls-swarm-qoe-throttled-'));
  ip('netns', 'add', NS);
  // An Ethernet-sized MTU so tbf can shape with a small burst (the loopback default is 64 KiB).
  ip('-n', NS, 'link', 'set', 'lo', 'mtu', '1500');
  ip('-n', NS, 'link', 'set', 'lo', 'up');
  execFileSync('ip', [
    'netns',
    'exec',
    NS,
    'tc',
    'qdisc',
    'add',
    'dev',
    'lo',
    'root',
    'tbf',
    'rate',
    `${LINK_KBIT}kbit`,
    'burst',
    '4kb',
    'limit',
    '16kb',
  ]);
  ({ origin, accessLog } = await originInNamespace(NS, [
    ...['--kind', 'nginx', '--profile', 'tiny', '--port', '8080', '--no-exporters'],
  ]));
}, 120_000);

afterAll(async () => {
  await origin?.stop(10_000);
  await waitUntil(() => pidsIn(NS).length === 0, 10_000);
  expect(pidsIn(NS)).toEqual([]);
  ip('netns', 'del', NS);
  await rm(dir, { recursive: true, force: true });
});

describe('rebuffering on a throttled link', () => {
  test(`a viewer behind ${LINK_KBIT} kbit/s of a ~280 kbit/s stream rebuffers, as much as the link is short`, async () => {
    const reportPath = join(dir, 'throttled.json');
    const run = cliInNamespace(
      NS,
      [
        'run',
        'http://127.0.0.1:8080/stream.m3u8',
        '--clients',
        '1',
        '--duration',
        '40s',
        '--report',
        reportPath,
      ],
      90_000,
    );
    let stderr = '';
    run.subprocess.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exit = await run.exited;
    expect(exit.exitCode, stderr).toBe(0);
    const report = await readReportFile(reportPath);
    const qoe = report.swarm?.qoe;
    expect(qoe).toBeDefined();
    // The stream's real bitrate, from what nginx sent for its segments and their media length.
    const segments = parseAccessLog(await readFile(accessLog, 'utf8'), Date.now()).filter(
      // ffmpeg asks with 'Range: bytes=0-', so nginx answers 206.
      (entry) => entry.kind === 'segment' && (entry.status === 200 || entry.status === 206),
    );
    expect(segments.length).toBeGreaterThan(3);
    const bytes = segments.reduce((sum, entry) => sum + (entry.bodyBytesSent ?? 0), 0);
    const streamKbit = (bytes * 8) / 1000 / (segments.length * 2);
    const share = LINK_KBIT / streamKbit;
    expect(share).toBeLessThan(0.8);
    // Rebuffering: several stalls, and a ratio near 1 − share (the start-up buffer and the
    // IP/TCP overhead on the link make it differ by a little).
    expect(qoe?.rebufferEvents).toBeGreaterThanOrEqual(2);
    expect(qoe?.rebufferRatio).toBeGreaterThan((1 - share) * 0.5);
    expect(qoe?.rebufferRatio).toBeLessThan(Math.min(1, (1 - share) * 1.5));
    expect(qoe?.videoStartFailures).toBe(0);
    expect(report.swarm?.distributions.variantBitrate?.p50).toBeGreaterThan(0);
  }, 120_000);
});
