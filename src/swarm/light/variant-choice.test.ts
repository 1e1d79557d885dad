import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePlaylist } from './playlist.js';
import { abrVariant, initialVariant, type LightVariant } from './variant-choice.js';

// Recorded by fixtures/record/origin-playlists.ts: the `abr` profile's master (480p, 360p, 240p).
const masterText = readFileSync(new URL('../../../fixtures/origin/abr-master.m3u8', import.meta.url), 'utf8');
const master = parsePlaylist(masterText, 'http://127.0.0.1:17080/master.m3u8');
if (master.kind !== 'master') throw new Error('the recorded abr master did not parse as a master playlist');
const variants = master.variants;
const byName = (name: string) =>
  variants.find((variant) => variant.url.endsWith(`stream_${name}.m3u8`)) as LightVariant;
const [p480, p360, p240] = [byName('480p'), byName('360p'), byName('240p')];

describe('fixed variant policies', () => {
  it('highest, lowest and first pick by BANDWIDTH and by position', () => {
    expect(initialVariant(variants, 'highest', 0)).toBe(p480);
    expect(initialVariant(variants, 'lowest', 0)).toBe(p240);
    expect(initialVariant(variants, 'first', 0)).toBe(variants[0]);
    expect(initialVariant([], 'highest', 0)).toBeUndefined();
  });
});

describe('abr rule (hls.js margins: 0.95 to stay or go down, 0.7 to go up)', () => {
  it('starts on the highest variant that fits the default estimate, else the lowest', () => {
    // 0.95 × 500 kbit/s = 475 kbit/s: even 240p (510 kbit/s) does not fit.
    expect(initialVariant(variants, 'abr', 500_000)).toBe(p240);
    expect(initialVariant(variants, 'abr', 1_100_000)).toBe(p360);
    expect(initialVariant(variants, 'abr', 1_600_000)).toBe(p480);
  });

  it('stays when going up lacks the wide margin', () => {
    // 480p needs 1 425 600 ≤ 0.7 × estimate, i.e. an estimate ≥ 2.04 Mbit/s.
    expect(abrVariant(variants, p360, 1_200_000)).toBe(p360);
    expect(abrVariant(variants, p360, 2_000_000)).toBe(p360);
    expect(abrVariant(variants, p360, 2_100_000)).toBe(p480);
  });

  it('goes down as soon as the current variant no longer fits with the small margin', () => {
    // 480p stays while 1 425 600 ≤ 0.95 × estimate, i.e. an estimate ≥ 1.5006 Mbit/s.
    expect(abrVariant(variants, p480, 1_510_000)).toBe(p480);
    expect(abrVariant(variants, p480, 1_500_000)).toBe(p360);
    expect(abrVariant(variants, p480, 1_000_000)).toBe(p240);
  });

  it('falls back to the lowest variant when none fits', () => {
    expect(abrVariant(variants, p240, 300_000)).toBe(p240);
    expect(abrVariant(variants, p480, 300_000)).toBe(p240);
  });
});
