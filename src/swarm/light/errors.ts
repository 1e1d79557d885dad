/*
 * What can go wrong for one light viewer. None of these stops the swarm or the viewer: each
 * is an event with the URL and a reason, and a count per code on the viewer; the viewer then
 * does what a player does (retries the playlist, moves on to the next segment).
 */

export const LIGHT_ERROR_CODES = [
  /** The origin answered with an HTTP status ≥ 400 (a variant or segment 404…). */
  'http-status',
  /** No connection to the origin (refused, unreachable, DNS). */
  'connect',
  /** No response headers, or no body progress, within the timeout. */
  'timeout',
  /** The body ended before its Content-Length, or the connection broke mid-body. */
  'body-cut',
  /** A playlist over the size cap (1 MiB by default): not read further. */
  'playlist-too-large',
  /** A playlist whose first line is not #EXTM3U. */
  'missing-extm3u',
  /** A media playlist without EXT-X-TARGETDURATION. */
  'no-target-duration',
  /** A master playlist with no playable variant. */
  'no-variants',
  /** A playlist the parser rejects. */
  'unparsable',
  /** A live media playlist that has not advanced for `staleAfterTargetDurations` target durations. */
  'playlist-stale',
  /** A segment whose packets are broken (TS sync bytes, fMP4 box headers). */
  'segment-invalid',
  /** Anything else (a bug in the viewer included: it is reported, never thrown). */
  'other',
] as const;

export type LightErrorCode = (typeof LIGHT_ERROR_CODES)[number];

/** One fault seen by one light viewer. */
export interface LightViewerError {
  clientId: number;
  /** Epoch ms. */
  atMs: number;
  code: LightErrorCode;
  /** The URL it concerns (the playlist or segment), secrets not yet redacted: redact before printing. */
  url: string;
  /** What happened, for people (e.g. 'HTTP 404', 'body ended at 50000 of 82156 bytes'). */
  reason: string;
}
