import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { ConfigError, originSchema, parseWith, swarmSchema } from '../../config/index.js';
import { type RunningOrigin, startOrigin } from '../../origin/index.js';
import { reportSchema } from '../../report/index.js';
import { detectFfmpeg, startSwarm } from '../../swarm/index.js';
import { startTaggedRun } from '../../system/test/tagged-run.js';

/*
 * `hls-swarm run … --report FILE` as a real process, signalled alone as a CI cancellation or
 * `timeout` would: the viewers stop, the report is written saying `interrupted`, and the
 * command exits with 128 + the signal's number.
 */
const main = fileURLToPath(new URL('../main.ts', import.meta.url));
let origin: RunningOrigin;
let folder: string;

beforeAll(async () => {
  origin = await startOrigin(parseWith(originSchema, { kind: 'python', profile: 'tiny', port: 0 }, 'origin'));
  folder = await mkdtemp(join(tmpdir(), 'hls-swarm-run-signal-'));
});
afterAll(async () => {
  await origin?.stop();
  if (folder) await rm(folder, { recursive: true, force: true });
});

/** `hls-swarm run <url> …args` (the origin's URL by default) in a tagged process of its own. */
function startRun(args: string[], url = origin.streamUrl) {
  return startTaggedRun(process.execPath, ['--import', 'tsx', main, 'run', url, ...args]);
}

/** Starts a loopback HTTP server for one test; it is closed when the test ends. */
async function serveForTest(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('hls-swarm run stopped by a signal', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s: an interrupted report, exit %i, no viewer left', async (signal, code) => {
    const reportFile = join(folder, `${signal}.json`);
    const run = startRun([
      ...['--clients', '2', '--ramp-rate', '2', '--duration', '2m', '--metrics', '0'],
      ...['--report', reportFile],
    ]);
    await run.waitForOutput(/clients 2\/2/, 60_000);
    process.kill(run.process.pid, signal);
    const end = await run.ended();
    expect(end).toEqual({ exitCode: code, signal: undefined, leftovers: [] });
    expect(run.output()).toContain(`hls-swarm run: ${signal}: stopping the run`);
    const report = reportSchema.parse(JSON.parse(await readFile(reportFile, 'utf8')));
    expect(report.verdict).toBe('interrupted');
    expect(report.reason).toBe(`interrupted: received ${signal}`);
    expect(report.swarm?.clientsStarted).toBe(2);
    expect(report.swarm?.requests.segment.total).toBeGreaterThan(0);
  });
});

describe('hls-swarm run --duration 0 (until Ctrl-C), as go-ffmpeg-hls-swarm -duration 0', () => {
  it('ends normally at SIGINT: JSON log lines, /ready and hls_swarm_info while it runs, exit 0', async () => {
    const run = startRun([
      ...['--clients', '2', '--ramp-rate', '2', '--duration', '0', '--metrics', '127.0.0.1:0'],
      ...[
        '--log-format',
        'json',
        '--skip-preflight',
        '--log-commands',
        '--user-agent',
        'migration-test/{id}',
      ],
    ]);
    await run.waitForOutput(/segments [1-9]\d* ok/, 60_000);
    const metricsUrl = /metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(run.output())?.[1] as string;
    expect(metricsUrl).toBeDefined();
    expect((await fetch(metricsUrl.replace(/metrics$/, 'ready'))).status).toBe(200);
    const scrape = await (await fetch(metricsUrl)).text();
    expect(scrape).toMatch(/^hls_swarm_info\{version="[^"]+",ffmpeg="[^"]+"\} 1$/m);
    expect(scrape).toMatch(/^process_cpu_user_seconds_total \d/m);
    process.kill(run.process.pid, 'SIGINT');
    const end = await run.ended();
    expect(end).toEqual({ exitCode: 0, signal: undefined, leftovers: [] });
    const output = run.output();
    expect(output).toContain('-user_agent migration-test/0');
    expect(output).toContain('-user_agent migration-test/1');
    expect(output).toContain('hls-swarm run summary');
    // Every line hls-swarm itself wrote to stderr is one JSON object.
    const logLines = output.split('\n').filter((line) => line.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(3);
    const messages = logLines.map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages.some((msg) => msg.startsWith('limits: not checked (--skip-preflight)'))).toBe(true);
    expect(messages.some((msg) => msg.includes('until Ctrl-C'))).toBe(true);
    expect(messages.some((msg) => msg.startsWith('SIGINT: stopping the run'))).toBe(true);
  });
});

describe('hls-swarm run --print-cmd, as go-ffmpeg-hls-swarm -print-cmd', () => {
  it('prints the ffmpeg command with the URL and exits 0, starting nothing', async () => {
    // A port nothing listens on: a run would fail its URL probe (connection refused) at once.
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const url = `http://127.0.0.1:${closedPort}/live/stream.m3u8`;
    const run = startRun(['--clients', '3', '--print-cmd', '--header', 'Authorization: Bearer s3cret'], url);
    const end = await run.ended();
    expect(end).toEqual({ exitCode: 0, signal: undefined, leftovers: [] });
    const output = run.output();
    const command = output.trim().split('\n').at(-1) ?? '';
    expect(command).toMatch(/^\/\S*ffmpeg -hide_banner /);
    expect(command).toContain(` -i ${url} `);
    expect(output).toContain('3 viewers (ids 0, 1, 2)');
    expect(output).not.toContain('s3cret');
    expect(output).not.toMatch(/refused|metrics at|summary/);
  });
});

describe('hls-swarm run --seg-retry N, as go-ffmpeg-hls-swarm -seg-retry', () => {
  it('passes -seg_max_retry where the installed ffmpeg has it, else a usage error naming the flag and version', async () => {
    const ffmpeg = await detectFfmpeg();
    const run = startRun(['--seg-retry', '2', '--print-cmd']);
    const end = await run.ended();
    if (ffmpeg.hasSegMaxRetry) {
      expect(end).toEqual({ exitCode: 0, signal: undefined, leftovers: [] });
      expect(run.output()).toContain(' -seg_max_retry 2 -i ');
    } else {
      // Debian 12's ffmpeg 5.1: the option does not exist.
      expect(end).toEqual({ exitCode: 2, signal: undefined, leftovers: [] });
      expect(run.output()).toContain(
        `hls-swarm run: --seg-retry 2: the ffmpeg found (${ffmpeg.path}, version ${ffmpeg.version}) has no hls -seg_max_retry option`,
      );
      expect(run.output()).toContain('Install ffmpeg 6.0 or newer');
    }
  });
});

describe('swarm.segMaxRetry in a scenario', () => {
  it('is refused by the swarm before any viewer starts, where ffmpeg lacks -seg_max_retry', async () => {
    const ffmpeg = await detectFfmpeg();
    const spec = swarmSchema.parse({ clients: 1, duration: '1s', segMaxRetry: 2, metricsPort: 0 });
    const starting = startSwarm({ url: origin.streamUrl, spec });
    if (ffmpeg.hasSegMaxRetry) {
      const swarm = await starting;
      expect(swarm.commandLine(0)).toContain(' -seg_max_retry 2 ');
      await swarm.stop();
    } else {
      await expect(starting).rejects.toThrow(ConfigError);
      await expect(starting).rejects.toThrow(`swarm.segMaxRetry 2: the ffmpeg found (${ffmpeg.path}`);
    }
  });
});

describe('hls-swarm run --check: the preflight, then one real viewer for 10 s', () => {
  it('reports what a viewer of a working origin got and exits 0', async () => {
    const run = startRun(['--check', '--metrics', '0']);
    const end = await run.ended();
    const output = run.output();
    expect(end, output).toEqual({ exitCode: 0, signal: undefined, leftovers: [] });
    expect(output).toContain(`ok  ${origin.streamUrl} answered HTTP 200`);
    expect(output).toContain('check: 1 viewer for 10s');
    expect(output).toMatch(/segments\s+\d+ requests \([1-9]\d* ok, 0 failed\), \d/);
    expect(output).toMatch(/http statuses\s+200×\d+/);
    expect(output).toMatch(/startup\s+\d/);
    expect(output).toMatch(/ok {2}played [1-9]\d* segment\(s\) in 10s/);
  });

  it('fails with the status and URL when every segment answers 404, and stops its viewer', async () => {
    // A live playlist that moves on every 2 s, whose segments are all missing.
    const startedMs = Date.now();
    const base = await serveForTest((request, response) => {
      if (request.url !== '/live.m3u8') {
        response.writeHead(404).end('not found');
        return;
      }
      const sequence = Math.floor((Date.now() - startedMs) / 2000);
      const entries = [0, 1, 2].map((i) => `#EXTINF:2.0,\nseg_${sequence + i}.ts\n`).join('');
      response
        .writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' })
        .end(
          `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:${sequence}\n${entries}`,
        );
    });
    const run = startRun(['--check', '--metrics', '0', '--skip-preflight'], `${base}/live.m3u8`);
    const end = await run.ended();
    const output = run.output();
    expect(end, output).toEqual({ exitCode: 1, signal: undefined, leftovers: [] });
    expect(output).toMatch(
      /hls-swarm run --check: FAILED: no segment played in 10 s: HTTP 404 on http:\/\/127\.0\.0\.1:\d+\/seg_\d+\.ts\n/,
    );
    expect(output).toMatch(/segments\s+[1-9]\d* requests \(0 ok, [1-9]\d* failed\)/);
  });

  it('stops its viewer at Ctrl-C and exits 130', async () => {
    const run = startRun(['--check', '--metrics', '0', '--skip-preflight']);
    await run.waitForOutput(/start gate: the run starts/, 30_000);
    process.kill(run.process.pid, 'SIGINT');
    const end = await run.ended();
    expect(end, run.output()).toEqual({ exitCode: 130, signal: undefined, leftovers: [] });
    expect(run.output()).toContain('hls-swarm run: SIGINT: stopping the run');
  });

  it('fails at once when the playlist itself answers 404', async () => {
    const missing = origin.streamUrl.replace(/[^/]+$/, 'missing.m3u8');
    const run = startRun(['--check', '--skip-preflight'], missing);
    const end = await run.ended();
    expect(end).toEqual({ exitCode: 1, signal: undefined, leftovers: [] });
    expect(run.output()).toContain(`The stream URL ${missing} answered HTTP 404`);
    expect(run.output()).not.toContain('check: 1 viewer');
  });
});
