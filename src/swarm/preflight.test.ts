import { describe, expect, it } from 'vitest';
import { preflight } from './preflight.js';

describe('preflight --skip-preflight', () => {
  it('still locates ffmpeg but neither checks nor raises the limits', async () => {
    // A million viewers would fail the open-files check; skipped, it only says so.
    const report = await preflight({ clients: 1_000_000_000, skipLimits: true, dryRun: true });
    expect(report.ffmpeg.path).toMatch(/ffmpeg$/);
    expect(report.ffmpeg.version).not.toBe('unknown');
    expect(report.lines.some((line) => line.startsWith('limits: not checked (--skip-preflight)'))).toBe(true);
    expect(report.openFiles.raisedFrom).toBeUndefined();
    await expect(preflight({ clients: 1_000_000_000, dryRun: true })).rejects.toThrow(
      /Open-files limit too low/,
    );
    await expect(
      preflight({ clients: 1, skipLimits: true, ffmpegPath: 'no-such-ffmpeg-binary' }),
    ).rejects.toThrow(/not found/);
  });
});

describe('preflight with light viewers', () => {
  it('counts one descriptor per light-pool connection, not a process per light viewer', async () => {
    // 10 ffmpeg viewers and a light pool of 1024 fit any usual limit; the recommendation says so.
    const report = await preflight({ clients: 10, lightConnections: 1024, dryRun: true });
    expect(report.lines).toContainEqual(expect.stringMatching(/recommended 1324\b/));
    // A pool no process can hold is refused, naming both kinds.
    await expect(preflight({ clients: 10, lightConnections: 1_000_000_000, dryRun: true })).rejects.toThrow(
      /10 ffmpeg viewers and 1000000000 light-viewer connections need at least 1000000140 descriptors/,
    );
  });
});
