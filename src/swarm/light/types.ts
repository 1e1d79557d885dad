import type { WatchAccount } from '../stats/player-model.js';
import type { PlaybackSample, RequestRecord } from '../types.js';
import type { BandwidthEstimatorOptions } from './bandwidth.js';
import type { LightErrorCode, LightViewerError } from './errors.js';
import type { AbrFactors, LightVariantPolicy } from './variant-choice.js';

/*
 * The seam between light viewers and the swarm engine. A light viewer's request record IS a
 * swarm RequestRecord (same counters, distributions and thresholds downstream), with the µs
 * integers it was computed from and the viewer kind beside it; playback comes as the same
 * WatchAccount / PlaybackSample shapes the ffmpeg viewers' player model produces. Times are
 * epoch ms (`…Ms`) like the rest of the swarm; durations in seconds (`…Seconds`) or µs (`…Micros`).
 */

export type { LightErrorCode, LightViewerError } from './errors.js';

/** One HTTP request of one light viewer. */
export interface LightRequestRecord extends RequestRecord {
  viewerKind: 'light';
  /** Sent → response headers, µs (process.hrtime.bigint); ttfbSeconds is this / 1e6. */
  ttfbMicros?: number;
  /** Sent → last body byte, µs; durationSeconds is this / 1e6. Absent when the body did not complete. */
  durationMicros?: number;
  /** Dispatch → sent: waiting for a pooled connection or for a connect, µs (the generator's side, not the origin's). */
  waitMicros: number;
  /** The fault behind `ok: false` (or a sound request whose content was not: a bad playlist, a broken segment). */
  fault?: { code: LightErrorCode; reason: string };
  /** BANDWIDTH of the variant this request belongs to (0 for a media playlist opened directly, absent for the master). */
  variantBandwidth?: number;
}

/** A stall after video start, in epoch ms. `endedByStop`: the viewer was stopped while stalled. */
export interface LightRebufferEvent {
  clientId: number;
  startMs: number;
  endMs: number;
  durationSeconds: number;
  endedByStop?: boolean;
}

export interface LightVariantSwitchEvent {
  clientId: number;
  atMs: number;
  fromBandwidth: number;
  toBandwidth: number;
  /** The throughput estimate that decided it, bits/s. */
  estimateBps: number;
}

export interface LightViewerStoppedEvent {
  clientId: number;
  atMs: number;
  uptimeMs: number;
  /** Playback began (a first segment was in) before the stop. */
  videoStarted: boolean;
  /** The last fault seen before video start, when it never started ('404', 'timeout', 'missing-extm3u'…). */
  startFailure?: string;
  /** Playing and stalled time since the viewer started. */
  watch: WatchAccount;
}

export interface LightFleetEvents {
  request: [LightRequestRecord];
  viewerError: [LightViewerError];
  /** start() → playback began (first segment in). */
  startup: [{ clientId: number; atMs: number; seconds: number }];
  /** The buffer ran dry (epoch ms of that exact moment). */
  stall: [{ clientId: number; atMs: number }];
  /** A stall ended (or the viewer stopped in one). */
  rebuffer: [LightRebufferEvent];
  variantSwitch: [LightVariantSwitchEvent];
  viewerStopped: [LightViewerStoppedEvent];
}

/** Per-viewer counters (exact, since the viewer started). */
export interface LightViewerCounters {
  requests: { manifest: number; segment: number; init: number };
  bytes: { manifest: number; segment: number; init: number };
  errors: Partial<Record<LightErrorCode, number>>;
  /** Live segments that left the playlist before the viewer got to them. */
  segmentsSkipped: number;
  variantSwitches: number;
  /** Media playlist loads that found it changed / unchanged. */
  reloadsChanged: number;
  reloadsUnchanged: number;
}

export interface LightFleetOptions {
  /** The stream: a master playlist or a media playlist. */
  url: string;
  /** Default 'abr' (what a player does unless told otherwise). */
  variant?: LightVariantPolicy;
  /** Extra request headers (e.g. Authorization); the User-Agent is set per viewer. */
  headers?: Record<string, string>;
  /**
   * The run id: each viewer then sends `CMCD-Session: sid="<runId>-<id>"`, as ffmpeg viewers do, so
   * access logs tell viewers apart (a user's own CMCD-Session header wins).
   */
  runId?: string;
  /** User-Agent template (swarm.userAgent); '{id}' → the viewer id. Default `hls-swarm/<version>/light-<id>`. */
  userAgent?: string;
  /** Response headers and body idle timeout, ms; default 15 000. */
  timeoutMs?: number;
  /** Connections per origin for the whole fleet; default 4096 (a viewer has at most 2 requests in flight). */
  connectionsPerOrigin?: number;
  /** Playlist bodies over this are a fault and not read further; default 1 MiB. */
  maxPlaylistBytes?: number;
  /** Forward buffer a viewer fills before it waits (hls.js maxBufferLength); default 30 s. */
  maxBufferSeconds?: number;
  /** Target durations behind the live edge a viewer starts; default 3. */
  liveSyncTargetDurations?: number;
  /** A live playlist unchanged this many target durations is stale; default 3. */
  staleAfterTargetDurations?: number;
  /** Check each segment's packets (TS sync bytes, fMP4 box headers); default false. */
  validateSegments?: boolean;
  /** The `abr` policy's estimator and margins (defaults: hls.js's). */
  abr?: BandwidthEstimatorOptions & AbrFactors;
}

export type { PlaybackSample };
