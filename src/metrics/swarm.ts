import type { PlaybackSample, RequestRecord, SwarmEventMap, SwarmSnapshot } from '../swarm/index.js';
import type { MetricStore } from './store.js';
import { type WatchQuanta, WatchQuantizer } from './watch-quanta.js';

/*
 * Swarm trends are exact: every request, startup and playback sample the swarm emits is kept
 * as a timestamped raw value, so any window's percentiles are computed from all values.
 * Gauges (clients_active, stalled_clients, throughput) are sampled at each swarm tick, from
 * the swarm's snapshot() when it has one, else from the events themselves.
 */

type Listener = (...args: never[]) => void;

/** What attachSwarm needs: an emitter of SwarmEventMap (e.g. EventEmitter<SwarmEventMap>). */
export interface SwarmEventSource {
  on(event: string, listener: Listener): unknown;
  off?(event: string, listener: Listener): unknown;
  snapshot?(): SwarmSnapshot;
}

export const SWARM_TRENDS = [
  'segment_ttfb',
  'segment_duration',
  'manifest_ttfb',
  'manifest_duration',
  'startup_time',
  'playback_speed',
  'live_edge_drift',
  'live_latency',
  'variant_bitrate',
] as const;

/** When a request is measured: its last byte if known, else its headers, else its start. */
export function requestCompletedAtMs(record: RequestRecord): number {
  const seconds = record.durationSeconds ?? record.ttfbSeconds ?? 0;
  return record.startMs + seconds * 1000;
}

export class SwarmRecorder {
  private readonly activeClients = new Set<number>();
  private readonly stalledClients = new Set<number>();
  private bytesSinceTick = 0;
  private bytesSeen = false;
  private droppedLinesSeen = 0;
  private lastTickMs: number | undefined;
  private readonly detachers: Array<() => void> = [];
  private readonly watchQuantizers = new Map<number, WatchQuantizer>();
  /** When the swarm said its ramp was complete (epoch ms). */
  rampCompleteAtMs: number | undefined;
  private source: SwarmEventSource | undefined;

  constructor(
    private readonly store: MetricStore,
    private readonly now: () => number = Date.now,
  ) {}

  attach(source: SwarmEventSource): void {
    if (this.source) throw new Error('A swarm is already attached to this sampler');
    this.source = source;
    const atMs = this.now();
    this.lastTickMs = atMs;
    for (const name of SWARM_TRENDS) this.store.declare(name, 'trend');
    this.store.declare('request_errors', 'rate');
    this.store.declare('http_errors', 'counter', atMs);
    this.store.declare('restarts', 'counter', atMs);
    this.store.declare('clients_active', 'gauge');
    this.store.declare('stalled_clients', 'gauge');
    this.store.declare('throughput', 'gauge');
    this.store.declare('release_lateness', 'trend');
    this.store.declare('dropped_log_lines', 'counter', atMs);
    this.store.declare('video_start_failures', 'counter', atMs);
    this.store.declare('exits_before_video_start', 'counter', atMs);
    this.store.declare('variant_switches', 'counter', atMs);
    this.store.declare('rebuffer_ratio', 'rate');
    this.store.declare('rebuffer_frequency', 'rate');
    const listen = <E extends keyof SwarmEventMap>(
      event: E,
      handler: (...args: SwarmEventMap[E]) => void,
    ) => {
      const listener = handler as unknown as Listener;
      source.on(event, listener);
      this.detachers.push(() => source.off?.(event, listener));
    };
    listen('request', (record) => this.onRequest(record));
    listen('playback', (sample) => this.onPlayback(sample));
    listen('startup', (event) => this.store.addTrend('startup_time', {}, event.atMs, event.seconds));
    // Every viewer of either kind (clientStarted is the ffmpeg processes' alone).
    listen('viewerStarted', (event) => {
      this.activeClients.add(event.clientId);
      if (event.restart) this.store.incrementCounter('restarts', {}, event.atMs);
    });
    listen('clientExited', (event) => {
      this.activeClients.delete(event.clientId);
      this.stalledClients.delete(event.clientId);
      const quantizer = this.watchQuantizers.get(event.clientId);
      if (quantizer) this.addWatchQuanta(event.atMs, quantizer.flush());
    });
    listen('watch', (event) => {
      let quantizer = this.watchQuantizers.get(event.clientId);
      if (!quantizer) {
        quantizer = new WatchQuantizer();
        this.watchQuantizers.set(event.clientId, quantizer);
      }
      this.addWatchQuanta(
        event.atMs,
        quantizer.add(event.playingSeconds, event.stalledSeconds, event.stallsStarted),
      );
    });
    listen('videoStartFailed', (event) =>
      this.store.incrementCounter('video_start_failures', { reason: event.reason }, event.atMs),
    );
    listen('exitedBeforeVideoStart', (event) =>
      this.store.incrementCounter('exits_before_video_start', {}, event.atMs),
    );
    listen('released', (event) =>
      this.store.addTrend('release_lateness', {}, event.releasedAtMs, event.latenessSeconds),
    );
    listen('rampComplete', (event) => {
      this.rampCompleteAtMs = event.atMs;
    });
  }

  detach(): void {
    for (const detach of this.detachers.splice(0)) detach();
    this.source = undefined;
  }

  get attached(): boolean {
    return this.source !== undefined;
  }

  private onRequest(record: RequestRecord): void {
    const atMs = requestCompletedAtMs(record);
    if (record.kind === 'segment' || record.kind === 'manifest') {
      if (record.ttfbSeconds !== undefined)
        this.store.addTrend(`${record.kind}_ttfb`, {}, atMs, record.ttfbSeconds);
      if (record.durationSeconds !== undefined)
        this.store.addTrend(`${record.kind}_duration`, {}, atMs, record.durationSeconds);
    }
    this.store.addRate('request_errors', { kind: record.kind }, atMs, !record.ok);
    if (record.status !== undefined && record.status >= 400)
      this.store.incrementCounter('http_errors', { status: String(record.status), kind: record.kind }, atMs);
    if (record.bytes !== undefined) {
      this.bytesSinceTick += record.bytes;
      this.bytesSeen = true;
    }
  }

  /** One rate sample per whole viewer-second (see watch-quanta.ts). */
  private addWatchQuanta(atMs: number, quanta: WatchQuanta): void {
    for (let n = 0; n < quanta.watched; n++)
      this.store.addRate('rebuffer_ratio', {}, atMs, n < quanta.stalled);
    for (let n = 0; n < quanta.played; n++)
      this.store.addRate('rebuffer_frequency', {}, atMs, n < quanta.stallStarts);
  }

  private onPlayback(sample: PlaybackSample): void {
    this.store.addTrend('playback_speed', {}, sample.atMs, sample.speed);
    if (sample.driftSeconds !== undefined)
      this.store.addTrend('live_edge_drift', {}, sample.atMs, sample.driftSeconds);
    if (sample.liveLatencySeconds !== undefined)
      this.store.addTrend('live_latency', {}, sample.atMs, sample.liveLatencySeconds);
    if (sample.variantBitrate !== undefined)
      this.store.addTrend('variant_bitrate', {}, sample.atMs, sample.variantBitrate);
    if (sample.stalled) this.stalledClients.add(sample.clientId);
    else this.stalledClients.delete(sample.clientId);
  }

  /** Records the swarm gauges now (called on the swarm interval). */
  tick(atMs = this.now()): void {
    if (!this.source) return;
    const snapshot = this.source.snapshot?.();
    this.store.addGauge('clients_active', {}, atMs, snapshot?.clientsActive ?? this.activeClients.size);
    this.store.addGauge('stalled_clients', {}, atMs, snapshot?.stalledClients ?? this.stalledClients.size);
    // Cumulative in the snapshot; stored as increments so the counter exists as 0 from the start.
    const dropped = snapshot?.droppedLines ?? 0;
    if (dropped > this.droppedLinesSeen)
      this.store.incrementCounter('dropped_log_lines', {}, atMs, dropped - this.droppedLinesSeen);
    this.droppedLinesSeen = Math.max(this.droppedLinesSeen, dropped);
    const seconds = this.lastTickMs === undefined ? 0 : (atMs - this.lastTickMs) / 1000;
    if (seconds > 0) {
      const fromEvents = this.bytesSinceTick / seconds;
      const throughput =
        this.bytesSeen || snapshot === undefined ? fromEvents : snapshot.throughputBytesPerSecond;
      this.store.addGauge('throughput', {}, atMs, throughput);
      this.bytesSinceTick = 0;
      this.lastTickMs = atMs;
    }
  }
}
