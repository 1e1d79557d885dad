import { describe, expect, it } from 'vitest';
import { WatchQuantizer } from './watch-quanta.js';

describe('WatchQuantizer', () => {
  it('turns fractional accounts into whole viewer-seconds without drifting from the totals', () => {
    const quantizer = new WatchQuantizer();
    let watched = 0;
    let stalled = 0;
    let played = 0;
    let stallStarts = 0;
    // 100 accounts of 0.97 s: 0.7 played + 0.27 stalled, a stall beginning every 10th.
    for (let n = 0; n < 100; n++) {
      const quanta = quantizer.add(0.7, 0.27, n % 10 === 0 ? 1 : 0);
      watched += quanta.watched;
      stalled += quanta.stalled;
      played += quanta.played;
      stallStarts += quanta.stallStarts;
      expect(Math.abs(watched - 0.97 * (n + 1))).toBeLessThanOrEqual(1 + 1e-9);
      expect(Math.abs(stalled - 0.27 * (n + 1))).toBeLessThanOrEqual(1 + 1e-9);
    }
    const rest = quantizer.flush();
    watched += rest.watched;
    stalled += rest.stalled;
    played += rest.played;
    stallStarts += rest.stallStarts;
    expect(watched).toBe(97);
    expect(stalled).toBe(27);
    expect(played).toBe(70);
    expect(stallStarts).toBe(10);
  });

  it('keeps a stall that began in the last fraction of a second', () => {
    const quantizer = new WatchQuantizer();
    expect(quantizer.add(0.3, 0.2, 1)).toEqual({ watched: 0, stalled: 0, played: 0, stallStarts: 0 });
    expect(quantizer.flush()).toEqual({ watched: 1, stalled: 0, played: 1, stallStarts: 1 });
  });
});
