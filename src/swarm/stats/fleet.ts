import { REQUEST_KINDS } from '../../config/index.js';
import type { ClientOutputEvent } from '../parse/index.js';
import type {
  DistributionSummary,
  PlaybackSample,
  RequestCounts,
  RequestKind,
  RequestRecord,
  SwarmSnapshot,
} from '../types.js';
import { Distribution } from './distribution.js';

/** Throughput is bytes of requests completed over this trailing window… */
export const THROUGHPUT_WINDOW_MS = 10_000;
/**
 * …ending this long before now: a finished keep-alive segment is reported once its connection
 * answers again (about a segment later, see ClientOutputParser), so the last seconds are not
 * complete yet.
 */
export const THROUGHPUT_LAG_MS = 3000;

/** The part of SwarmSnapshot the stats own; the runtime adds client counts, restarts, exits, ffmpeg. */
export type SwarmSnapshotStatsPart = Pick<
  SwarmSnapshot,
  | 'stalledClients'
  | 'requests'
  | 'httpErrors'
  | 'reconnects'
  | 'timeouts'
  | 'segmentsSkippedExpired'
  | 'playlistReloadFailures'
  | 'segmentTtfbSeconds'
  | 'segmentDurationSeconds'
  | 'manifestTtfbSeconds'
  | 'manifestDurationSeconds'
  | 'startupSeconds'
  | 'playbackSpeed'
  | 'liveEdgeDriftSeconds'
  | 'throughputBytesPerSecond'
  | 'connectFailures'
  | 'segmentsFailed'
>;

/** Counters beyond SwarmSnapshot's fields. */
export interface FleetCounters {
  segmentFailures: number;
  connectFailures: number;
  fatalErrors: number;
  mediaSequenceChanges: number;
  /** Per kind, per HTTP status ('none' when the request never got one). */
  statuses: Record<RequestKind, Record<string, number>>;
  requestErrors: Record<NonNullable<RequestRecord['error']>, number>;
}

export type DistributionMetric = 'ttfb' | 'duration';

interface PerKind {
  counts: RequestCounts;
  ttfb: Distribution;
  duration: Distribution;
  statuses: Record<string, number>;
}

function perKind(): PerKind {
  return {
    counts: { total: 0, ok: 0, failed: 0, bytes: 0 },
    ttfb: new Distribution(1e6),
    duration: new Distribution(1e6),
    statuses: {},
  };
}

/**
 * Fleet-wide statistics. Every request of every client is recorded into one HDR histogram
 * per kind and metric (in microseconds), so fleet percentiles are exact merges, never the max
 * of per-client percentiles. Per-client distributions are kept too and merge the same way.
 * Reading never resets anything.
 */
export class FleetStats {
  private readonly kinds: Record<RequestKind, PerKind> = {
    manifest: perKind(),
    segment: perKind(),
    init: perKind(),
    other: perKind(),
  };
  private readonly perClientSegmentDuration = new Map<number, Distribution>();
  private readonly startup = new Distribution(1e6);
  /** Playback speed recorded in 1/10000 units. */
  private readonly playbackSpeed = new Distribution(1e4);
  /** How far behind its own best position each viewer plays, per progress window (µs units). */
  private readonly liveEdgeDrift = new Distribution(1e6);
  private readonly latestPlayback = new Map<number, PlaybackSample>();
  private readonly httpErrorCounts: Record<string, number> = {};
  private readonly errorCounts: FleetCounters['requestErrors'] = {
    http: 0,
    timeout: 0,
    connect: 0,
    expired: 0,
    other: 0,
  };
  private reconnectCount = 0;
  private timeoutCount = 0;
  private expiredCount = 0;
  private reloadFailureCount = 0;
  private segmentFailureCount = 0;
  private connectFailureCount = 0;
  private fatalCount = 0;
  private mediaSequenceCount = 0;
  /** Bytes completed per wall second (epoch second → bytes), trailing window only. */
  private readonly bytesBySecond = new Map<number, number>();
  private firstByteSecond: number | undefined;

  recordRequest(record: RequestRecord): void {
    const kind = this.kinds[record.kind] ?? this.kinds.other;
    kind.counts.total++;
    if (record.ok) kind.counts.ok++;
    else kind.counts.failed++;
    if (record.error) this.errorCounts[record.error]++;
    const status = record.status === undefined ? 'none' : String(record.status);
    kind.statuses[status] = (kind.statuses[status] ?? 0) + 1;
    if (record.bytes !== undefined && record.bytes > 0) {
      kind.counts.bytes += record.bytes;
      const endMs = record.startMs + (record.durationSeconds ?? 0) * 1000;
      this.addBytes(endMs, record.bytes);
    }
    // Timing distributions describe answered requests; failures are counted, not timed.
    if (!record.ok) return;
    if (record.ttfbSeconds !== undefined) kind.ttfb.record(record.ttfbSeconds);
    if (record.durationSeconds !== undefined) {
      kind.duration.record(record.durationSeconds);
      if (record.kind === 'segment') {
        let perClient = this.perClientSegmentDuration.get(record.clientId);
        if (!perClient) {
          perClient = new Distribution(1e6, true);
          this.perClientSegmentDuration.set(record.clientId, perClient);
        }
        perClient.record(record.durationSeconds);
      }
    }
  }

  /** Spawn → first segment complete. */
  recordStartup(_clientId: number, seconds: number): void {
    this.startup.record(seconds);
  }

  recordPlayback(sample: PlaybackSample): void {
    this.playbackSpeed.record(sample.speed);
    if (sample.driftSeconds !== undefined) this.liveEdgeDrift.record(sample.driftSeconds);
    this.latestPlayback.set(sample.clientId, sample);
  }

  /** The client is gone (stopped for good): it no longer counts as stalled. */
  forgetClient(clientId: number): void {
    this.latestPlayback.delete(clientId);
  }

  /** Counts an event; `request` and `progress` events are ignored here (use recordRequest/PlaybackTracker). */
  recordEvent(event: ClientOutputEvent): void {
    switch (event.type) {
      case 'reconnect':
        this.reconnectCount++;
        return;
      case 'http_error': {
        const key = String(event.status);
        this.httpErrorCounts[key] = (this.httpErrorCounts[key] ?? 0) + 1;
        return;
      }
      case 'timeout':
        this.timeoutCount++;
        return;
      case 'segment_skipped_expired':
        this.expiredCount += event.count;
        return;
      case 'segment_failed':
        this.segmentFailureCount++;
        return;
      case 'playlist_reload_failed':
        this.reloadFailureCount++;
        return;
      case 'connect_failed':
        this.connectFailureCount++;
        return;
      case 'fatal':
        this.fatalCount++;
        return;
      case 'media_sequence':
        this.mediaSequenceCount++;
        return;
      default:
        return;
    }
  }

  summary(kind: RequestKind, metric: DistributionMetric): DistributionSummary {
    const stats = this.kinds[kind];
    return (metric === 'ttfb' ? stats.ttfb : stats.duration).summary();
  }

  /** One client's segment download durations. */
  clientSegmentDurationSummary(clientId: number): DistributionSummary {
    return (this.perClientSegmentDuration.get(clientId) ?? new Distribution(1e6)).summary();
  }

  /** The fleet's segment durations rebuilt by merging every client's histogram (equals summary('segment','duration')). */
  mergedClientSegmentDurationSummary(): DistributionSummary {
    const merged = new Distribution(1e6);
    for (const perClient of this.perClientSegmentDuration.values()) merged.add(perClient);
    return merged.summary();
  }

  startupSummary(): DistributionSummary {
    return this.startup.summary();
  }

  playbackSpeedSummary(): DistributionSummary {
    return this.playbackSpeed.summary();
  }

  /** Clients whose latest playback window was stalled. */
  stalledClients(): number {
    let stalled = 0;
    for (const sample of this.latestPlayback.values()) if (sample.stalled) stalled++;
    return stalled;
  }

  counters(): FleetCounters {
    const statuses = {} as FleetCounters['statuses'];
    for (const kind of REQUEST_KINDS) statuses[kind] = { ...this.kinds[kind].statuses };
    return {
      segmentFailures: this.segmentFailureCount,
      connectFailures: this.connectFailureCount,
      fatalErrors: this.fatalCount,
      mediaSequenceChanges: this.mediaSequenceCount,
      statuses,
      requestErrors: { ...this.errorCounts },
    };
  }

  /** Bytes per second completed over THROUGHPUT_WINDOW_MS ending THROUGHPUT_LAG_MS before `nowMs`. */
  throughputBytesPerSecond(nowMs: number = Date.now()): number {
    if (this.firstByteSecond === undefined) return 0;
    const nowSecond = Math.floor((nowMs - THROUGHPUT_LAG_MS) / 1000);
    const windowSeconds = THROUGHPUT_WINDOW_MS / 1000;
    const fromSecond = Math.max(nowSecond - windowSeconds, this.firstByteSecond);
    let bytes = 0;
    for (let second = fromSecond; second < nowSecond; second++) bytes += this.bytesBySecond.get(second) ?? 0;
    const seconds = nowSecond - fromSecond;
    return seconds > 0 ? bytes / seconds : 0;
  }

  snapshotParts(nowMs: number = Date.now()): SwarmSnapshotStatsPart {
    const requests = {} as Record<RequestKind, RequestCounts>;
    for (const kind of REQUEST_KINDS) requests[kind] = { ...this.kinds[kind].counts };
    return {
      stalledClients: this.stalledClients(),
      requests,
      httpErrors: { ...this.httpErrorCounts },
      reconnects: this.reconnectCount,
      timeouts: this.timeoutCount,
      segmentsSkippedExpired: this.expiredCount,
      playlistReloadFailures: this.reloadFailureCount,
      segmentTtfbSeconds: this.summary('segment', 'ttfb'),
      segmentDurationSeconds: this.summary('segment', 'duration'),
      manifestTtfbSeconds: this.summary('manifest', 'ttfb'),
      manifestDurationSeconds: this.summary('manifest', 'duration'),
      startupSeconds: this.startupSummary(),
      playbackSpeed: this.playbackSpeedSummary(),
      liveEdgeDriftSeconds: this.liveEdgeDrift.summary(),
      throughputBytesPerSecond: this.throughputBytesPerSecond(nowMs),
      connectFailures: this.connectFailureCount,
      segmentsFailed: this.segmentFailureCount,
    };
  }

  private addBytes(atMs: number, bytes: number): void {
    const second = Math.floor(atMs / 1000);
    if (this.firstByteSecond === undefined || second < this.firstByteSecond) this.firstByteSecond = second;
    this.bytesBySecond.set(second, (this.bytesBySecond.get(second) ?? 0) + bytes);
    // Keep the map bounded: drop seconds older than twice the window behind the newest.
    const keepSeconds = (2 * (THROUGHPUT_WINDOW_MS + THROUGHPUT_LAG_MS)) / 1000;
    if (this.bytesBySecond.size > keepSeconds + 4) {
      const oldest = second - keepSeconds;
      for (const key of this.bytesBySecond.keys()) if (key < oldest) this.bytesBySecond.delete(key);
    }
  }
}
