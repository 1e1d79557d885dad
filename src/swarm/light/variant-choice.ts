/*
 * Which variant of a master playlist a light viewer plays. `highest`, `lowest`, `first` are
 * fixed for the viewer's life (the same policies as ffmpeg viewers; `all` has no meaning for a
 * player, which plays one variant at a time). `abr` re-chooses after every segment, with the
 * rule hls.js's AbrController applies to its bandwidth estimate (bandwidth.ts):
 *  - a variant at or below the current one fits when its BANDWIDTH ≤ 0.95 × estimate
 *    (abrBandWidthFactor): staying or going down needs only a small margin;
 *  - a variant above the current one fits only when its BANDWIDTH ≤ 0.7 × estimate
 *    (abrBandWidthUpFactor): going up needs a wide margin, so a viewer does not oscillate;
 *  - the highest variant that fits is chosen; when none does, the lowest.
 * The first choice, before any sample, applies the same rule to the default estimate
 * (500 kbit/s), as hls.js does when it starts on its own estimate.
 */

export type LightVariantPolicy = 'highest' | 'lowest' | 'first' | 'abr';

export const LIGHT_VARIANT_POLICIES: readonly LightVariantPolicy[] = ['highest', 'lowest', 'first', 'abr'];

/** A variant as the viewer knows it: its media playlist and declared peak bit rate. */
export interface LightVariant {
  url: string;
  /** EXT-X-STREAM-INF BANDWIDTH, bits/s (0 when the playlist gave none). */
  bandwidth: number;
  /** Position in the master playlist (0 = first listed). */
  index: number;
}

export interface AbrFactors {
  /** Margin to stay on or go down to a variant; default 0.95. */
  bandwidthFactor?: number;
  /** Margin to go up; default 0.7. */
  bandwidthUpFactor?: number;
}

/** Variants by ascending bandwidth, then by position (a stable order for equal rates). */
export function byBandwidth(variants: readonly LightVariant[]): LightVariant[] {
  return [...variants].sort((a, b) => a.bandwidth - b.bandwidth || a.index - b.index);
}

/** The variant a fixed policy plays (`abr`: the first choice, on `estimateBps`). */
export function initialVariant(
  variants: readonly LightVariant[],
  policy: LightVariantPolicy,
  estimateBps: number,
  factors: AbrFactors = {},
): LightVariant | undefined {
  if (variants.length === 0) return undefined;
  if (policy === 'first') return [...variants].sort((a, b) => a.index - b.index)[0];
  const sorted = byBandwidth(variants);
  if (policy === 'lowest') return sorted[0];
  if (policy === 'highest') return sorted[sorted.length - 1];
  // No current variant yet: every candidate is judged with the stay/down margin.
  return abrVariant(sorted, sorted[sorted.length - 1] as LightVariant, estimateBps, factors);
}

/** The `abr` rule: the variant to play next, given the current one and the estimate. */
export function abrVariant(
  variants: readonly LightVariant[],
  current: LightVariant,
  estimateBps: number,
  factors: AbrFactors = {},
): LightVariant {
  const sorted = byBandwidth(variants);
  const down = factors.bandwidthFactor ?? 0.95;
  const up = factors.bandwidthUpFactor ?? 0.7;
  for (let index = sorted.length - 1; index >= 0; index--) {
    const candidate = sorted[index] as LightVariant;
    const above = candidate.bandwidth > current.bandwidth;
    if (candidate.bandwidth <= (above ? up : down) * estimateBps) return candidate;
  }
  return sorted[0] ?? current;
}
