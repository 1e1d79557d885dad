import type { RequestKind } from '../../config/index.js';
import { type BackoffPolicy, restartDelayMs } from '../runtime/backoff.js';
import type { WatchAccount } from '../stats/player-model.js';
import type { PlaybackSample } from '../types.js';
import { BandwidthEstimator } from './bandwidth.js';
import type { LightErrorCode } from './errors.js';
import type { LightHttp, RequestHandle, TimedResponse } from './http.js';
import { liveStartIndex, playlistStale, reloadIntervalMs, secondsAfter } from './live-edge.js';
import { PlaybackBuffer } from './playback-buffer.js';
import type { LightSegment, MediaPlaylistInfo, PlaylistCache, PlaylistInfo } from './playlist.js';
import type { LightScheduler, ScheduledTask } from './scheduler.js';
import { segmentValidatorFor } from './segment-check.js';
import type { LightFleetEvents, LightRequestRecord, LightViewerCounters } from './types.js';
import {
  type AbrFactors,
  abrVariant,
  initialVariant,
  type LightVariant,
  type LightVariantPolicy,
} from './variant-choice.js';

/*
 * One light viewer: a live HLS player as a state machine on the fleet's one scheduler.
 *   start → load the entry playlist (master: pick a variant; media: play it) → load the media
 *   playlist → start `liveSync` target durations behind its live edge → download segments one
 *   at a time, in media-sequence order, into the playback buffer (drained in real time) →
 *   reload the media playlist on the RFC 8216 §6.3.4 schedule, alongside the downloads.
 * With `abr`, each segment's throughput feeds the estimator and the next variant is chosen by
 * the rule in variant-choice.ts; a switch loads the new variant's playlist and carries on at the
 * next media sequence number (variants of one live encoder are aligned on it).
 * Faults never throw out of here: each becomes a viewerError event, counted, and the viewer
 * does what a player does: a playlist is retried (backoff before the first load, the unchanged
 * reload interval after), a failed or broken segment is passed over for the next one.
 * At most two requests are in flight: a playlist load beside a segment download.
 */

/** Options the fleet resolved once for all its viewers. */
export interface ResolvedLightOptions {
  url: string;
  variant: LightVariantPolicy;
  headers: Record<string, string>;
  userAgentFor: (clientId: number) => string;
  /** The CMCD-Session header value of a viewer, when the run has an id. */
  cmcdSessionFor?: (clientId: number) => string;
  maxPlaylistBytes: number;
  maxBufferSeconds: number;
  liveSyncTargetDurations: number;
  staleAfterTargetDurations: number;
  validateSegments: boolean;
  abr: ConstructorParameters<typeof BandwidthEstimator>[0] & AbrFactors;
}

/** What a viewer shares with its fleet. */
export interface LightViewerContext {
  scheduler: LightScheduler;
  http: LightHttp;
  playlists: PlaylistCache;
  options: ResolvedLightOptions;
  /** Monotonic ms (the scheduler's clock) → epoch ms. */
  epochOf(monotonicMs: number): number;
  emit<K extends keyof LightFleetEvents>(event: K, ...args: LightFleetEvents[K]): void;
}

/** idle → starting (loading its first playlists) → running (has a media playlist) → stopped. */
export type LightViewerState = 'idle' | 'starting' | 'running' | 'stopped';

/** Retries of a playlist that never loaded: 1 s, 2 s, 4 s, then every 8 s (±20 %). */
const FIRST_LOAD_BACKOFF: BackoffPolicy = {
  initialMs: 1000,
  multiplier: 2,
  maxMs: 8000,
  jitter: 0.2,
  resetAfterMs: 0,
};

type PlaylistResult =
  | { ok: true; info: Exclude<PlaylistInfo, { kind: 'fault' }>; text: string; startMonoMs: number }
  | { ok: false; startMonoMs: number };

export class LightViewer {
  private stateValue: LightViewerState = 'idle';
  private readonly headers: Record<string, string>;
  private readonly estimator: BandwidthEstimator;
  private buffer: PlaybackBuffer | undefined;
  private startedMonoMs = 0;
  private variants: readonly LightVariant[] | undefined;
  private current: LightVariant | undefined;
  /** The media playlist last loaded (of `mediaVariant`), its text and when its load began. */
  private media: MediaPlaylistInfo | undefined;
  private mediaVariant: LightVariant | undefined;
  private mediaText: string | undefined;
  private mediaLoadedMonoMs = 0;
  private lastChangeMonoMs = 0;
  private staleReported = false;
  private nextMsn: number | undefined;
  private lastAppendedMsn: number | undefined;
  /** Media seconds appended to the buffer since video start (the playhead's timeline). */
  private appendedSeconds = 0;
  private loadedInitKey: string | undefined;
  private firstLoadFailures = 0;
  private lastStartFailure: string | undefined;
  private reloadTask: ScheduledTask | undefined;
  private pumpTask: ScheduledTask | undefined;
  private dryTask: ScheduledTask | undefined;
  private segmentRequest: RequestHandle | undefined;
  /** Every request in flight (a playlist load of a variant left behind by a switch included). */
  private readonly inFlight = new Set<RequestHandle>();
  private previousSample:
    | { monoMs: number; playhead: number; segmentBytes: number; appended: number }
    | undefined;
  readonly counters: LightViewerCounters = {
    requests: { manifest: 0, segment: 0, init: 0 },
    bytes: { manifest: 0, segment: 0, init: 0 },
    errors: {},
    segmentsSkipped: 0,
    variantSwitches: 0,
    reloadsChanged: 0,
    reloadsUnchanged: 0,
  };

  constructor(
    readonly clientId: number,
    private readonly context: LightViewerContext,
  ) {
    const { headers, userAgentFor, cmcdSessionFor } = context.options;
    this.headers = {
      ...(cmcdSessionFor && !('cmcd-session' in headers) ? { 'cmcd-session': cmcdSessionFor(clientId) } : {}),
      ...headers,
      'user-agent': userAgentFor(clientId),
    };
    this.estimator = new BandwidthEstimator(context.options.abr);
  }

  get state(): LightViewerState {
    return this.stateValue;
  }

  /** The variant playing now (bandwidth 0 for a media playlist opened directly). */
  get variant(): LightVariant | undefined {
    return this.current;
  }

  /** Throughput estimate, bits/s (what `abr` decides on). */
  get estimateBps(): number {
    return this.estimator.estimateBps();
  }

  start(): void {
    if (this.stateValue !== 'idle') return;
    this.stateValue = 'starting';
    this.startedMonoMs = this.now();
    this.buffer = new PlaybackBuffer(this.startedMonoMs);
    this.loadEntry();
  }

  /** Stops now: timers dropped, requests in flight cancelled (their records still come). Idempotent. */
  stop(): void {
    if (this.stateValue === 'stopped' || this.stateValue === 'idle') {
      this.stateValue = 'stopped';
      return;
    }
    this.stateValue = 'stopped';
    const nowMono = this.now();
    for (const task of [this.reloadTask, this.pumpTask, this.dryTask]) task?.cancel();
    for (const handle of this.inFlight) handle.cancel();
    const buffer = this.buffer as PlaybackBuffer;
    const open = buffer.openStall(nowMono);
    if (open) {
      this.context.emit('rebuffer', {
        clientId: this.clientId,
        startMs: this.context.epochOf(open.startMs),
        endMs: this.context.epochOf(open.endMs),
        durationSeconds: open.durationSeconds,
        endedByStop: true,
      });
    }
    const videoStarted = buffer.startedAtMs !== undefined;
    this.context.emit('viewerStopped', {
      clientId: this.clientId,
      atMs: this.context.epochOf(nowMono),
      uptimeMs: nowMono - this.startedMonoMs,
      videoStarted,
      ...(!videoStarted && this.lastStartFailure ? { startFailure: this.lastStartFailure } : {}),
      watch: { ...buffer.totals },
    });
  }

  /** Requests still in flight (cancelled or not): the fleet waits for them before closing its pool. */
  settled(): Promise<unknown> {
    return Promise.all([...this.inFlight].map((handle) => handle.done));
  }

  /** Playing and stalled time since the previous call (the swarm's per-second watch account). */
  account(): WatchAccount {
    return this.buffer?.account(this.now()) ?? { playingSeconds: 0, stalledSeconds: 0, stallsStarted: 0 };
  }

  /**
   * A playback sample over the window since the previous call, once the video has started:
   * speed (media played per wall second), buffer, live latency (against the newest segment of
   * the last playlist load, moved on in real time by at most one target duration), and the
   * segment bits downloaded per media second appended.
   */
  sample(): PlaybackSample | undefined {
    const buffer = this.buffer;
    if (!buffer || buffer.startedAtMs === undefined) return undefined;
    const nowMono = this.now();
    const playhead = buffer.playheadSeconds(nowMono);
    const bufferSeconds = buffer.bufferSeconds(nowMono);
    const previous = this.previousSample ?? {
      monoMs: buffer.startedAtMs,
      playhead: 0,
      segmentBytes: 0,
      appended: 0,
    };
    const wallSeconds = (nowMono - previous.monoMs) / 1000;
    const segmentBytes = this.counters.bytes.segment;
    this.previousSample = { monoMs: nowMono, playhead, segmentBytes, appended: this.appendedSeconds };
    const sample: PlaybackSample = {
      clientId: this.clientId,
      atMs: this.context.epochOf(nowMono),
      speed: wallSeconds > 0 ? (playhead - previous.playhead) / wallSeconds : 1,
      stalled: buffer.state === 'stalled',
      playheadSeconds: playhead,
      bufferSeconds,
    };
    const appended = this.appendedSeconds - previous.appended;
    if (appended > 0) sample.variantBitrate = ((segmentBytes - previous.segmentBytes) * 8) / appended;
    const latency = this.liveLatencySeconds(nowMono, playhead);
    if (latency !== undefined) sample.liveLatencySeconds = latency;
    return sample;
  }

  private now(): number {
    return this.context.scheduler.now();
  }

  private get stopped(): boolean {
    return this.stateValue === 'stopped';
  }

  // ── playlists ──────────────────────────────────────────────────────────────────────────

  private loadEntry(): void {
    this.loadPlaylist(this.context.options.url, undefined, (result) => {
      if (!result.ok) return this.retryFirstLoad(() => this.loadEntry());
      if (result.info.kind === 'master') {
        this.variants = result.info.variants;
        const chosen = initialVariant(
          result.info.variants,
          this.context.options.variant,
          this.estimator.estimateBps(),
          this.context.options.abr,
        ) as LightVariant;
        this.current = chosen;
        this.firstLoadFailures = 0;
        this.loadMedia();
        return;
      }
      this.current = { url: this.context.options.url, bandwidth: 0, index: 0 };
      this.onMedia(this.current, result.info, result.text, result.startMonoMs);
    });
  }

  private loadMedia(): void {
    const variant = this.current as LightVariant;
    this.reloadTask?.cancel();
    this.reloadTask = undefined;
    this.loadPlaylist(variant.url, variant, (result) => {
      if (variant !== this.current) return; // a switch happened meanwhile: its own load follows
      if (!result.ok) {
        if (!this.media || this.mediaVariant !== variant) return this.retryFirstLoad(() => this.loadMedia());
        this.scheduleReload(result.startMonoMs, false);
        return;
      }
      if (result.info.kind === 'master') {
        this.fault('unparsable', variant.url, 'expected a media playlist, got a master playlist');
        if (!this.media) return this.retryFirstLoad(() => this.loadMedia());
        this.scheduleReload(result.startMonoMs, false);
        return;
      }
      this.onMedia(variant, result.info, result.text, result.startMonoMs);
    });
  }

  private retryFirstLoad(load: () => void): void {
    const delayMs = restartDelayMs(this.firstLoadFailures++, FIRST_LOAD_BACKOFF);
    this.reloadTask = this.context.scheduler.after(delayMs, () => {
      if (!this.stopped) load();
    });
  }

  /** GETs a playlist, records the request, parses, reports faults. */
  private loadPlaylist(
    url: string,
    variant: LightVariant | undefined,
    done: (result: PlaylistResult) => void,
  ): void {
    const startMonoMs = this.now();
    let parsedUrl: URL;
    try {
      parsedUrl = new URL(url);
    } catch {
      this.fault('other', url, 'not a valid URL');
      done({ ok: false, startMonoMs });
      return;
    }
    const handle = this.context.http.get({
      url: parsedUrl,
      headers: this.headers,
      keepBodyUpToBytes: this.context.options.maxPlaylistBytes,
    });
    this.inFlight.add(handle);
    void handle.done
      .then((response) => {
        this.inFlight.delete(handle);
        let info: PlaylistInfo | undefined;
        let text: string | undefined;
        if (!response.fault && !response.cancelled && response.body) {
          text = response.body.toString('utf8');
          info = this.context.playlists.parse(text, url);
        }
        const contentFault = info?.kind === 'fault' ? { code: info.code, reason: info.reason } : undefined;
        this.record('manifest', url, response, variant?.bandwidth, contentFault);
        if (this.stopped) return;
        if (response.fault) {
          this.fault(response.fault.code, url, response.fault.reason);
          return done({ ok: false, startMonoMs });
        }
        if (!info || !text || info.kind === 'fault') {
          if (contentFault) this.fault(contentFault.code, url, contentFault.reason);
          return done({ ok: false, startMonoMs });
        }
        done({ ok: true, info, text, startMonoMs });
      })
      .catch((error: unknown) => this.internalFault(url, error));
  }

  private onMedia(
    variant: LightVariant,
    info: MediaPlaylistInfo,
    text: string,
    loadStartMonoMs: number,
  ): void {
    const nowMono = this.now();
    const firstOfVariant = this.mediaVariant !== variant;
    const changed = firstOfVariant || text !== this.mediaText;
    if (!firstOfVariant) {
      if (changed) this.counters.reloadsChanged++;
      else this.counters.reloadsUnchanged++;
    }
    this.media = info;
    this.mediaVariant = variant;
    this.mediaText = text;
    this.mediaLoadedMonoMs = loadStartMonoMs;
    this.firstLoadFailures = 0;
    if (changed) {
      this.lastChangeMonoMs = nowMono;
      this.staleReported = false;
    } else if (
      !info.endList &&
      !this.staleReported &&
      playlistStale(
        nowMono,
        this.lastChangeMonoMs,
        info.targetDurationSeconds,
        this.context.options.staleAfterTargetDurations,
      )
    ) {
      this.staleReported = true;
      const seconds = ((nowMono - this.lastChangeMonoMs) / 1000).toFixed(1);
      this.fault(
        'playlist-stale',
        variant.url,
        `live playlist unchanged for ${seconds} s (target duration ${info.targetDurationSeconds} s)`,
      );
    }
    if (this.nextMsn === undefined && info.segments.length > 0) {
      const start = info.endList
        ? 0
        : liveStartIndex(
            info.segments,
            info.targetDurationSeconds,
            this.context.options.liveSyncTargetDurations,
          );
      this.nextMsn = (info.segments[start] as LightSegment).msn;
    }
    if (this.stateValue === 'starting') this.stateValue = 'running';
    if (!info.endList) this.scheduleReload(loadStartMonoMs, changed, info.targetDurationSeconds);
    this.pump();
  }

  /** The next reload, RFC 8216 §6.3.4: from when this load began, a target duration after a change, half after none. */
  private scheduleReload(loadStartMonoMs: number, changed: boolean, targetDurationSeconds?: number): void {
    const target = targetDurationSeconds ?? this.media?.targetDurationSeconds ?? 2;
    this.reloadTask?.cancel();
    this.reloadTask = this.context.scheduler.at(loadStartMonoMs + reloadIntervalMs(changed, target), () => {
      if (!this.stopped) this.loadMedia();
    });
  }

  // ── segments ───────────────────────────────────────────────────────────────────────────

  /** Downloads the next segment when there is one, room in the buffer, and nothing in flight. */
  private pump(): void {
    if (this.stopped || this.segmentRequest || this.pumpTask) return;
    const media = this.media;
    const buffer = this.buffer as PlaybackBuffer;
    if (!media || this.nextMsn === undefined || this.mediaVariant !== this.current) return;
    const nowMono = this.now();
    const buffered = buffer.bufferSeconds(nowMono);
    const overMax = buffered - this.context.options.maxBufferSeconds;
    if (overMax >= 0) {
      this.pumpTask = this.context.scheduler.at(nowMono + overMax * 1000 + 1, () => {
        this.pumpTask = undefined;
        this.pump();
      });
      return;
    }
    const first = media.segments[0];
    if (!first) return;
    if (this.nextMsn < first.msn) {
      // Behind the playlist's window: those segments expired before this viewer got to them.
      this.counters.segmentsSkipped += first.msn - this.nextMsn;
      this.nextMsn = first.msn;
    }
    const segment = media.segments[this.nextMsn - first.msn];
    if (!segment || segment.msn !== this.nextMsn) {
      if (media.endList && this.nextMsn > (media.segments[media.segments.length - 1]?.msn ?? -1))
        buffer.endOfStream(nowMono);
      return; // not published yet: the next reload calls pump again
    }
    if (segment.init && `${segment.init.url}|${segment.init.range ?? ''}` !== this.loadedInitKey) {
      this.download('init', segment.init.url, segment.init.range, (ok) => {
        if (ok && segment.init) this.loadedInitKey = `${segment.init.url}|${segment.init.range ?? ''}`;
        // A failed init section: its segments cannot play; try the next segment (which retries it).
        if (!ok) this.nextMsn = segment.msn + 1;
        this.pump();
      });
      return;
    }
    this.download('segment', segment.url, segment.range, (ok, response) => {
      this.nextMsn = segment.msn + 1;
      if (ok) this.appendSegment(segment, response);
      this.pump();
    });
  }

  private download(
    kind: 'segment' | 'init',
    url: string,
    range: string | undefined,
    done: (ok: boolean, response: TimedResponse) => void,
  ): void {
    const variant = this.current;
    const validator = this.context.options.validateSegments
      ? segmentValidatorFor(url, kind === 'init')
      : undefined;
    const handle = this.context.http.get({
      url: new URL(url),
      headers: this.headers,
      ...(range ? { range } : {}),
      ...(validator ? { onChunk: (chunk: Uint8Array) => validator.push(chunk) } : {}),
    });
    this.segmentRequest = handle;
    this.inFlight.add(handle);
    void handle.done
      .then((response) => {
        this.segmentRequest = undefined;
        this.inFlight.delete(handle);
        const complete = !response.fault && !response.cancelled;
        const broken = complete && validator ? validator.end() : undefined;
        const contentFault = broken ? { code: 'segment-invalid' as const, reason: broken } : undefined;
        this.record(kind, url, response, variant?.bandwidth, contentFault);
        if (this.stopped) return;
        if (response.fault) this.fault(response.fault.code, url, response.fault.reason);
        if (contentFault) this.fault(contentFault.code, url, contentFault.reason);
        done(complete && !contentFault, response);
      })
      .catch((error: unknown) => this.internalFault(url, error));
  }

  private appendSegment(segment: LightSegment, response: TimedResponse): void {
    const buffer = this.buffer as PlaybackBuffer;
    const nowMono = this.now();
    const result = buffer.append(nowMono, segment.durationSeconds);
    this.appendedSeconds += segment.durationSeconds;
    this.lastAppendedMsn = segment.msn;
    if (result.started) {
      this.context.emit('startup', {
        clientId: this.clientId,
        atMs: this.context.epochOf(nowMono),
        seconds: (nowMono - this.startedMonoMs) / 1000,
      });
    }
    if (result.rebuffer) {
      this.context.emit('rebuffer', {
        clientId: this.clientId,
        startMs: this.context.epochOf(result.rebuffer.startMs),
        endMs: this.context.epochOf(result.rebuffer.endMs),
        durationSeconds: result.rebuffer.durationSeconds,
      });
    }
    const media = this.media as MediaPlaylistInfo;
    if (media.endList && segment.msn >= (media.segments[media.segments.length - 1]?.msn ?? 0))
      buffer.endOfStream(nowMono);
    this.watchForStall();
    if (response.durationMicros !== undefined)
      this.estimator.sample(response.durationMicros / 1000, response.bytes);
    if (this.context.options.variant === 'abr' && this.variants && this.current)
      this.adapt(this.variants, this.current);
  }

  /** A stall is detected at the exact moment the buffer runs dry, by one task at that time. */
  private watchForStall(): void {
    this.dryTask?.cancel();
    const buffer = this.buffer as PlaybackBuffer;
    const dryAtMs = buffer.dryAtMs();
    if (dryAtMs === undefined) return;
    this.dryTask = this.context.scheduler.at(dryAtMs, () => {
      this.dryTask = undefined;
      if (this.stopped) return;
      const { stalledAtMs } = buffer.advance(this.now());
      if (stalledAtMs !== undefined)
        this.context.emit('stall', { clientId: this.clientId, atMs: this.context.epochOf(stalledAtMs) });
      else this.watchForStall();
    });
  }

  private adapt(variants: readonly LightVariant[], current: LightVariant): void {
    const estimateBps = this.estimator.estimateBps();
    const next = abrVariant(variants, current, estimateBps, this.context.options.abr);
    if (next === current) return;
    this.counters.variantSwitches++;
    this.context.emit('variantSwitch', {
      clientId: this.clientId,
      atMs: this.context.epochOf(this.now()),
      fromBandwidth: current.bandwidth,
      toBandwidth: next.bandwidth,
      estimateBps,
    });
    this.current = next;
    this.loadMedia();
  }

  /** Live latency: the newest segment's end in the playhead's timeline, minus the playhead. */
  private liveLatencySeconds(nowMono: number, playhead: number): number | undefined {
    const media = this.media;
    const last = this.lastAppendedMsn;
    if (!media || last === undefined || media.endList) return undefined;
    const after = secondsAfter(media.segments, last);
    if (after === undefined) return undefined;
    const sinceLoad = Math.min((nowMono - this.mediaLoadedMonoMs) / 1000, media.targetDurationSeconds);
    return Math.max(0, this.appendedSeconds + after + Math.max(0, sinceLoad) - playhead);
  }

  // ── records and faults ─────────────────────────────────────────────────────────────────

  private record(
    kind: Exclude<RequestKind, 'other'>,
    url: string,
    response: TimedResponse,
    variantBandwidth: number | undefined,
    contentFault: { code: LightErrorCode; reason: string } | undefined,
  ): void {
    const record = lightRequestRecord(this.clientId, kind, url, response, variantBandwidth, contentFault);
    if (!record) return;
    this.counters.requests[kind]++;
    this.counters.bytes[kind] += response.bytes;
    this.context.emit('request', record);
  }

  /** A bug in this viewer: reported as an `other` fault, never thrown into the fleet. */
  private internalFault(url: string, error: unknown): void {
    try {
      this.fault('other', url, `internal error: ${error instanceof Error ? error.message : String(error)}`);
    } catch {
      // A listener threw while reporting: counted above, nothing more can be done here.
    }
  }

  private fault(code: LightErrorCode, url: string, reason: string): void {
    this.counters.errors[code] = (this.counters.errors[code] ?? 0) + 1;
    if (this.buffer?.startedAtMs === undefined)
      this.lastStartFailure = code === 'http-status' ? reason.replace(/^HTTP /, '') : code;
    this.context.emit('viewerError', {
      clientId: this.clientId,
      atMs: this.context.epochOf(this.now()),
      code,
      url,
      reason,
    });
  }
}

/** The fault of a request the viewer's stop ended after it was sent, before any response. */
export const STOPPED_BEFORE_RESPONSE = 'stopped before the response';

/**
 * The swarm's request record of one light request; undefined for a request the viewer's stop
 * cancelled before it was sent (the origin never saw it). A body cut by the stop after the
 * origin answered is `cutByStop` (the origin served it), as for relayed ffmpeg viewers.
 */
export function lightRequestRecord(
  clientId: number,
  kind: Exclude<RequestKind, 'other'>,
  url: string,
  response: TimedResponse,
  variantBandwidth: number | undefined,
  contentFault?: { code: LightErrorCode; reason: string },
): LightRequestRecord | undefined {
  if (response.cancelled && !response.sent) return undefined;
  const record: LightRequestRecord = {
    viewerKind: 'light',
    clientId,
    kind,
    url,
    startMs: response.startMs,
    bytes: response.bytes,
    waitMicros: response.waitMicros,
    ok: true,
  };
  if (response.status !== undefined) record.status = response.status;
  if (variantBandwidth !== undefined) record.variantBandwidth = variantBandwidth;
  if (response.ttfbMicros !== undefined) {
    record.ttfbMicros = Math.round(response.ttfbMicros);
    record.ttfbSeconds = response.ttfbMicros / 1e6;
  }
  if (response.durationMicros !== undefined) {
    record.durationMicros = Math.round(response.durationMicros);
    record.durationSeconds = response.durationMicros / 1e6;
    record.endMs = response.startMs + response.durationMicros / 1000;
  }
  if (response.cancelled) {
    if (response.status !== undefined && response.status < 400) record.cutByStop = true;
    else {
      record.ok = false;
      record.error = 'other';
      record.fault = { code: 'other', reason: STOPPED_BEFORE_RESPONSE };
    }
    return record;
  }
  const fault = response.fault ?? contentFault;
  if (fault) record.fault = fault;
  if (response.fault) {
    record.ok = false;
    record.error =
      response.fault.code === 'http-status'
        ? 'http'
        : response.fault.code === 'timeout' || response.fault.code === 'connect'
          ? response.fault.code
          : 'other';
  }
  return record;
}
