/*
 * Light viewers: an in-process model of a live HLS player, thousands per core, beside the
 * ffmpeg viewers. A LightFleet shares one scheduler, one capped keep-alive pool per origin and
 * one parse cache among its viewers; each viewer fetches its own playlists and segments, keeps
 * a modelled buffer, stalls and (with `abr`) switches variants, and reports every request as a
 * swarm RequestRecord timed in µs. docs/light-viewers.md describes the model and its rules.
 */
export { BandwidthEstimator, type BandwidthEstimatorOptions, Ewma } from './bandwidth.js';
export { LIGHT_ERROR_CODES, type LightErrorCode, type LightViewerError } from './errors.js';
export { DEFAULT_MAX_PLAYLIST_BYTES, LightFleet, type LightFleetParts, lightUserAgent } from './fleet.js';
export { DEFAULT_LIGHT_CONNECTIONS, LightHttp, type LightHttpOptions, type TimedResponse } from './http.js';
export {
  LIVE_SYNC_TARGET_DURATIONS,
  liveStartIndex,
  playlistStale,
  reloadIntervalMs,
  secondsAfter,
} from './live-edge.js';
export { PlaybackBuffer, type PlaybackState, type RebufferEvent } from './playback-buffer.js';
export {
  type LightSegment,
  type MasterPlaylistInfo,
  type MediaPlaylistInfo,
  type PlaylistFault,
  type PlaylistInfo,
  parsePlaylist,
} from './playlist.js';
export { LightScheduler, type ScheduledTask, type SchedulerClock } from './scheduler.js';
export { segmentValidatorFor } from './segment-check.js';
export type {
  LightFleetEvents,
  LightFleetOptions,
  LightRebufferEvent,
  LightRequestRecord,
  LightVariantSwitchEvent,
  LightViewerCounters,
  LightViewerStoppedEvent,
} from './types.js';
export {
  type AbrFactors,
  abrVariant,
  initialVariant,
  LIGHT_VARIANT_POLICIES,
  type LightVariant,
  type LightVariantPolicy,
} from './variant-choice.js';
export { LightViewer, type LightViewerState, lightRequestRecord, STOPPED_BEFORE_RESPONSE } from './viewer.js';
