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
