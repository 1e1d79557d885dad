import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { swarmFieldsSchema, swarmSchema } from '../../config/index.js';
import { REDACTED, redactHeaders, redactUrl } from '../../system/index.js';
import { LOG_POLL_INTERVAL_MS } from '../runtime/index.js';
import {
  buildClientCommand,
  capabilitiesFromProbe,
  chooseProgram,
  cmcdSessionHeaderValue,
  cmcdSessionId,
  cmcdSessionIdOf,
  type FfmpegCapabilities,
  parseFfmpegVersion,
  parseProbePrograms,
  selectVariant,
  shellQuote,
} from './index.js';

const fixture = (name: string) => new URL(`../../../fixtures/ffmpeg/${name}`, import.meta.url);
const read = (name: string) => readFileSync(fixture(name), 'utf8');

/** The capabilities of the recorded ffmpeg (Debian 12's 5.1). */
const ffmpeg51 = capabilitiesFromProbe('/usr/bin/ffmpeg', {
  version: read('ffmpeg-version.txt'),
  hlsDemuxerHelp: read('ffmpeg-h-demuxer-hls.txt'),
  httpProtocolHelp: read('ffmpeg-h-protocol-http.txt'),
  datetimeProbe: read('ffmpeg-datetime-probe.txt'),
});

/** What a newer ffmpeg reports: the datetime log flag and -seg_max_retry exist. */
const ffmpeg61: FfmpegCapabilities = {
  ...ffmpeg51,
  path: '/opt/ffmpeg6/bin/ffmpeg',
  version: '6.1.1',
  major: 6,
  minor: 1,
  versionLine: 'ffmpeg version 6.1.1',
  hasDatetimeLogFlag: true,
  hasSegMaxRetry: true,
};

const spec = (input: Partial<Parameters<typeof swarmSchema.parse>[0]> = {}) =>
  swarmSchema.parse({ clients: 2, ...(input as object) });

describe('ffmpeg capability detection (recorded ffmpeg 5.1 outputs)', () => {
  it('reads version and options from the recorded probe outputs', () => {
    expect(ffmpeg51.version).toMatch(/^5\.1\.\d+$/);
    expect(ffmpeg51.major).toBe(5);
    expect(ffmpeg51.versionLine).toMatch(/^ffmpeg version 5\.1/);
    expect(ffmpeg51.hasDatetimeLogFlag).toBe(false);
    expect(ffmpeg51.hasSegMaxRetry).toBe(false);
    expect(ffmpeg51.hasReconnectOnNetworkError).toBe(true);
    expect(ffmpeg51.hasReconnectStreamed).toBe(true);
    expect(ffmpeg51.hasReconnectDelayMax).toBe(true);
  });

  it('agrees with `ffmpeg -h full` on every option it looks for', () => {
    const full = gunzipSync(readFileSync(fixture('ffmpeg-h-full.txt.gz'))).toString('utf8');
    const fromFull = capabilitiesFromProbe('/usr/bin/ffmpeg', {
      version: read('ffmpeg-version.txt'),
      hlsDemuxerHelp: full,
      httpProtocolHelp: full,
      datetimeProbe: read('ffmpeg-datetime-probe.txt'),
    });
    expect(fromFull).toEqual(ffmpeg51);
  });

  it('parses release, n-prefixed and git version strings', () => {
    expect(parseFfmpegVersion('ffmpeg version n6.1.1 Copyright (c) 2000-2023')).toMatchObject({
      version: '6.1.1',
      major: 6,
      minor: 1,
    });
    expect(parseFfmpegVersion('ffmpeg version 7.0-static https://johnvansickle.com')).toMatchObject({
      version: '7.0',
      major: 7,
    });
    expect(parseFfmpegVersion('ffmpeg version N-113345-g1b1e6bb8a9 Copyright')).toMatchObject({ major: 0 });
  });
});

describe('buildClientCommand', () => {
  const url = 'http://127.0.0.1:17088/stream.m3u8';

  it('builds the documented ffmpeg 5.1 command, options before -i and output after it', () => {
    const command = buildClientCommand({
      url,
      clientId: 0,
      spec: spec(),
      capabilities: ffmpeg51,
      toolVersion: '0.1.0',
    });
    expect(command.file).toBe('/usr/bin/ffmpeg');
    expect(command.args).toEqual([
      '-hide_banner',
      '-nostdin',
      '-nostats',
      '-loglevel',
      'repeat+level+trace',
      '-progress',
      'pipe:3',
      '-reconnect',
      '1',
      '-reconnect_streamed',
      '1',
      '-reconnect_on_network_error',
      '1',
      '-reconnect_delay_max',
      '5',
      '-rw_timeout',
      '15000000',
      '-user_agent',
      'hls-swarm/0.1.0/client-0',
      '-i',
      url,
      '-c',
      'copy',
      '-f',
      'null',
      '-',
    ]);
  });

  it('adds the datetime log flag and -seg_max_retry only where ffmpeg has them', () => {
    const args = buildClientCommand({
      url,
      clientId: 7,
      spec: spec(),
      capabilities: ffmpeg61,
      toolVersion: '1.2.3',
    }).args;
    expect(args[args.indexOf('-loglevel') + 1]).toBe('repeat+level+datetime+trace');
    expect(args.indexOf('-seg_max_retry')).toBeGreaterThan(-1);
    expect(args.indexOf('-seg_max_retry')).toBeLessThan(args.indexOf('-i'));
    expect(args[args.indexOf('-user_agent') + 1]).toBe('hls-swarm/1.2.3/client-7');
    expect(args[0]).toBe('-hide_banner');
  });

  it('leaves reconnect options out when reconnect is off, and honours timeout and log level', () => {
    const args = buildClientCommand({
      url,
      clientId: 1,
      spec: spec({ reconnect: false, timeout: '2500ms', logLevel: 'debug' }),
      capabilities: ffmpeg51,
      toolVersion: '0.1.0',
    }).args;
    expect(args.some((arg) => arg.startsWith('-reconnect'))).toBe(false);
    expect(args[args.indexOf('-rw_timeout') + 1]).toBe('2500000');
    expect(args[args.indexOf('-loglevel') + 1]).toBe('repeat+level+debug');
  });

  it('rounds reconnect_delay_max up to whole seconds', () => {
    const args = buildClientCommand({
      url,
      clientId: 1,
      spec: spec({ reconnectDelayMax: '1500ms' }),
      capabilities: ffmpeg51,
      toolVersion: '0.1.0',
    }).args;
    expect(args[args.indexOf('-reconnect_delay_max') + 1]).toBe('2');
  });

  it('sends custom headers, no-cache headers and resolve (IP in the URL, Host kept)', () => {
    const command = buildClientCommand({
      url: 'http://cdn.example.test:8080/live/stream.m3u8?token=abc123&quality=hd',
      clientId: 3,
      spec: spec({
        headers: { Authorization: 'Bearer s3cr3t', 'X-Trace': 'load-test', Cookie: 'session=xyz' },
        noCache: true,
        resolve: '127.0.0.2',
      }),
      capabilities: ffmpeg51,
      toolVersion: '0.1.0',
    });
    const { args } = command;
    expect(args[args.indexOf('-i') + 1]).toBe(
      'http://127.0.0.2:8080/live/stream.m3u8?token=abc123&quality=hd',
    );
    expect(args[args.indexOf('-headers') + 1]).toBe(
      'Host: cdn.example.test:8080\r\nAuthorization: Bearer s3cr3t\r\nX-Trace: load-test\r\nCookie: session=xyz\r\n' +
        'Cache-Control: no-cache\r\nPragma: no-cache\r\n',
    );
    // printable: secrets redacted, the rest shown
    expect(command.printable).not.toContain('s3cr3t');
    expect(command.printable).not.toContain('session=xyz');
    expect(command.printable).not.toContain('abc123');
    expect(command.printable).toContain(`Authorization: ${REDACTED}`);
    expect(command.printable).toContain(`Cookie: ${REDACTED}`);
    expect(command.printable).toContain('X-Trace: load-test');
    expect(command.printable).toContain('quality=hd');
    expect(command.printable).toContain('hls-swarm/0.1.0/client-3');
  });

  it('puts variant maps after the input', () => {
    const args = buildClientCommand({
      url,
      clientId: 2,
      spec: spec(),
      capabilities: ffmpeg51,
      toolVersion: '0.1.0',
      variantMaps: ['0:p:2'],
    }).args;
    expect(args.slice(args.indexOf('-i') + 2, args.indexOf('-c'))).toEqual(['-map', '0:p:2']);
  });

  it('is pure: the same input gives the same command', () => {
    const input = {
      url,
      clientId: 4,
      spec: spec({ noCache: true }),
      capabilities: ffmpeg51,
      toolVersion: '0.1.0',
    };
    expect(buildClientCommand(input)).toEqual(buildClientCommand(input));
  });

  it('prints a line a shell splits back into exactly the spawned arguments', () => {
    const command = buildClientCommand({
      url: "http://127.0.0.1:17088/it's here/stream.m3u8",
      clientId: 5,
      spec: spec({ headers: { 'X-Note': 'a "quoted" $value' }, noCache: true }),
      capabilities: ffmpeg51,
      toolVersion: '0.1.0',
    });
    const split = execFileSync('bash', ['-c', `printf '%s\\0' ${command.printable}`], { encoding: 'utf8' });
    expect(split.split('\0').slice(0, -1)).toEqual([command.file, ...command.args]);
  });
});

describe('the timedViewers description', () => {
  it('says how often untimed viewers are read, as the swarm does', () => {
    expect(LOG_POLL_INTERVAL_MS).toBe(1000);
    expect(swarmFieldsSchema.shape.timedViewers.description).toContain('the rest are read every second');
  });
});

describe('redaction', () => {
  it('redacts secret-looking header values only', () => {
    expect(
      redactHeaders({
        Authorization: 'Bearer x',
        'Proxy-Authorization': 'Basic y',
        Cookie: 'a=b',
        'Set-Cookie': 'c=d',
        'X-Api-Key': 'k',
        'X-Auth-Token': 't',
        'X-Client-Secret': 's',
        'Accept-Language': 'en',
        'Cache-Control': 'no-cache',
      }),
    ).toEqual({
      Authorization: REDACTED,
      'Proxy-Authorization': REDACTED,
      Cookie: REDACTED,
      'Set-Cookie': REDACTED,
      'X-Api-Key': REDACTED,
      'X-Auth-Token': REDACTED,
      'X-Client-Secret': REDACTED,
      'Accept-Language': 'en',
      'Cache-Control': 'no-cache',
    });
  });

  it('redacts tokens in URLs (query and password)', () => {
    expect(redactUrl('http://u:pw@h/a.m3u8?token=1&x=2')).toBe(
      `http://u:${REDACTED}@h/a.m3u8?token=${REDACTED}&x=2`,
    );
    expect(redactUrl('http://h/a.m3u8?x=2')).toBe('http://h/a.m3u8?x=2');
  });

  it('quotes for a POSIX shell', () => {
    expect(shellQuote('plain-arg_1.2:3')).toBe('plain-arg_1.2:3');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('a\r\nb')).toBe("$'a\\r\\nb'");
    expect(shellQuote('')).toBe("''");
  });
});

describe('variant choice over the recorded 3-variant ffprobe output', () => {
  const programs = parseProbePrograms(read('abr-ffprobe-programs.json'));

  it('lists every program with its variant_bitrate', () => {
    expect(programs).toHaveLength(3);
    expect(programs.every((program) => program.bitrate > 0)).toBe(true);
  });

  it('needs no probe for all (-map 0: every variant) and first (program 0)', async () => {
    // No ffprobe can run for these: the path does not exist.
    expect(
      await selectVariant('http://127.0.0.1:9/x.m3u8', 'all', 'fail', '/nonexistent/ffprobe'),
    ).toMatchObject({
      maps: ['0'],
    });
    expect(
      await selectVariant('http://127.0.0.1:9/x.m3u8', 'first', 'fail', '/nonexistent/ffprobe'),
    ).toMatchObject({
      maps: ['0:p:0'],
    });
  });

  it('picks the highest, lowest and first program', () => {
    const byBitrate = [...programs].sort((a, b) => a.bitrate - b.bitrate);
    expect(chooseProgram(programs, 'highest')).toEqual(byBitrate[2]);
    expect(chooseProgram(programs, 'lowest')).toEqual(byBitrate[0]);
    expect(chooseProgram(programs, 'first')?.program).toBe(0);
    expect(chooseProgram([], 'highest')).toBeUndefined();
  });
});

describe('CMCD session id (CTA-5004 client correlation)', () => {
  const url = 'http://127.0.0.1:17088/stream.m3u8';

  it('joins it to the user headers in the one -headers argument, shown unredacted beside redacted secrets', () => {
    const sessionId = cmcdSessionId('3f1c2a4e-run', 7);
    expect(sessionId).toBe('3f1c2a4e-run-7');
    const command = buildClientCommand({
      url,
      clientId: 7,
      spec: spec({ headers: { Authorization: 'Bearer s3cr3t', 'X-Trace': 'load-test' }, noCache: true }),
      capabilities: ffmpeg51,
      toolVersion: '0.1.0',
      sessionId,
    });
    const { args } = command;
    expect(args.filter((arg) => arg === '-headers')).toHaveLength(1);
    expect(args[args.indexOf('-headers') + 1]).toBe(
      'Authorization: Bearer s3cr3t\r\nX-Trace: load-test\r\nCache-Control: no-cache\r\nPragma: no-cache\r\n' +
        'CMCD-Session: sid="3f1c2a4e-run-7"\r\n',
    );
    expect(command.printable).toContain('CMCD-Session: sid="3f1c2a4e-run-7"');
    expect(command.printable).not.toContain('s3cr3t');
    expect(command.printable).toContain(`Authorization: ${REDACTED}`);
  });

  it('adds a -headers argument of its own when the user set none, and none without a session id', () => {
    const withSession = buildClientCommand({
      url,
      clientId: 0,
      spec: spec(),
      capabilities: ffmpeg51,
      toolVersion: '0.1.0',
      sessionId: 'run-0',
    }).args;
    expect(withSession[withSession.indexOf('-headers') + 1]).toBe('CMCD-Session: sid="run-0"\r\n');
    expect(withSession.indexOf('-headers')).toBeLessThan(withSession.indexOf('-i'));
    const without = buildClientCommand({
      url,
      clientId: 0,
      spec: spec(),
      capabilities: ffmpeg51,
      toolVersion: '0.1.0',
    });
    expect(without.args).not.toContain('-headers');
  });

  it("leaves the user's own CMCD-Session header alone (user headers win)", () => {
    const args = buildClientCommand({
      url,
      clientId: 1,
      spec: spec({ headers: { 'cmcd-session': 'sid="mine",st=l' } }),
      capabilities: ffmpeg51,
      toolVersion: '0.1.0',
      sessionId: 'run-1',
    }).args;
    expect(args[args.indexOf('-headers') + 1]).toBe('cmcd-session: sid="mine",st=l\r\n');
  });

  it('reads the sid back from a key list, with escapes and other keys', () => {
    expect(cmcdSessionIdOf(cmcdSessionHeaderValue('run-4'))).toBe('run-4');
    expect(cmcdSessionIdOf(cmcdSessionHeaderValue('a"b\\c'))).toBe('a"b\\c');
    expect(cmcdSessionIdOf('cid="film",sid="6e2f-9",st=l')).toBe('6e2f-9');
    expect(cmcdSessionIdOf('cid="xsid=\\"no\\"",st=l')).toBeUndefined();
    expect(cmcdSessionIdOf('')).toBeUndefined();
  });
});
