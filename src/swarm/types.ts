import type { RequestKind, ShardSpec, SwarmSpec } from '../config/index.js';

/*
 * The seam between the swarm's parts (command builder, output parsers, stats, runtime) and
 * the layers below it (metrics, slo, report, vitest). Times are epoch milliseconds named
 * `…Ms`; durations in seconds are named `…Seconds`.
 */

export type { RequestKind } from '../config/index.js';

/** An ffmpeg process (demuxes, real player stack) or a light viewer (an in-process player model, swarm/light). */
export type ViewerKind = 'ffmpeg' | 'light';
export const VIEWER_KINDS: readonly ViewerKind[] = ['ffmpeg', 'light'];

/** One HTTP request made by one viewer, as complete as ffmpeg's log lets us know it. */
export interface RequestRecord {
  clientId: number;
  kind: RequestKind;
  url: string;
  /** When the request began (Opening / HLS request line arrival). */
  startMs: number;
  /** HTTP status (exact at trace level: `http_code=`). */
  status?: number;
  /** Response body bytes (Content-Length at trace level). */
  bytes?: number;
  /** Request start → response headers. */
  ttfbSeconds?: number;
  /** Request start → last byte, estimated; the method is documented in src/swarm. */
  durationSeconds?: number;
  /**
   * When the response was read to its end (epoch ms, the last-byte estimate). For an untimed
   * viewer it is the poll that read its last data (within 100 ms while the viewer starts up,
   * 1 s after): good for the start-up time, not for a duration.
   */
  endMs?: number;
  ok: boolean;
  /** Why it failed, when it did. */
  error?: 'http' | 'timeout' | 'connect' | 'expired' | 'other';
  /**
   * The origin answered (headers in) but the viewer was stopped before it had read the body —
   * typically the segment ffmpeg requests one ahead. Counted, as the origin served it; bytes are
   * the announced Content-Length; no duration.
   */
  cutByStop?: boolean;
  /** Which kind of viewer made it; the swarm sets it on every record it emits (absent: ffmpeg). */
  viewerKind?: ViewerKind;
}

/** A sample of one viewer's playback, per progress window (>= 10 s). */
export interface PlaybackSample {
  clientId: number;
  atMs: number;
  /** out_time advance / wall time over the window. */
  speed: number;
  stalled: boolean;
  /** Seconds behind the live edge, when known. */
  driftSeconds?: number;
  /** The player model's playhead: media seconds played since its attempt's first segment began. */
  playheadSeconds?: number;
  /** The player model's buffer ahead of its playhead (see stats/player-model.ts). */
  bufferSeconds?: number;
  /** Seconds the player model's playhead is behind the live edge (the 'edge' method). */
  liveLatencySeconds?: number;
  /** Segment bits pulled per media second over the window. */
  variantBitrate?: number;
}

/** Player-side QoE of the run (definitions in docs/metrics.md). */
export interface QoeSummary {
  /** Attempts (spawns and restarts) that never played a first segment, with a failure or a crash. */
  videoStartFailures: number;
  /** Per reason: the last failed request's HTTP status ('404'), its error kind ('timeout', 'connect', …), or 'exit:<category>'. */
  videoStartFailureReasons: Record<string, number>;
  /** Attempts the plan stopped (ramp down, run end, interrupt) before their first segment, with no failure seen. */
  exitsBeforeVideoStart: number;
  /** Attempts that played (ended by now). */
  attemptsPlayed: number;
  /** Seconds the player model played, all viewers. */
  watchSeconds: number;
  /** Seconds it was stalled (rebuffering) after video start. */
  rebufferSeconds: number;
  /** Stalls after video start (the start itself is not one). */
  rebufferEvents: number;
  /** rebufferSeconds / (watchSeconds + rebufferSeconds). */
  rebufferRatio: number;
  /** rebufferEvents per minute of watchSeconds. */
  rebufferFrequencyPerMinute: number;
  /** Per ended attempt that played: its own rebuffer ratio. */
  rebufferRatioPerAttempt?: DistributionSummary;
  /**
   * How live latency was measured: 'edge' = against the newest segment each viewer saw
   * published (ffmpeg 5.1's HLS demuxer does not read EXT-X-PROGRAM-DATE-TIME).
   */
  liveLatencyMethod: 'edge' | 'program-date-time';
  /** Seconds behind the live edge, per viewer per playback sample. */
  liveLatencySeconds?: DistributionSummary;
  /** Player buffer, per viewer per playback sample. */
  bufferSeconds?: DistributionSummary;
  /** Segment bits per media second, per viewer per playback sample. */
  variantBitrate?: DistributionSummary;
  /** Variant changes by a viewer mid-stream (ffmpeg viewers never switch: they keep the variants they open). */
  variantSwitches: number;
}

/** Playing and stalled time of one viewer since its previous account (every second, and at its exit). */
export interface WatchAccountEvent {
  clientId: number;
  atMs: number;
  playingSeconds: number;
  stalledSeconds: number;
  stallsStarted: number;
}

export type ExitCategory =
  | 'clean'
  | 'signal'
  | 'http_error'
  | 'network'
  | 'timeout'
  | 'spawn_failed'
  | 'error';

export interface SwarmEventMap {
  request: [RequestRecord];
  playback: [PlaybackSample];
  /** An ffmpeg viewer's process started playing (light viewers have no process: see viewerStarted). */
  clientStarted: [
    {
      clientId: number;
      pid: number;
      atMs: number;
      restart: boolean;
      /** The viewer's CMCD session id (`CMCD-Session: sid="…"`), as origin access logs record it. */
      sessionId?: string;
    },
  ];
  /** A viewer of either kind started (an ffmpeg viewer: with its process id, right after clientStarted). */
  viewerStarted: [
    {
      clientId: number;
      viewerKind: ViewerKind;
      /** The ffmpeg process; absent for a light viewer. */
      pid?: number;
      atMs: number;
      restart: boolean;
      sessionId?: string;
    },
  ];
  /** A viewer's attempt ended: an ffmpeg process exited, or a light viewer was stopped (category 'clean'). */
  clientExited: [
    {
      clientId: number;
      /** Absent: ffmpeg. */
      viewerKind?: ViewerKind;
      atMs: number;
      exitCode?: number;
      signal?: string;
      category: ExitCategory;
      uptimeMs: number;
    },
  ];
  /** spawn → first segment complete */
  startup: [{ clientId: number; atMs: number; seconds: number }];
  /** Watch and stall time of a playing viewer (each second, and at its exit). */
  watch: [WatchAccountEvent];
  /** An attempt ended without playing a first segment, with a failure (`reason`, see QoeSummary). */
  videoStartFailed: [{ clientId: number; atMs: number; reason: string }];
  /** An attempt was stopped by the plan before its first segment, with no failure seen. */
  exitedBeforeVideoStart: [{ clientId: number; atMs: number }];
  reconnect: [{ clientId: number; atMs: number; url?: string }];
  rampComplete: [{ atMs: number; clients: number }];
  /**
   * The start gate let a pre-started viewer's first request through (see swarm/gateway):
   * planned start, when its request reached the gate, when it was released (epoch ms).
   * latenessSeconds = released − planned (0 when on time).
   */
  released: [
    {
      clientId: number;
      plannedAtMs: number;
      arrivedAtMs: number;
      releasedAtMs: number;
      latenessSeconds: number;
    },
  ];
}

export interface DistributionSummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

export interface RequestCounts {
  total: number;
  ok: number;
  failed: number;
  bytes: number;
}

/** Read-only view of the swarm; reading never resets anything. */
export interface SwarmSnapshot {
  atMs: number;
  clientsTarget: number;
  clientsActive: number;
  clientsStarted: number;
  restarts: number;
  stalledClients: number;
  requests: Record<RequestKind, RequestCounts>;
  httpErrors: Record<string, number>;
  reconnects: number;
  timeouts: number;
  segmentsSkippedExpired: number;
  playlistReloadFailures: number;
  exitCategories: Partial<Record<ExitCategory, number>>;
  segmentTtfbSeconds: DistributionSummary;
  segmentDurationSeconds: DistributionSummary;
  manifestTtfbSeconds: DistributionSummary;
  manifestDurationSeconds: DistributionSummary;
  startupSeconds: DistributionSummary;
  playbackSpeed: DistributionSummary;
  /**
   * How far behind the live edge viewers fell since they started, per progress window: the
   * drop of (media position − wall time since start) from its best (0 = keeping pace).
   */
  liveEdgeDriftSeconds?: DistributionSummary;
  throughputBytesPerSecond: number;
  droppedLines: number;
  ffmpeg: { path: string; version: string };
  /** When the swarm started (epoch ms); absent before it did. */
  startedAtMs?: number;
  /** Clients restarted because their playback stalled (restart.onStall). */
  stallRestarts?: number;
  /** Connection attempts that failed before any HTTP response. */
  connectFailures?: number;
  /** Segments ffmpeg gave up on ("Failed to open segment"). */
  segmentsFailed?: number;
  /**
   * Viewers whose log is read as it arrives (swarm.timedViewers): the TTFB and duration
   * distributions come from them alone; every viewer counts requests, statuses and bytes.
   */
  timedViewers?: number;
  /**
   * Where the timed viewers' TTFB and durations come from: 'relay' (swarm.relay: the bytes the
   * measuring relay passed on, µs resolution) or 'log' (each log line stamped as Node read it, ms).
   */
  timingSource?: 'relay' | 'log';
  /** The start gate's work (swarm.startGate), when it was on. */
  startGate?: StartGateSummary;
  /** Player-side QoE (the player model fed by each viewer's progress). */
  qoe?: QoeSummary;
  /**
   * Per viewer kind, when the swarm has light viewers (swarm.viewers): each kind's requests,
   * segment timings, startup and QoE; the kinds add up to the fleet's figures.
   */
  viewerKinds?: Partial<Record<ViewerKind, ViewerKindSnapshot>>;
  /** The light viewers' one scheduler: lateness (due → run) over the run, ms; absent without light viewers. */
  lightSchedulerLatenessMs?: DistributionSummary;
}

/** One viewer kind's share of a run (SwarmSnapshot.viewerKinds). */
export interface ViewerKindSnapshot {
  /** Viewers of this kind in the plan (distinct ids). */
  viewers: number;
  /** Every request of this kind's viewers, all request kinds together. */
  requests: RequestCounts;
  segmentTtfbSeconds: DistributionSummary;
  segmentDurationSeconds: DistributionSummary;
  startupSeconds: DistributionSummary;
  qoe: ViewerKindQoe;
}

/** One viewer kind's player-side QoE: the fleet's counts (QoeSummary's definitions) for its viewers alone. */
export type ViewerKindQoe = Pick<
  QoeSummary,
  | 'attemptsPlayed'
  | 'videoStartFailures'
  | 'exitsBeforeVideoStart'
  | 'watchSeconds'
  | 'rebufferSeconds'
  | 'rebufferEvents'
  | 'rebufferRatio'
>;

/** What the start gate did: the prepare phase before the run, and how late each viewer was let through. */
export interface StartGateSummary {
  /** The prepare phase: first spawn → the run's start (epoch ms). */
  prepareStartedAtMs: number;
  prepareEndedAtMs: number;
  /** Viewers waiting at the gate when the run started, of `gatedViewers`. */
  heldAtStart: number;
  gatedViewers: number;
  /** Viewers that reached the gate per second during the prepare phase. */
  arrivalRatePerSecond: number;
  /** Why the prepare phase ended: every viewer waited, the held bound, or maxPrepare. */
  prepareEnd: 'all-waiting' | 'held-bound' | 'max-prepare';
  /** Planned start → released, seconds, over every release. */
  releaseLatenessSeconds: DistributionSummary;
  /** Releases later than 20 ms. */
  lateReleases: number;
}

export interface SwarmOptions {
  url: string;
  spec: SwarmSpec;
  signal?: AbortSignal;
  /** Folder for per-client ffmpeg logs (client-<id>.log, bounded to 1 MiB + one rotation); none when absent. */
  logDir?: string;
  /** Print each spawned command (secrets redacted). */
  printCommand?: (line: string) => void;
  /** ffmpeg binary (a name looked up on PATH, or a path); default 'ffmpeg'. */
  ffmpegPath?: string;
  /** Environment of the viewers; default this process's. */
  env?: NodeJS.ProcessEnv;
  /** Address the /metrics server binds; default 127.0.0.1. */
  metricsHost?: string;
  /** GET the URL once before any viewer starts, so an unreachable URL or a 404 is a clear error; default true. */
  probeUrl?: boolean;
  /** Informational lines (preflight results, the variant chosen). */
  log?: (line: string) => void;
  /** How often playing untimed viewers' logs are read (see swarm.timedViewers); default 1000 ms. */
  logPollIntervalMs?: number;
  /** Run only this shard's slice of the plan (viewer ids i mod N); see config/shard.ts. */
  shard?: ShardSpec;
  /** Epoch ms to begin at, once the viewers are prepared (shards align on it); at most 1 h ahead. */
  startAtMs?: number;
  /** This run's id, the prefix of each viewer's CMCD session id (`<runId>-<viewer id>`); default a new UUID. */
  runId?: string;
}
