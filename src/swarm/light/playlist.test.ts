import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PlaylistCache, parsePlaylist } from './playlist.js';

// Recorded by fixtures/record/origin-playlists.ts (abr master) and fixtures/record/light-segments.ts
// (tiny live media playlist, fMP4 VOD playlist). The faults are those recordings with one part
// taken out, as a broken origin would send them.
const fixture = (path: string) => readFileSync(new URL(`../../../fixtures/${path}`, import.meta.url), 'utf8');
const BASE = 'http://127.0.0.1:17080/live/';

describe('parsePlaylist on recorded playlists', () => {
  it('reads a master playlist: variants with absolute URLs and BANDWIDTH, in listed order', () => {
    const info = parsePlaylist(fixture('origin/abr-master.m3u8'), `${BASE}master.m3u8`);
    expect(info).toEqual({
      kind: 'master',
      variants: [
        { url: `${BASE}stream_480p.m3u8`, bandwidth: 1425600, index: 0 },
        { url: `${BASE}stream_360p.m3u8`, bandwidth: 985600, index: 1 },
        { url: `${BASE}stream_240p.m3u8`, bandwidth: 510400, index: 2 },
      ],
    });
  });

  it('reads a live media playlist: target duration, media sequence numbers, segment URLs', () => {
    const info = parsePlaylist(fixture('light/tiny-media.m3u8'), `${BASE}stream.m3u8`);
    expect(info).toEqual({
      kind: 'media',
      targetDurationSeconds: 2,
      endList: false,
      segments: [0, 1, 2].map((msn) => ({
        msn,
        durationSeconds: 2,
        url: `${BASE}seg_0000${msn}.ts`,
      })),
    });
  });

  it('reads an fMP4 playlist: the EXT-X-MAP init section of each segment, and its end', () => {
    const info = parsePlaylist(fixture('light/fmp4-media.m3u8'), `${BASE}fmp4.m3u8`);
    if (info.kind !== 'media') throw new Error(`expected a media playlist, got ${info.kind}`);
    expect(info.endList).toBe(true);
    expect(info.segments.map((segment) => segment.init?.url)).toEqual([
      `${BASE}fmp4-init.mp4`,
      `${BASE}fmp4-init.mp4`,
    ]);
  });
});

describe('playlist faults a player cannot play through', () => {
  const media = fixture('light/tiny-media.m3u8');

  it('no #EXTM3U first line', () => {
    const info = parsePlaylist(media.replace('#EXTM3U\n', ''), `${BASE}stream.m3u8`);
    expect(info).toMatchObject({ kind: 'fault', code: 'missing-extm3u' });
    expect(parsePlaylist('<html>Not Found</html>', `${BASE}x.m3u8`)).toMatchObject({
      code: 'missing-extm3u',
      reason: expect.stringContaining('<html>'),
    });
  });

  it('a byte-order mark before #EXTM3U is fine', () => {
    expect(parsePlaylist(`\ufeff${media}`, `${BASE}stream.m3u8`)).toMatchObject({ kind: 'media' });
  });

  it('a media playlist without EXT-X-TARGETDURATION', () => {
    const info = parsePlaylist(media.replace(/#EXT-X-TARGETDURATION:\d+\n/, ''), `${BASE}stream.m3u8`);
    expect(info).toMatchObject({ kind: 'fault', code: 'no-target-duration' });
  });

  it('a master playlist whose variants have no URI', () => {
    const master = fixture('origin/abr-master.m3u8').replace(/^stream_.*\.m3u8$/gm, '');
    expect(parsePlaylist(master, `${BASE}master.m3u8`)).toMatchObject({ kind: 'fault', code: 'no-variants' });
  });
});

describe('PlaylistCache', () => {
  it('parses identical bytes from one URL once, and keeps URLs apart', () => {
    const cache = new PlaylistCache(2);
    const text = fixture('light/tiny-media.m3u8');
    const first = cache.parse(text, `${BASE}a.m3u8`);
    expect(cache.parse(text, `${BASE}a.m3u8`)).toBe(first);
    const other = cache.parse(text, `${BASE}b/a.m3u8`);
    expect(other).not.toBe(first);
    expect(other).toMatchObject({ segments: [{ url: `${BASE}b/seg_00000.ts` }, {}, {}] });
    expect({ hits: cache.hits, misses: cache.misses }).toEqual({ hits: 1, misses: 2 });
  });

  it('stays within its entry bound', () => {
    const cache = new PlaylistCache(2);
    const text = fixture('light/tiny-media.m3u8');
    for (const name of ['a', 'b', 'c']) cache.parse(text, `${BASE}${name}.m3u8`);
    cache.parse(text, `${BASE}a.m3u8`);
    expect(cache.misses).toBe(4); // 'a' was evicted by 'c'
  });
});
