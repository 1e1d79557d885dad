import { describe, expect, it } from 'vitest';
import { isUserFacingError } from '../../system/index.js';
import { LightFleet, lightUserAgent } from './fleet.js';
import type { LightFleetOptions } from './types.js';

describe('lightUserAgent', () => {
  it('hls-swarm/<version>/light-<id> by default; a template keeps the id', () => {
    expect(lightUserAgent(undefined, 7, '1.2.3')).toBe('hls-swarm/1.2.3/light-7');
    expect(lightUserAgent('acme-player', 7)).toBe('acme-player/light-7');
    expect(lightUserAgent('acme/{id}/x', 7)).toBe('acme/7/x');
  });
});

describe('LightFleet options', () => {
  it('rejects what cannot be played with a user-facing error that names the field, secrets redacted', () => {
    const attempt = (options: LightFleetOptions) => {
      try {
        new LightFleet(options);
      } catch (error) {
        expect(isUserFacingError(error)).toBe(true);
        return (error as Error).message;
      }
      throw new Error('no error');
    };
    expect(attempt({ url: 'not a url token=abc' })).toMatch(/the stream URL '.*' is not a valid URL/);
    expect(attempt({ url: 'ftp://h/x.m3u8?token=secret' })).toBe(
      "light viewers: the stream URL must be http:// or https://, got 'ftp:' in ftp://h/x.m3u8?token=[redacted]",
    );
    expect(attempt({ url: 'http://h/x.m3u8', variant: 'all' as never })).toMatch(
      /variant must be one of highest, lowest, first, abr/,
    );
    expect(attempt({ url: 'http://h/x.m3u8', maxBufferSeconds: 0 })).toMatch(
      /maxBufferSeconds must be a positive number/,
    );
  });
});

describe('LightFleet restarts', () => {
  it('a stopped viewer started again is a new viewer (a later ramp stage); close waits for both', async () => {
    // Port 9 (discard) on loopback: nothing listens, so each load fails fast with `connect`.
    const fleet = new LightFleet({ url: 'http://127.0.0.1:9/stream.m3u8', timeoutMs: 2000 });
    const stopped: number[] = [];
    fleet.on('viewerStopped', (event) => stopped.push(event.clientId));
    const first = fleet.start(3);
    expect(first.state).toBe('starting');
    fleet.stop(3);
    expect(first.state).toBe('stopped');
    const second = fleet.start(3);
    expect(second).not.toBe(first);
    expect(second.state).toBe('starting');
    expect(fleet.viewer(3)).toBe(second);
    expect(fleet.active).toBe(1);
    await fleet.close();
    expect(second.state).toBe('stopped');
    expect(stopped).toEqual([3, 3]);
    expect(fleet.http.inFlight).toBe(0);
    // After close nothing starts again.
    expect(fleet.start(3).state).toBe('stopped');
  });
});
