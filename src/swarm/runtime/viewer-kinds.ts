import type { Variant, ViewerCounts } from '../../config/index.js';
import type { LightVariantPolicy } from '../light/index.js';
import type { ViewerKind } from '../types.js';
import { type RampPlan, subPlan } from './ramp.js';

/*
 * Which viewer ids are light viewers, and which variant policy each kind plays.
 *
 * Ids are interleaved, not split in two blocks: viewer i (i modulo the total, for stages that
 * go past `clients`) is light when ⌊(i+1)·L/T⌋ > ⌊i·L/T⌋ (L light of T viewers). Any prefix of
 * ids then holds ⌊n·L/T⌋ light viewers, within one of the exact share, so every point of a
 * ramp (starts go by id; stages stop the highest ids first) mixes the kinds as the whole run
 * does, and a short ramp or an early abort never runs one kind alone. Id 0 is an ffmpeg viewer
 * whenever there is one (what --print-cmd shows).
 */

export function viewerKindOf(clientId: number, counts: ViewerCounts): ViewerKind {
  const total = counts.ffmpeg + counts.light;
  if (counts.light === 0 || total === 0) return 'ffmpeg';
  if (counts.ffmpeg === 0) return 'light';
  const i = clientId % total;
  return Math.floor(((i + 1) * counts.light) / total) > Math.floor((i * counts.light) / total)
    ? 'light'
    : 'ffmpeg';
}

/** The plan's ffmpeg viewers alone (the start gate's, the log FIFOs', the timed share's); the plan itself without light viewers. */
export function ffmpegPlanOf(plan: RampPlan, counts: ViewerCounts): RampPlan {
  if (counts.light === 0) return plan;
  return subPlan(plan, (clientId) => viewerKindOf(clientId, counts) === 'ffmpeg');
}

/**
 * The policy ffmpeg viewers play: `abr` is a light-viewer policy (the schema rejects it without
 * light viewers); beside them, ffmpeg viewers play `highest`, what `abr` settles on when the
 * link is ample.
 */
export function ffmpegVariantOf(variant: Variant): Exclude<Variant, 'abr'> {
  return variant === 'abr' ? 'highest' : variant;
}

/** The policy light viewers play: `all` means nothing to a one-variant player, so `highest`. */
export function lightVariantOf(variant: Variant): LightVariantPolicy {
  return variant === 'all' ? 'highest' : variant;
}
