import { execFile } from 'node:child_process';
import { findBinary, HlsSwarmError } from '../../system/index.js';

export type Variant = 'all' | 'highest' | 'lowest' | 'first';
export type VariantProbePolicy = 'fallback' | 'fail';

export interface VariantSelection {
  /** Stream specifiers for `-map` (e.g. ['0:p:2'], or ['0'] for every variant). */
  maps: string[];
  chosen?: { bitrate: number; program: number };
  /** Why the choice is what it is (e.g. the probe failed and the first variant was used). */
  note?: string;
}

/** A variant probe failed and the policy says to fail. */
export class VariantProbeError extends HlsSwarmError {
  override readonly name = 'VariantProbeError';
  readonly code = 'HLS_SWARM_VARIANT_PROBE';
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(
      `Could not probe the variants of ${url}: ${reason}. ` +
        "Check the URL is a reachable HLS playlist, or set swarm.variantProbeFailure to 'fallback' (uses the first variant) or variant to 'all'.",
    );
  }
}

export interface ProbedProgram {
  program: number;
  bitrate: number;
}

/** Pure: programs and their `variant_bitrate` from `ffprobe -show_programs -of json` output. */
export function parseProbePrograms(json: string): ProbedProgram[] {
  const parsed = JSON.parse(json) as {
    programs?: Array<{
      program_id?: number;
      tags?: Record<string, string>;
      streams?: Array<{ tags?: Record<string, string> }>;
    }>;
  };
  const programs: ProbedProgram[] = [];
  for (const program of parsed.programs ?? []) {
    if (typeof program.program_id !== 'number') continue;
    const tagged = program.tags?.variant_bitrate ?? program.streams?.[0]?.tags?.variant_bitrate;
    const bitrate = Number(tagged ?? 0);
    programs.push({ program: program.program_id, bitrate: Number.isFinite(bitrate) ? bitrate : 0 });
  }
  return programs;
}

/** Pure: which program a policy picks. */
export function chooseProgram(
  programs: ProbedProgram[],
  variant: Exclude<Variant, 'all'>,
): ProbedProgram | undefined {
  if (programs.length === 0) return undefined;
  if (variant === 'first') return [...programs].sort((a, b) => a.program - b.program)[0];
  const sorted = [...programs].sort((a, b) => a.bitrate - b.bitrate || a.program - b.program);
  return variant === 'lowest' ? sorted[0] : sorted[sorted.length - 1];
}

function runFfprobe(ffprobe: string, url: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      ffprobe,
      ['-v', 'error', '-rw_timeout', String(timeoutMs * 1000), '-show_programs', '-of', 'json', url],
      { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 8 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(stderr.trim().split('\n').pop() || error.message));
        else resolve(stdout);
      },
    );
  });
}

/**
 * Picks the variant(s) a viewer plays. `all` needs no probe (`-map 0`: every stream of every
 * variant; with no -map at all ffmpeg would keep one video+audio pair, i.e. one variant). `highest`/`lowest` probe the master playlist's programs by `variant_bitrate`;
 * `first` is program 0 and needs no probe. A failed probe falls back to the first variant
 * (with a note) or throws VariantProbeError, by policy.
 */
export async function selectVariant(
  url: string,
  variant: Variant,
  policy: VariantProbePolicy,
  ffprobePath = 'ffprobe',
  timeoutMs = 30_000,
): Promise<VariantSelection> {
  // Without -map ffmpeg keeps one video and one audio stream (the "best"), and the hls demuxer
  // then fetches only that variant: `all` must map every stream of input 0 to load every variant.
  if (variant === 'all') return { maps: ['0'], note: 'every variant (-map 0)' };
  if (variant === 'first') return { maps: ['0:p:0'], note: 'first variant (program 0)' };
  const fallback = (reason: string): VariantSelection => {
    if (policy === 'fail') throw new VariantProbeError(url, reason);
    return { maps: ['0:p:0'], note: `variant probe failed (${reason}); using the first variant` };
  };
  const ffprobe = findBinary(ffprobePath);
  if (!ffprobe) return fallback(`${ffprobePath} not found on PATH (install ffmpeg)`);
  let programs: ProbedProgram[];
  try {
    programs = parseProbePrograms(await runFfprobe(ffprobe, url, timeoutMs));
  } catch (error) {
    return fallback((error as Error).message);
  }
  const chosen = chooseProgram(programs, variant);
  if (!chosen) return fallback('ffprobe listed no programs');
  return {
    maps: [`0:p:${chosen.program}`],
    chosen: { bitrate: chosen.bitrate, program: chosen.program },
    note: `${variant} of ${programs.length} variant(s): program ${chosen.program} at ${chosen.bitrate} b/s`,
  };
}
