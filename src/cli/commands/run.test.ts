import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  buildClientCommand,
  capabilitiesFromProbe,
  FleetStats,
  type SwarmSnapshot,
} from '../../swarm/index.js';
import { REDACTED } from '../../system/index.js';
import { UsageError } from '../errors.js';
import {
  formatLogLine,
  formatSwarmSummary,
  parseMetricsAddress,
  parseRunArgs,
  UNTIL_INTERRUPTED_DURATION,
} from './run.js';

describe('hls-swarm run arguments', () => {
  it('maps flags onto a validated swarm spec', () => {
    const args = parseRunArgs([
      'http://127.0.0.1:17080/stream.m3u8',
      '--clients',
      '50',
      '--ramp-rate',
      '25',
      '--ramp-jitter',
      '200ms',
      '--duration',
      '2m',
      '--variant',
      'highest',
      '--header',
      'Authorization: Bearer abc',
      '--header',
      'X-Test: 1',
      '--no-cache',
      '--resolve',
      '127.0.0.2',
      '--timeout',
      '5s',
      '--no-reconnect',
      '--metrics',
      '127.0.0.1:0',
      '--print-cmd',
      '--restart-on-stall',
      '--max-restarts',
      '3',
      '--timed-viewers',
      '0',
      '--no-start-gate',
    ]);
    expect(args.url).toBe('http://127.0.0.1:17080/stream.m3u8');
    expect(args.spec).toMatchObject({
      clients: 50,
      rampRate: 25,
      rampJitter: '200ms',
      duration: '2m',
      variant: 'highest',
      headers: { Authorization: 'Bearer abc', 'X-Test': '1' },
      noCache: true,
      resolve: '127.0.0.2',
      timeout: '5s',
      reconnect: false,
      metricsPort: 0,
      restart: { onStall: true, maxRestarts: 3, enabled: true },
      timedViewers: 0,
      startGate: { enabled: false },
    });
    expect(parseRunArgs(['http://127.0.0.1/x.m3u8']).spec.timedViewers).toBe(50);
    expect(parseRunArgs(['http://127.0.0.1/x.m3u8']).spec.startGate.enabled).toBe(true);
    expect(parseRunArgs(['http://127.0.0.1/x.m3u8', '--timed-viewers', 'all']).spec.timedViewers).toBe('all');
    expect(args.printCommands).toBe(true);
    expect(args.checkOnly).toBe(false);
    expect(args.allowRemote).toBe(false);
  });

  it('names the flag in usage errors', () => {
    const attempts: [string[], string][] = [
      [['http://127.0.0.1/x.m3u8', '--clients', '0'], '--clients'],
      [['http://127.0.0.1/x.m3u8', '--clients', 'ten'], '--clients'],
      [['http://127.0.0.1/x.m3u8', '--ramp-rate', '0'], '--ramp-rate'],
      [['http://127.0.0.1/x.m3u8', '--duration', '10'], '--duration'],
      [['http://127.0.0.1/x.m3u8', '--variant', 'best'], '--variant'],
      [['http://127.0.0.1/x.m3u8', '--header', 'novalue'], '--header'],
      [['http://127.0.0.1/x.m3u8', '--metrics', 'localhost:99999'], '--metrics'],
      [['http://127.0.0.1/x.m3u8', '--bogus'], '--bogus'],
      [['http://127.0.0.1/x.m3u8', '--timed-viewers', 'some'], '--timed-viewers'],
      [[], 'missing the stream URL'],
    ];
    for (const [argv, mention] of attempts) {
      expect(() => parseRunArgs(argv)).toThrow(UsageError);
      expect(() => parseRunArgs(argv)).toThrow(mention);
    }
  });

  it('reads --metrics as [host:]port', () => {
    expect(parseMetricsAddress('17091')).toEqual({ host: '127.0.0.1', port: 17091 });
    expect(parseMetricsAddress('0.0.0.0:9000')).toEqual({ host: '0.0.0.0', port: 9000 });
    expect(parseMetricsAddress('[::1]:0')).toEqual({ host: '::1', port: 0 });
  });
});

describe('hls-swarm run flags from go-ffmpeg-hls-swarm', () => {
  const url = 'http://127.0.0.1:17080/stream.m3u8';

  it('--user-agent and --skip-preflight go into the swarm spec', () => {
    const args = parseRunArgs([url, '--user-agent', 'my-player/2.0 (viewer {id})', '--skip-preflight']);
    expect(args.spec.userAgent).toBe('my-player/2.0 (viewer {id})');
    expect(args.spec.skipPreflight).toBe(true);
    const plain = parseRunArgs([url]);
    expect(plain.spec.userAgent).toBeUndefined();
    expect(plain.spec.skipPreflight).toBeUndefined();
    expect(() => parseRunArgs([url, '--user-agent', ''])).toThrow(/userAgent/);
  });

  it('--duration 0 runs until interrupted, on a bounded plan a Node timer can hold', () => {
    for (const zero of ['0', '0s', '0ms']) {
      const args = parseRunArgs([url, '--duration', zero]);
      expect(args.untilInterrupted).toBe(true);
      expect(args.spec.duration).toBe(UNTIL_INTERRUPTED_DURATION);
    }
    const ms = 576 * 3_600_000;
    expect(ms).toBeLessThanOrEqual(2 ** 31 - 1);
    expect(parseRunArgs([url, '--duration', '1m']).untilInterrupted).toBe(false);
    expect(() => parseRunArgs([url, '--duration', '0', '--report', 'r.json'])).toThrow(
      /--duration 0.*--report or --shard/,
    );
    expect(() => parseRunArgs([url, '--duration', '0', '--shard', '0/2'], {})).toThrow(UsageError);
  });

  it('--nginx-metrics and --node-metrics name the external origin exporters of a --report run', () => {
    const args = parseRunArgs([
      url,
      '--report',
      'r.json',
      '--nginx-metrics',
      'http://127.0.0.1:17113/metrics',
      '--node-metrics',
      'http://127.0.0.1:17100/metrics',
    ]);
    expect(args.exporters).toEqual({
      nginx: 'http://127.0.0.1:17113/metrics',
      node: 'http://127.0.0.1:17100/metrics',
    });
    expect(parseRunArgs([url]).exporters).toEqual({});
    expect(() => parseRunArgs([url, '--nginx-metrics', 'http://127.0.0.1:17113/metrics'])).toThrow(
      /add --report/,
    );
    expect(() => parseRunArgs([url, '--report', 'r.json', '--node-metrics', '127.0.0.1:17100'])).toThrow(
      '--node-metrics',
    );
  });

  it('--log-format json writes one redacted JSON object per line', () => {
    expect(parseRunArgs([url]).logFormat).toBe('text');
    expect(parseRunArgs([url, '--log-format', 'json']).logFormat).toBe('json');
    expect(() => parseRunArgs([url, '--log-format', 'yaml'])).toThrow('--log-format');
    const now = new Date('2026-01-02T03:04:05.000Z');
    const line = formatLogLine(
      'json',
      '\nhls-swarm run: 2 viewers of http://127.0.0.1:17080/s.m3u8?token=s3cret-value',
      'info',
      now,
    );
    expect(line).not.toContain('\n');
    expect(line).not.toContain('s3cret-value');
    const parsed = JSON.parse(line) as { time: string; level: string; msg: string };
    expect(parsed).toEqual({
      time: '2026-01-02T03:04:05.000Z',
      level: 'info',
      msg: `2 viewers of http://127.0.0.1:17080/s.m3u8?token=${REDACTED}`,
    });
    expect(JSON.parse(formatLogLine('json', 'hls-swarm: FAILED', 'error', now)).level).toBe('error');
    expect(formatLogLine('text', 'hls-swarm: http://127.0.0.1/x?token=abc', 'info', now)).toBe(
      `hls-swarm: http://127.0.0.1/x?token=${REDACTED}`,
    );
  });
});

describe('hls-swarm run --print-cmd', () => {
  const recorded = (name: string) =>
    readFileSync(new URL(`../../../fixtures/ffmpeg/${name}`, import.meta.url), 'utf8');
  const ffmpeg51 = capabilitiesFromProbe('/usr/bin/ffmpeg', {
    version: recorded('ffmpeg-version.txt'),
    hlsDemuxerHelp: recorded('ffmpeg-h-demuxer-hls.txt'),
    httpProtocolHelp: recorded('ffmpeg-h-protocol-http.txt'),
    datetimeProbe: recorded('ffmpeg-datetime-probe.txt'),
  });

  it('never prints a credential-looking header value, whatever the header is called', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ2In0.c2ln';
    const args = parseRunArgs([
      'http://127.0.0.1:17080/stream.m3u8?sig=abc-signature',
      '--header',
      'X-Custom: Bearer abc',
      '--header',
      `X-Forwarded: ${jwt}`,
      '--header',
      'X-Trace: load-test',
      '--print-cmd',
    ]);
    expect(args.printCommands).toBe(true);
    // The line --print-cmd writes for each viewer is the command's `printable`.
    const { printable, args: spawned } = buildClientCommand({
      url: args.url,
      clientId: 1,
      spec: args.spec,
      capabilities: ffmpeg51,
      toolVersion: '0.1.0',
    });
    expect(spawned.join(' ')).toContain('X-Custom: Bearer abc');
    expect(printable).not.toContain('abc');
    expect(printable).not.toContain(jwt);
    expect(printable).toContain(`X-Custom: ${REDACTED}`);
    expect(printable).toContain(`X-Forwarded: ${REDACTED}`);
    expect(printable).toContain('X-Trace: load-test');
    expect(printable).toContain(`sig=${REDACTED}`);
  });
});

describe('hls-swarm run summary', () => {
  const base = (timedViewers: number | undefined): SwarmSnapshot => ({
    ...new FleetStats().snapshotParts(1000),
    atMs: 1000,
    clientsTarget: 300,
    clientsActive: 0,
    clientsStarted: 300,
    restarts: 0,
    stalledClients: 0,
    exitCategories: { clean: 300 },
    droppedLines: 0,
    ffmpeg: { path: '/usr/bin/ffmpeg', version: '5.1.9' },
    ...(timedViewers === undefined ? {} : { timedViewers }),
  });

  it('says where the timings come from when not every viewer is timed', () => {
    const url = 'http://127.0.0.1:17080/stream.m3u8';
    expect(formatSwarmSummary(base(50), url, 60)).toMatch(/timings from\s+50 timed viewers/);
    expect(formatSwarmSummary(base(300), url, 60)).not.toContain('timings from');
    expect(formatSwarmSummary(base(undefined), url, 60)).not.toContain('timings from');
  });
});
