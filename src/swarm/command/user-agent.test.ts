import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseWith, swarmSchema } from '../../config/index.js';
import { buildClientCommand } from './build.js';
import { capabilitiesFromProbe } from './capabilities.js';
import { userAgentFor } from './user-agent.js';

describe('viewer User-Agent', () => {
  it('keeps the viewer id whatever the template', () => {
    expect(userAgentFor(undefined, '1.2.3', 7)).toBe('hls-swarm/1.2.3/client-7');
    expect(userAgentFor('my-player/2.0 (viewer {id})', '1.2.3', 7)).toBe('my-player/2.0 (viewer 7)');
    expect(userAgentFor('a{id}b{id}', '1.2.3', 3)).toBe('a3b3');
    expect(userAgentFor('go-ffmpeg-hls-swarm/1.0', '1.2.3', 12)).toBe('go-ffmpeg-hls-swarm/1.0/client-12');
  });

  it('swarm.userAgent reaches ffmpeg as -user_agent', () => {
    const recorded = (name: string) =>
      readFileSync(new URL(`../../../fixtures/ffmpeg/${name}`, import.meta.url), 'utf8');
    const capabilities = capabilitiesFromProbe('/usr/bin/ffmpeg', {
      version: recorded('ffmpeg-version.txt'),
      hlsDemuxerHelp: recorded('ffmpeg-h-demuxer-hls.txt'),
      httpProtocolHelp: recorded('ffmpeg-h-protocol-http.txt'),
      datetimeProbe: recorded('ffmpeg-datetime-probe.txt'),
    });
    const spec = parseWith(swarmSchema, { clients: 2, userAgent: 'cdn-check/{id}' }, 'test');
    const { args } = buildClientCommand({
      url: 'http://127.0.0.1:17080/stream.m3u8',
      clientId: 1,
      spec,
      capabilities,
      toolVersion: '0.1.0',
    });
    expect(args[args.indexOf('-user_agent') + 1]).toBe('cdn-check/1');
    expect(() => parseWith(swarmSchema, { clients: 1, userAgent: 'a\r\nX-Evil: 1' }, 'test')).toThrow(
      'one line',
    );
  });
});
