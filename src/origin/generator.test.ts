import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PROFILE_NAMES } from '../config/index.js';
import {
  generatorArgs,
  generatorCommandLine,
  getProfile,
  gopFrames,
  loadProfiles,
  mediaPlaylistPaths,
  playlistPath,
} from './generator.js';

/** Value following `flag` in an argument list (undefined when the flag is absent). */
function flagValue(args: string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index >= 0 ? args[index + 1] : undefined;
}

/** Every value of flags matching `pattern` (e.g. -maxrate, -maxrate:v:0) as kbit/s numbers. */
function kbpsValues(args: string[], pattern: RegExp): number[] {
  return args.flatMap((arg, index) =>
    pattern.test(arg) ? [Number.parseFloat(String(args[index + 1]).replace(/k$/, ''))] : [],
  );
}

describe('generator profiles', () => {
  it('profiles.json holds exactly the profile names the config schema accepts', () => {
    const raw = JSON.parse(readFileSync(new URL('./profiles.json', import.meta.url), 'utf8')) as {
      profiles: Record<string, unknown>;
    };
    expect(Object.keys(raw.profiles).sort()).toEqual([...PROFILE_NAMES].sort());
    expect(Object.keys(loadProfiles()).sort()).toEqual([...PROFILE_NAMES].sort());
  });

  for (const name of PROFILE_NAMES) {
    describe(name, () => {
      const profile = getProfile(name);
      const args = generatorArgs(profile, '/var/hls');

      it('-g and -keyint_min equal fps × segmentSeconds, scene cuts off, hls_time = segmentSeconds', () => {
        expect(flagValue(args, '-g')).toBe(String(profile.fps * profile.segmentSeconds));
        expect(gopFrames(profile)).toBe(profile.fps * profile.segmentSeconds);
        expect(flagValue(args, '-keyint_min')).toBe(flagValue(args, '-g'));
        expect(flagValue(args, '-sc_threshold')).toBe('0');
        expect(flagValue(args, '-hls_time')).toBe(String(profile.segmentSeconds));
        expect(flagValue(args, '-hls_list_size')).toBe(String(profile.listSize));
      });

      it('paces inputs in real time and writes live HLS atomically', () => {
        expect(args.filter((arg) => arg === '-re')).toHaveLength(2);
        expect(args.some((arg) => arg.startsWith('testsrc2='))).toBe(true);
        expect(args.some((arg) => arg.startsWith('sine='))).toBe(true);
        expect(flagValue(args, '-c:v')).toBe('libx264');
        expect(flagValue(args, '-c:a')).toBe('aac');
        expect(flagValue(args, '-hls_flags')).toBe(
          'delete_segments+omit_endlist+temp_file+program_date_time',
        );
        expect(args.at(-1)).toBe(`/var/hls/${profile.mediaPlaylist}`);
        expect(flagValue(args, '-hls_segment_filename')).toBe(`/var/hls/${profile.segmentPattern}`);
      });

      it('rate control is sane: minrate <= bitrate <= maxrate <= bufsize', () => {
        const bitrates = kbpsValues(args, /^-b:v(:\d+)?$/);
        const maxrates = kbpsValues(args, /^-maxrate(:v:\d+)?$/);
        const bufsizes = kbpsValues(args, /^-bufsize(:v:\d+)?$/);
        const minrates = kbpsValues(args, /^-minrate(:v:\d+)?$/);
        expect(bitrates.length).toBeGreaterThanOrEqual(1);
        expect(maxrates).toHaveLength(bitrates.length);
        expect(bufsizes).toHaveLength(bitrates.length);
        bitrates.forEach((bitrate, index) => {
          expect(maxrates[index]).toBeGreaterThanOrEqual(bitrate);
          expect(bufsizes[index]).toBeGreaterThanOrEqual(maxrates[index] as number);
        });
        for (const minrate of minrates) expect(minrate).toBeLessThanOrEqual(Math.min(...maxrates));
      });

      it('playlistPath is what viewers open', () => {
        expect(playlistPath(profile)).toMatch(/^[\w.-]+\.m3u8$/);
        if (profile.variants.length === 0)
          expect(mediaPlaylistPaths(profile)).toEqual([playlistPath(profile)]);
      });
    });
  }

  it('abr has a master playlist and at least three variants mapped with -var_stream_map', () => {
    const profile = getProfile('abr');
    const args = generatorArgs(profile, '/out');
    expect(profile.variants.length).toBeGreaterThanOrEqual(3);
    expect(flagValue(args, '-master_pl_name')).toBe(playlistPath(profile));
    const streamMap = String(flagValue(args, '-var_stream_map')).split(' ');
    expect(streamMap).toHaveLength(profile.variants.length);
    expect(new Set(mediaPlaylistPaths(profile)).size).toBe(profile.variants.length);
    expect(String(flagValue(args, '-filter_complex'))).toContain(`split=${profile.variants.length}`);
  });

  it('low-latency has 1 s segments and a short list; tiny is 320x180 at 15 fps', () => {
    const lowLatency = getProfile('low-latency');
    expect(lowLatency.segmentSeconds).toBe(1);
    expect(lowLatency.listSize).toBeLessThan(getProfile('default').listSize);
    const tiny = getProfile('tiny');
    expect([tiny.width, tiny.height, tiny.fps]).toEqual([320, 180, 15]);
  });

  it('generatorCommandLine quotes what a shell would split', () => {
    const line = generatorCommandLine(getProfile('abr'), '/var/hls', '/usr/bin/ffmpeg');
    expect(line.startsWith('/usr/bin/ffmpeg -hide_banner')).toBe(true);
    expect(line).toContain("'v:0,a:0,name:480p v:1,a:1,name:360p v:2,a:2,name:240p'");
  });
});
