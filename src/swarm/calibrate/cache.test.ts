import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CalibrationKey,
  cacheFileFor,
  calibrationCacheDir,
  readCalibration,
  urlTarget,
  writeCalibration,
} from './cache.js';
import { recordedEntry } from './test/recorded.js';

const entry = recordedEntry();

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hls-swarm-cache-test-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('calibration cache', () => {
  it('lives in $XDG_CACHE_HOME/hls-swarm, or ~/.cache/hls-swarm when that is unset or relative', () => {
    expect(calibrationCacheDir({ XDG_CACHE_HOME: '/var/cache/me', HOME: '/home/me' })).toBe(
      '/var/cache/me/hls-swarm',
    );
    expect(calibrationCacheDir({ HOME: '/home/me' })).toBe('/home/me/.cache/hls-swarm');
    expect(calibrationCacheDir({ XDG_CACHE_HOME: 'rel', HOME: '/home/me' })).toBe(
      '/home/me/.cache/hls-swarm',
    );
  });

  it('gives back what was written for the same key', () => {
    const dir = tempDir();
    const file = writeCalibration(entry, dir);
    expect(file).toBe(cacheFileFor(entry.key, dir));
    expect(readCalibration({ ...entry.key }, dir)).toEqual(entry);
  });

  it.each<[string, Partial<CalibrationKey>]>([
    ['another host', { hostname: 'other' }],
    ['more cores', { cores: entry.key.cores * 2 }],
    ['more memory', { memTotalBytes: entry.key.memTotalBytes * 2 }],
    ['an ffmpeg upgrade', { ffmpegVersion: '6.1.1' }],
    ['another profile', { target: 'profile:python/default' }],
    ['another log level', { logLevel: 'debug' }],
  ])('misses after a change of %s', (_what, change) => {
    const dir = tempDir();
    writeCalibration(entry, dir);
    expect(readCalibration({ ...entry.key, ...change }, dir)).toBeUndefined();
  });

  it('ignores a corrupt file, another format, and a file holding another key', () => {
    const dir = tempDir();
    const file = cacheFileFor(entry.key, dir);
    writeCalibration(entry, dir);
    writeFileSync(file, '{ not json');
    expect(readCalibration(entry.key, dir)).toBeUndefined();
    writeFileSync(file, JSON.stringify({ ...entry, format: 99 }));
    expect(readCalibration(entry.key, dir)).toBeUndefined();
    writeFileSync(file, JSON.stringify({ ...entry, key: { ...entry.key, cores: 99 } }));
    expect(readCalibration(entry.key, dir)).toBeUndefined();
  });

  it('keys a URL by its hash, so a token in it is never written to the cache', () => {
    const target = urlTarget('http://127.0.0.1:8080/live.m3u8?token=s3cr3t');
    expect(target).toMatch(/^url:[0-9a-f]{16}$/);
    expect(target).not.toContain('s3cr3t');
    expect(urlTarget('http://127.0.0.1:8080/live.m3u8?token=other')).not.toBe(target);
  });
});
