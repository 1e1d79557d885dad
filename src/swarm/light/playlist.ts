import * as hlsParser from 'hls-parser';
import type { LightErrorCode } from './errors.js';
import type { LightVariant } from './variant-choice.js';

/*
 * Playlists are parsed with hls-parser (kuu/hls-parser) rather than m3u8-parser: it has no
 * dependencies (m3u8-parser pulls @babel/runtime, @videojs/vhs-utils and `global`), ships its
 * own TypeScript types, and returns typed master/media objects with media sequence numbers
 * and EXT-X-MAP already resolved per segment. It runs in its lenient mode (a player tolerates
 * what real origins send); the faults a player cannot play through are checked here and
 * classified: no `#EXTM3U` first line, a media playlist without EXT-X-TARGETDURATION, a master
 * playlist without a playable variant, text hls-parser rejects.
 *
 * Every light viewer downloads its own copy of each playlist (never shared), but the same
 * bytes parse to the same result: a small cache keyed on the playlist's URL and text spares
 * thousands of viewers re-parsing the identical text of one reload. Results are frozen.
 */

// Lenient and silent: hls-parser would otherwise print each spec nit on stderr.
hlsParser.setOptions({ silent: true });

export interface LightSegment {
  /** Media sequence number. */
  readonly msn: number;
  readonly durationSeconds: number;
  readonly url: string;
  /** EXT-X-BYTERANGE as an HTTP Range value (`bytes=a-b`). */
  readonly range?: string;
  /** The EXT-X-MAP (init section) this segment needs. */
  readonly init?: { readonly url: string; readonly range?: string };
}

export interface MasterPlaylistInfo {
  readonly kind: 'master';
  readonly variants: readonly LightVariant[];
}

export interface MediaPlaylistInfo {
  readonly kind: 'media';
  readonly targetDurationSeconds: number;
  /** EXT-X-ENDLIST: no more segments will come (no more reloads). */
  readonly endList: boolean;
  readonly segments: readonly LightSegment[];
}

export interface PlaylistFault {
  readonly kind: 'fault';
  readonly code: Extract<
    LightErrorCode,
    'missing-extm3u' | 'no-target-duration' | 'no-variants' | 'unparsable'
  >;
  readonly reason: string;
}

export type PlaylistInfo = MasterPlaylistInfo | MediaPlaylistInfo | PlaylistFault;

/** A Range header value for an EXT-X-BYTERANGE, when it has a definite offset. */
function rangeOf(byterange: { length: number; offset?: number } | undefined): string | undefined {
  if (!byterange || byterange.offset === undefined || !(byterange.length > 0)) return undefined;
  return `bytes=${byterange.offset}-${byterange.offset + byterange.length - 1}`;
}

function resolve(uri: string, baseUrl: string): string {
  return new URL(uri, baseUrl).href;
}

/** Pure: a playlist's text (fetched from `url`) → what a player needs from it, or the fault that stops it. */
export function parsePlaylist(text: string, url: string): PlaylistInfo {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (!body.trimStart().startsWith('#EXTM3U')) {
    const first = body.trimStart().split(/\r?\n/, 1)[0]?.slice(0, 40) ?? '';
    return {
      kind: 'fault',
      code: 'missing-extm3u',
      reason: `not an HLS playlist: the first line is not #EXTM3U (it starts ${JSON.stringify(first)})`,
    };
  }
  let parsed: hlsParser.types.MasterPlaylist | hlsParser.types.MediaPlaylist;
  try {
    parsed = hlsParser.parse(body);
  } catch (error) {
    return { kind: 'fault', code: 'unparsable', reason: `unparsable playlist: ${(error as Error).message}` };
  }
  try {
    return parsed.isMasterPlaylist ? masterInfo(parsed, url) : mediaInfo(parsed, url);
  } catch (error) {
    // A URI that cannot be resolved against the playlist's URL.
    return { kind: 'fault', code: 'unparsable', reason: `unusable playlist: ${(error as Error).message}` };
  }
}

function masterInfo(parsed: hlsParser.types.MasterPlaylist, url: string): PlaylistInfo {
  const variants: LightVariant[] = [];
  for (const variant of parsed.variants) {
    // Lenient hls-parser hands over whatever follows a tag as its URI (even the next tag): a string or nothing.
    if (variant.isIFrameOnly || typeof variant.uri !== 'string' || variant.uri === '') continue;
    const bandwidth = Number.isFinite(variant.bandwidth) && variant.bandwidth > 0 ? variant.bandwidth : 0;
    variants.push(Object.freeze({ url: resolve(variant.uri, url), bandwidth, index: variants.length }));
  }
  if (variants.length === 0)
    return { kind: 'fault', code: 'no-variants', reason: 'master playlist lists no playable variant' };
  return Object.freeze({ kind: 'master', variants: Object.freeze(variants) });
}

function mediaInfo(parsed: hlsParser.types.MediaPlaylist, url: string): PlaylistInfo {
  const targetDurationSeconds = Number(parsed.targetDuration);
  if (!(targetDurationSeconds > 0)) {
    return {
      kind: 'fault',
      code: 'no-target-duration',
      reason: 'media playlist has no EXT-X-TARGETDURATION (a player cannot schedule its reloads)',
    };
  }
  const segments: LightSegment[] = [];
  for (const segment of parsed.segments) {
    if (typeof segment.uri !== 'string' || segment.uri === '') continue;
    const range = rangeOf(segment.byterange);
    const initRange = rangeOf(segment.map?.byterange);
    segments.push(
      Object.freeze({
        msn: segment.mediaSequenceNumber,
        durationSeconds: segment.duration > 0 ? segment.duration : targetDurationSeconds,
        url: resolve(segment.uri, url),
        ...(range ? { range } : {}),
        ...(typeof segment.map?.uri === 'string' && segment.map.uri !== ''
          ? {
              init: Object.freeze({
                url: resolve(segment.map.uri, url),
                ...(initRange ? { range: initRange } : {}),
              }),
            }
          : {}),
      }),
    );
  }
  return Object.freeze({
    kind: 'media',
    targetDurationSeconds,
    endList: parsed.endlist,
    segments: Object.freeze(segments),
  });
}

/** Texts longer than this are parsed every time (a cache entry must stay small). */
const CACHEABLE_TEXT_CHARS = 64 * 1024;

/**
 * Parse results by (URL, text), least recently inserted out first. Bounded in entries and in
 * text size, so its memory is bounded whatever the origin sends.
 */
export class PlaylistCache {
  private readonly entries = new Map<string, PlaylistInfo>();
  hits = 0;
  misses = 0;

  constructor(private readonly maxEntries = 256) {}

  parse(text: string, url: string): PlaylistInfo {
    if (text.length > CACHEABLE_TEXT_CHARS) return parsePlaylist(text, url);
    const key = `${url}\n${text}`;
    const cached = this.entries.get(key);
    if (cached) {
      this.hits++;
      return cached;
    }
    this.misses++;
    const info = parsePlaylist(text, url);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, info);
    return info;
  }
}
