import type {
  DistributionSummary,
  PlaybackSample,
  QoeSummary,
  RequestRecord,
  ViewerKind,
  ViewerKindQoe,
} from '../types.js';
import { Distribution } from './distribution.js';
import { PlayerModel, type PlayerPosition, type WatchAccount } from './player-model.js';

/** How one attempt (a spawn or restart) ended, seen from the viewer. */
export type AttemptOutcome =
  | { kind: 'played' }
  /** Never played a first segment and it was not the plan's doing: the reason is the last failure. */
  | { kind: 'video-start-failure'; reason: string }
  /** Stopped by the plan (ramp down, run end, Ctrl-C) before it played, with no failure seen. */
  | { kind: 'exit-before-video-start' };

/** What a playback sample adds from the player model. */
export interface QoeSample extends Partial<PlayerPosition> {
  /** Segment bits pulled per media second over the sample's window (what the viewer actually downloaded). */
  variantBitrate?: number;
}

interface ViewerState {
  model: PlayerModel;
  /** Between attemptStarted and attemptEnded (a viewer held at the start gate never opens one). */
  open: boolean;
  /** The last failed request of this attempt: its HTTP status, else its error kind. */
  lastFailure?: string;
  segmentBytes: number;
  /** Start of the attempt's first segment request, and of the last playlist load before it. */
  firstSegmentMs?: number;
  playlistMs?: number;
  /** When that playlist's response came (the live edge it shows is the edge at about then). */
  playlistAnsweredMs?: number;
  /** At the previous sample: segment bytes and media seconds. */
  sampledBytes: number;
  sampledMediaSeconds: number;
}

/**
 * The fleet's player-side QoE (definitions in docs/metrics.md): one PlayerModel per viewer,
 * the outcome of every attempt, and exact totals of watch and stall time. Per-viewer rebuffer
 * ratios are recorded when an attempt ends; live latency, buffer and bitrate per sample.
 */
export class FleetQoe {
  private readonly viewers = new Map<number, ViewerState>();
  private videoStartFailures = 0;
  private readonly failureReasons: Record<string, number> = {};
  private exitsBeforeVideoStart = 0;
  private attemptsPlayed = 0;
  private playingSeconds = 0;
  private stalledSeconds = 0;
  private stalls = 0;
  /** Per-attempt rebuffer ratio in 1/10000 units. */
  private readonly attemptRebufferRatio = new Distribution(1e4);
  private readonly liveLatency = new Distribution(1e6);
  private readonly buffer = new Distribution(1e6);
  /** Bits per media second. */
  private readonly bitrate = new Distribution(1);

  private viewer(clientId: number): ViewerState {
    let state = this.viewers.get(clientId);
    if (!state) {
      state = {
        model: new PlayerModel(),
        open: false,
        segmentBytes: 0,
        sampledBytes: 0,
        sampledMediaSeconds: 0,
      };
      this.viewers.set(clientId, state);
    }
    return state;
  }

  attemptStarted(clientId: number, atMs: number): void {
    const state = this.viewer(clientId);
    state.model.start(atMs);
    state.open = true;
    state.lastFailure = undefined;
    state.firstSegmentMs = undefined;
    state.playlistMs = undefined;
    state.playlistAnsweredMs = undefined;
    state.segmentBytes = 0;
    state.sampledBytes = 0;
    state.sampledMediaSeconds = 0;
  }

  firstSegment(clientId: number, atMs: number): void {
    this.viewer(clientId).model.firstSegment(atMs);
  }

  request(record: RequestRecord): void {
    const state = this.viewer(record.clientId);
    this.notePlaylistLoad(state, record);
    if (!record.ok) {
      state.lastFailure =
        record.status !== undefined && record.status >= 400
          ? String(record.status)
          : (record.error ?? 'other');
    } else if (record.kind === 'segment' && record.bytes !== undefined) {
      state.segmentBytes += record.bytes;
    }
  }

  /**
   * The live edge is anchored at the playlist load the first segments came from: the last
   * playlist request before the first segment request (records may arrive out of order).
   */
  private notePlaylistLoad(state: ViewerState, record: RequestRecord): void {
    if (record.kind === 'segment' && record.startMs < (state.firstSegmentMs ?? Number.POSITIVE_INFINITY)) {
      state.firstSegmentMs = record.startMs;
      if (state.playlistMs !== undefined && state.playlistMs > record.startMs) {
        state.playlistMs = undefined;
        state.playlistAnsweredMs = undefined;
      }
    } else if (
      record.kind === 'manifest' &&
      record.ok &&
      record.startMs <= (state.firstSegmentMs ?? Number.POSITIVE_INFINITY) &&
      record.startMs > (state.playlistMs ?? Number.NEGATIVE_INFINITY)
    ) {
      state.playlistMs = record.startMs;
      // The response, not the request: one that waited (a busy origin) can carry a newer segment.
      state.playlistAnsweredMs =
        record.endMs ?? record.startMs + (record.ttfbSeconds ?? record.durationSeconds ?? 0) * 1000;
    } else {
      return;
    }
    if (state.playlistAnsweredMs !== undefined) state.model.playlistLoaded(state.playlistAnsweredMs);
  }

  media(clientId: number, atMs: number, outTimeUs: number): void {
    this.viewer(clientId).model.media(atMs, outTimeUs);
  }

  /** Watch time since the last call, added to the fleet totals (call every tick and at exit). */
  account(clientId: number, nowMs: number): WatchAccount | undefined {
    const state = this.viewers.get(clientId);
    if (!state) return undefined;
    const account = state.model.account(nowMs);
    this.playingSeconds += account.playingSeconds;
    this.stalledSeconds += account.stalledSeconds;
    this.stalls += account.stallsStarted;
    return account;
  }

  /** Buffer, live latency and bitrate for a playback sample at `atMs`. */
  sample(clientId: number, atMs: number): QoeSample {
    const state = this.viewers.get(clientId);
    if (!state) return {};
    const position = state.model.position(atMs);
    const sample: QoeSample = { ...position };
    if (position) {
      this.liveLatency.record(position.liveLatencySeconds);
      this.buffer.record(position.bufferSeconds);
    }
    const media = state.model.mediaSecondsReceived;
    const mediaAdvance = media - state.sampledMediaSeconds;
    const bytes = state.segmentBytes - state.sampledBytes;
    if (mediaAdvance > 0 && bytes > 0) {
      sample.variantBitrate = (bytes * 8) / mediaAdvance;
      this.bitrate.record(sample.variantBitrate);
    }
    state.sampledMediaSeconds = media;
    state.sampledBytes = state.segmentBytes;
    return sample;
  }

  /** The attempt is over (the process exited); `stoppedByPlan` when we stopped it. */
  attemptEnded(
    clientId: number,
    atMs: number,
    stoppedByPlan: boolean,
    exitCategory: string,
  ): AttemptOutcome | undefined {
    const state = this.viewers.get(clientId);
    if (!state?.open) return undefined;
    state.open = false;
    this.account(clientId, atMs);
    const model = state.model;
    if (model.started) {
      this.attemptsPlayed++;
      const { playingSeconds, stalledSeconds } = model.totals;
      const watched = playingSeconds + stalledSeconds;
      if (watched > 0) this.attemptRebufferRatio.record(stalledSeconds / watched);
      return { kind: 'played' };
    }
    if (stoppedByPlan && state.lastFailure === undefined) {
      this.exitsBeforeVideoStart++;
      return { kind: 'exit-before-video-start' };
    }
    const reason = state.lastFailure ?? `exit:${exitCategory}`;
    this.videoStartFailures++;
    this.failureReasons[reason] = (this.failureReasons[reason] ?? 0) + 1;
    return { kind: 'video-start-failure', reason };
  }

  // ── light viewers (swarm/light): they model their own buffer, so they feed what it measured,
  // not the PlayerModel; request() still notes their failures. Their totals are kept apart
  // too, for the per-kind breakdown (the ffmpeg viewers' share is the fleet's minus theirs).

  private readonly light = {
    attemptsPlayed: 0,
    videoStartFailures: 0,
    exitsBeforeVideoStart: 0,
    playingSeconds: 0,
    stalledSeconds: 0,
    stalls: 0,
    variantSwitches: 0,
  };

  /** A light viewer's attempt begins (the ramp started it). */
  lightAttemptStarted(clientId: number): void {
    const state = this.viewer(clientId);
    state.open = true;
    state.lastFailure = undefined;
    state.segmentBytes = 0;
  }

  /** A light viewer's watch time since its previous account (LightViewer.account()). */
  lightAccount(clientId: number, account: WatchAccount): void {
    if (!this.viewers.get(clientId)?.open) return;
    this.playingSeconds += account.playingSeconds;
    this.stalledSeconds += account.stalledSeconds;
    this.stalls += account.stallsStarted;
    this.light.playingSeconds += account.playingSeconds;
    this.light.stalledSeconds += account.stalledSeconds;
    this.light.stalls += account.stallsStarted;
  }

  /** A light viewer's playback sample (its own buffer, live latency, bitrate) into the fleet's distributions. */
  lightSample(sample: PlaybackSample): void {
    if (sample.liveLatencySeconds !== undefined) this.liveLatency.record(sample.liveLatencySeconds);
    if (sample.bufferSeconds !== undefined) this.buffer.record(sample.bufferSeconds);
    if (sample.variantBitrate !== undefined && sample.variantBitrate > 0)
      this.bitrate.record(sample.variantBitrate);
  }

  /** A light viewer switched variants (abr). */
  lightVariantSwitch(): void {
    this.light.variantSwitches++;
  }

  /**
   * A light viewer's attempt is over: the plan stopped it (light viewers never exit on their
   * own); take its last account first. Without video start, the reason is the viewer's own last
   * fault ('404', 'timeout', 'missing-extm3u'…: it names playlist faults a status cannot), else
   * its last failed request.
   */
  lightAttemptEnded(
    clientId: number,
    end: { videoStarted: boolean; startFailure?: string; watch: WatchAccount },
  ): AttemptOutcome | undefined {
    const state = this.viewers.get(clientId);
    if (!state?.open) return undefined;
    state.open = false;
    if (end.videoStarted) {
      this.attemptsPlayed++;
      this.light.attemptsPlayed++;
      const watched = end.watch.playingSeconds + end.watch.stalledSeconds;
      if (watched > 0) this.attemptRebufferRatio.record(end.watch.stalledSeconds / watched);
      return { kind: 'played' };
    }
    const reason = end.startFailure ?? state.lastFailure;
    if (reason === undefined) {
      this.exitsBeforeVideoStart++;
      this.light.exitsBeforeVideoStart++;
      return { kind: 'exit-before-video-start' };
    }
    this.videoStartFailures++;
    this.light.videoStartFailures++;
    this.failureReasons[reason] = (this.failureReasons[reason] ?? 0) + 1;
    return { kind: 'video-start-failure', reason };
  }

  /** One viewer kind's attempts and watch time so far (ffmpeg: the fleet's minus the light viewers'). */
  kindSummary(kind: ViewerKind): ViewerKindQoe {
    const light = this.light;
    const totals =
      kind === 'light'
        ? light
        : {
            attemptsPlayed: this.attemptsPlayed - light.attemptsPlayed,
            videoStartFailures: this.videoStartFailures - light.videoStartFailures,
            exitsBeforeVideoStart: this.exitsBeforeVideoStart - light.exitsBeforeVideoStart,
            playingSeconds: this.playingSeconds - light.playingSeconds,
            stalledSeconds: this.stalledSeconds - light.stalledSeconds,
            stalls: this.stalls - light.stalls,
          };
    const watched = totals.playingSeconds + totals.stalledSeconds;
    return {
      attemptsPlayed: totals.attemptsPlayed,
      videoStartFailures: totals.videoStartFailures,
      exitsBeforeVideoStart: totals.exitsBeforeVideoStart,
      watchSeconds: totals.playingSeconds,
      rebufferSeconds: totals.stalledSeconds,
      rebufferEvents: totals.stalls,
      rebufferRatio: watched > 0 ? totals.stalledSeconds / watched : 0,
    };
  }

  isStalled(clientId: number): boolean {
    return this.viewers.get(clientId)?.model.isStalled ?? false;
  }

  summary(): QoeSummary {
    const watched = this.playingSeconds + this.stalledSeconds;
    const summaryOf = (distribution: Distribution): DistributionSummary | undefined => {
      const summary = distribution.summary();
      return summary.count === 0 ? undefined : summary;
    };
    const perAttempt = summaryOf(this.attemptRebufferRatio);
    const latency = summaryOf(this.liveLatency);
    const buffer = summaryOf(this.buffer);
    const bitrate = summaryOf(this.bitrate);
    return {
      videoStartFailures: this.videoStartFailures,
      videoStartFailureReasons: { ...this.failureReasons },
      exitsBeforeVideoStart: this.exitsBeforeVideoStart,
      attemptsPlayed: this.attemptsPlayed,
      watchSeconds: this.playingSeconds,
      rebufferSeconds: this.stalledSeconds,
      rebufferEvents: this.stalls,
      rebufferRatio: watched > 0 ? this.stalledSeconds / watched : 0,
      rebufferFrequencyPerMinute: this.playingSeconds > 0 ? this.stalls / (this.playingSeconds / 60) : 0,
      liveLatencyMethod: 'edge',
      variantSwitches: this.light.variantSwitches,
      ...(perAttempt ? { rebufferRatioPerAttempt: perAttempt } : {}),
      ...(latency ? { liveLatencySeconds: latency } : {}),
      ...(buffer ? { bufferSeconds: buffer } : {}),
      ...(bitrate ? { variantBitrate: bitrate } : {}),
    };
  }
}
