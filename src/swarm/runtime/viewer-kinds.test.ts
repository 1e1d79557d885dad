import { describe, expect, it } from 'vitest';
import { buildRampPlan } from './ramp.js';
import { ffmpegPlanOf, ffmpegVariantOf, lightVariantOf, viewerKindOf } from './viewer-kinds.js';

describe('viewer kinds in a mixed swarm', () => {
  it("each kind's variant policy follows from the swarm's", () => {
    expect(ffmpegVariantOf('abr')).toBe('highest');
    expect(lightVariantOf('all')).toBe('highest');
    expect(lightVariantOf('lowest')).toBe('lowest');
    expect(ffmpegVariantOf('first')).toBe('first');
  });

  it('interleaves the kinds by id: every prefix holds its share, within one viewer', () => {
    const counts = { ffmpeg: 2, light: 6 };
    expect(Array.from({ length: 8 }, (_, id) => viewerKindOf(id, counts)).join(' ')).toBe(
      'ffmpeg light light light ffmpeg light light light',
    );
    for (const [ffmpeg, light] of [
      [1, 999],
      [37, 63],
      [5, 0],
      [0, 5],
      [3, 7],
    ] as const) {
      const total = ffmpeg + light;
      let lights = 0;
      for (let id = 0; id < 3 * total; id++) {
        if (viewerKindOf(id, { ffmpeg, light }) === 'light') lights++;
        // Past the total (stages above clients) the pattern repeats.
        expect(Math.abs(lights - ((id + 1) * light) / total)).toBeLessThan(1);
      }
      expect(lights).toBe(3 * light);
      if (ffmpeg > 0) expect(viewerKindOf(0, { ffmpeg, light })).toBe('ffmpeg');
    }
  });

  it("the ffmpeg viewers' plan keeps their events at the same times", () => {
    const plan = buildRampPlan({ clients: 8, rampRatePerSecond: 4, rampJitterMs: 0, durationMs: 10_000 });
    const counts = { ffmpeg: 2, light: 6 };
    const ffmpeg = ffmpegPlanOf(plan, counts);
    expect(ffmpeg.events.map((event) => [event.clientId, event.atMs])).toEqual([
      [0, 0],
      [4, 1000],
    ]);
    expect(ffmpeg.peakClients).toBe(2);
    expect(ffmpegPlanOf(plan, { ffmpeg: 8, light: 0 })).toBe(plan);
  });
});
