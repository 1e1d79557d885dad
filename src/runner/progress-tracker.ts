import type { ProgressUpdate, RunPhase } from '../report/index.js';
import type { RequestRecord, SwarmSnapshot } from '../swarm/index.js';
import { nearestRankPercentile } from '../system/index.js';

/*
 * Turns the swarm's cumulative snapshot plus its request events into per-interval progress
 * numbers (segments/s, errors, p95 over the interval just ended). Keeps only the current
 * interval's segment durations, so memory stays bounded whatever the run length.
 */
export class ProgressTracker {
  private segmentSeconds: number[] = [];
  private lastAtMs: number;
  private lastSegments = 0;
  private lastPlaylists = 0;
  private lastFailed = 0;
  private lastBytes = 0;
  private static readonly MAX_SAMPLES = 200_000;

  constructor(
    private readonly scenario: string,
    private readonly totalSeconds: number,
    startMs: number,
  ) {
    this.lastAtMs = startMs;
  }

  /** Feed every request event. */
  onRequest(record: RequestRecord): void {
    if (record.kind !== 'segment') return;
    const seconds = record.durationSeconds ?? record.ttfbSeconds;
    if (seconds === undefined || !Number.isFinite(seconds)) return;
    if (this.segmentSeconds.length < ProgressTracker.MAX_SAMPLES) this.segmentSeconds.push(seconds);
  }

  /** The progress since the previous call; resets the interval. */
  update(
    snapshot: SwarmSnapshot,
    atMs: number,
    phase: RunPhase,
    swarmStartMs: number,
    originProblem?: string,
  ): ProgressUpdate {
    const intervalSeconds = Math.max(0.001, (atMs - this.lastAtMs) / 1000);
    const segments = snapshot.requests.segment.total;
    const failed = Object.values(snapshot.requests).reduce((sum, counts) => sum + counts.failed, 0);
    const bytes = Object.values(snapshot.requests).reduce((sum, counts) => sum + counts.bytes, 0);
    const sorted = this.segmentSeconds.sort((a, b) => a - b);
    const p95 = sorted.length > 0 ? nearestRankPercentile(sorted, 95) : null;
    const p50 = sorted.length > 0 ? nearestRankPercentile(sorted, 50) : null;
    const playlists = snapshot.requests.manifest.total;
    const update: ProgressUpdate = {
      scenario: this.scenario,
      phase,
      elapsedSeconds: Math.max(0, (atMs - swarmStartMs) / 1000),
      totalSeconds: this.totalSeconds,
      clientsActive: snapshot.clientsActive,
      clientsTarget: snapshot.clientsTarget,
      segmentsPerSecond: Math.max(0, segments - this.lastSegments) / intervalSeconds,
      errorsTotal: failed,
      errorsInInterval: Math.max(0, failed - this.lastFailed),
      segmentP95Seconds: p95,
      segmentP50Seconds: p50,
      playlistsPerSecond: Math.max(0, playlists - this.lastPlaylists) / intervalSeconds,
      httpErrors: { ...snapshot.httpErrors },
      throughputBytesPerSecond: Math.max(0, bytes - this.lastBytes) / intervalSeconds,
      restarts: snapshot.restarts,
      stalledClients: snapshot.stalledClients,
      ...(snapshot.qoe
        ? {
            qoe: {
              rebufferRatio: snapshot.qoe.rebufferRatio,
              rebufferEvents: snapshot.qoe.rebufferEvents,
              videoStartFailures: snapshot.qoe.videoStartFailures,
              ...(snapshot.qoe.liveLatencySeconds
                ? { liveLatencyP50Seconds: snapshot.qoe.liveLatencySeconds.p50 }
                : {}),
            },
          }
        : {}),
      ...(originProblem ? { originProblem } : {}),
    };
    this.segmentSeconds = [];
    this.lastAtMs = atMs;
    this.lastSegments = segments;
    this.lastPlaylists = playlists;
    this.lastFailed = failed;
    this.lastBytes = bytes;
    return update;
  }
}
