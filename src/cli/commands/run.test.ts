import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  buildClientCommand,
  capabilitiesFromProbe,
  type FfmpegCapabilities,
  FleetStats,
  type SwarmSnapshot,
  segMaxRetryProblem,
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
import { commandPreview, plannedViewerIds } from './run-print-cmd.js';

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
    expect(args.printCommandOnly).toBe(true);
    expect(args.logCommands).toBe(false);
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

  it('--light N makes N of --clients light viewers; abr needs them', () => {
    const mixed = parseRunArgs(['http://127.0.0.1/x.m3u8', '--clients', '10', '--light', '8']);
    expect(mixed.spec.clients).toBe(10);
    expect(mixed.spec.viewers).toEqual({ ffmpeg: 2, light: 8 });
    expect(parseRunArgs(['http://127.0.0.1/x.m3u8', '--light', '10']).spec.viewers).toEqual({
      ffmpeg: 0,
      light: 10,
    });
    expect(parseRunArgs(['http://127.0.0.1/x.m3u8']).spec.viewers).toBeUndefined();
    const abr = parseRunArgs(['http://127.0.0.1/x.m3u8', '--light', '5', '--variant', 'abr']);
    expect(abr.spec.variant).toBe('abr');
    expect(() => parseRunArgs(['http://127.0.0.1/x.m3u8', '--light', '11'])).toThrow(
      '--light: 11 light viewers is more than --clients 10',
    );
    expect(() => parseRunArgs(['http://127.0.0.1/x.m3u8', '--light', 'many'])).toThrow('--light');
    expect(() => parseRunArgs(['http://127.0.0.1/x.m3u8', '--variant', 'abr'])).toThrow(
      /variant: 'abr' is played by light viewers only/,
    );
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

const recorded = (name: string) =>
  readFileSync(new URL(`../../../fixtures/ffmpeg/${name}`, import.meta.url), 'utf8');
/** Debian 12's ffmpeg 5.1, from its recorded `-version` and `-h` outputs: no -seg_max_retry. */
const ffmpeg51 = capabilitiesFromProbe('/usr/bin/ffmpeg', {
  version: recorded('ffmpeg-version.txt'),
  hlsDemuxerHelp: recorded('ffmpeg-h-demuxer-hls.txt'),
  httpProtocolHelp: recorded('ffmpeg-h-protocol-http.txt'),
  datetimeProbe: recorded('ffmpeg-datetime-probe.txt'),
});
/**
 * An ffmpeg 6+ that has -seg_max_retry. No ffmpeg >= 6 installs here (Debian 12 ships 5.1), so
 * none was recorded: the 5.1 recording with the one capability the hls help of 6.0+ lists.
 */
const ffmpeg6: FfmpegCapabilities = {
  ...ffmpeg51,
  path: '/opt/ffmpeg6/bin/ffmpeg',
  version: '6.1.1',
  major: 6,
  minor: 1,
  hasSegMaxRetry: true,
};

describe('hls-swarm run --print-cmd, --log-commands', () => {
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
      '--log-commands',
    ]);
    expect(args.logCommands).toBe(true);
    // The line --log-commands writes for each viewer (and --print-cmd for the first) is the command's `printable`.
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

describe('hls-swarm run --print-cmd: the command a run would spawn, nothing started', () => {
  const url = 'http://127.0.0.1:17080/live/stream.m3u8';
  const runId = 'e2c3a1f0-0000-4000-8000-000000000001';
  const preview = (argv: string[], capabilities = ffmpeg51) => {
    const args = parseRunArgs([url, ...argv], {});
    return commandPreview({
      runId,
      url: args.url,
      spec: args.spec,
      capabilities,
      toolVersion: '0.1.0',
      variant: { maps: ['0'], note: 'every variant (-map 0)' },
      viewerIds: plannedViewerIds(args.spec, args.shard),
      ...(args.shard ? { shard: args.shard } : {}),
    });
  };

  it("prints viewer 0's command, pasteable into bash, and says that only -user_agent and the CMCD session id differ", () => {
    const lines = preview(['--clients', '5', '--user-agent', 'my player/{id}', '--print-cmd']);
    const command = lines.at(-1) as string;
    expect(lines.slice(0, -1).every((line) => line.startsWith('# '))).toBe(true);
    expect(lines[0]).toContain('5 viewers (ids 0-4)');
    expect(lines).toContain(
      `# Each viewer runs this command with its own -user_agent (viewer 0: my player/0, viewer 4: my player/4), CMCD session id in -headers (viewer 0: ${runId}-0, viewer 4: ${runId}-4; a new run id each run); nothing else differs.`,
    );
    const spawned = buildClientCommand({
      url,
      clientId: 0,
      spec: parseRunArgs([url, '--clients', '5', '--user-agent', 'my player/{id}'], {}).spec,
      capabilities: ffmpeg51,
      toolVersion: '0.1.0',
      variantMaps: ['0'],
      sessionId: `${runId}-0`,
    });
    // bash splits the line back into exactly the argv the swarm spawns for viewer 0.
    const split = execFileSync('bash', ['-c', `printf '%s\\0' ${command}`], { encoding: 'utf8' });
    expect(split.split('\0').slice(0, -1)).toEqual([spawned.file, ...spawned.args]);
  });

  it('redacts secrets as every printed command does, and names a shard and its viewer ids', () => {
    const lines = preview([
      ...['--clients', '6', '--shard', '1/3', '--header', 'Authorization: Bearer s3cret'],
      '--no-start-gate',
    ]);
    expect(lines[0]).toContain('2 viewers (ids 1, 4, shard 1/3)');
    expect(lines.join('\n')).not.toContain('s3cret');
    expect(lines.at(-1)).toContain(`Authorization: ${REDACTED}`);
    expect(lines.at(-1)).toContain('-user_agent hls-swarm/0.1.0/client-1');
    expect(lines.join('\n')).not.toContain('start gate');
    expect(preview(['--clients', '1'])[0]).toContain('1 viewer (id 0)');
    expect(preview(['--clients', '1']).some((line) => line.includes('Each viewer'))).toBe(false);
  });

  it('--print-cmd and --check exclude each other; --check refuses what only a run does', () => {
    expect(() => parseRunArgs([url, '--print-cmd', '--check'], {})).toThrow(/--print-cmd and --check/);
    expect(() => parseRunArgs([url, '--check', '--report', 'r.json'], {})).toThrow(/--check .*drop --report/);
    expect(() => parseRunArgs([url, '--check', '--shard', '0/2', '--start-at', '0'], {})).toThrow(
      'drop --shard, --start-at',
    );
    expect(parseRunArgs([url, '--check'], {}).checkOnly).toBe(true);
  });
});

describe('hls-swarm run --seg-retry N (go-ffmpeg-hls-swarm -seg-retry)', () => {
  const url = 'http://127.0.0.1:17080/stream.m3u8';
  const commandWith = (argv: string[], capabilities: FfmpegCapabilities) =>
    buildClientCommand({
      url,
      clientId: 0,
      spec: parseRunArgs([url, ...argv], {}).spec,
      capabilities,
      toolVersion: '0.1.0',
    }).args;

  it('reads a whole number >= 0 into swarm.segMaxRetry, naming the flag otherwise', () => {
    expect(parseRunArgs([url, '--seg-retry', '5'], {}).spec.segMaxRetry).toBe(5);
    expect(parseRunArgs([url, '--seg-retry', '0'], {}).spec.segMaxRetry).toBe(0);
    expect(parseRunArgs([url], {}).spec.segMaxRetry).toBeUndefined();
    for (const bad of ['-1', 'three', '1.5']) {
      expect(() => parseRunArgs([url, '--seg-retry', bad], {})).toThrow(UsageError);
      expect(() => parseRunArgs([url, '--seg-retry', bad], {})).toThrow('--seg-retry');
    }
  });

  it('passes -seg_max_retry N before -i where ffmpeg has it (default 3), nothing on 5.1', () => {
    const args = commandWith(['--seg-retry', '5'], ffmpeg6);
    const at = args.indexOf('-seg_max_retry');
    expect(args.slice(at, at + 2)).toEqual(['-seg_max_retry', '5']);
    expect(at).toBeLessThan(args.indexOf('-i'));
    expect(commandWith([], ffmpeg6).join(' ')).toContain('-seg_max_retry 3');
    expect(commandWith([], ffmpeg51)).not.toContain('-seg_max_retry');
  });

  it('is refused on an ffmpeg without it, naming the option, the version found and what to do', () => {
    expect(ffmpeg51.hasSegMaxRetry).toBe(false);
    const problem = segMaxRetryProblem(5, ffmpeg51, '--seg-retry');
    expect(problem).toMatch(/^--seg-retry 5: the ffmpeg found \(\/usr\/bin\/ffmpeg, version 5\.1\.\d+\)/);
    expect(problem).toContain('ffmpeg 6.0');
    expect(problem).toContain('leave the option out');
    expect(segMaxRetryProblem(undefined, ffmpeg51, '--seg-retry')).toBeUndefined();
    expect(segMaxRetryProblem(5, ffmpeg6, '--seg-retry')).toBeUndefined();
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
