import { createServer, type Server } from 'node:http';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { claimPort, describePortHolder, PortInUseError } from '../system/index.js';
import { TOOL_VERSION } from '../version.js';
import type { ExitCategory, PlaybackSample, RequestRecord, WatchAccountEvent } from './types.js';

/*
 * The swarm's own Prometheus endpoint (the seed's :17091, METRICS_PORT). Its own Registry, never
 * prom-client's global one, so two swarms in one process (or a library user's metrics) never
 * collide. The three seed names are kept exactly.
 *
 * /metrics also serves prom-client's default process metrics (process_*, nodejs_*), unprefixed:
 * they describe the Node process, not the swarm, and under their standard names stock
 * dashboards and alerts work (the Go tool served the same kind, process_* and go_*, unprefixed
 * too); Prometheus' job/instance labels tell processes apart. They live in one registry per
 * process (collectDefaultMetrics starts a GC observer and an event-loop monitor each time it is
 * called, so once), appended to each swarm's exposition.
 */

let processRegistry: Registry | undefined;

/** prom-client's default metrics of this Node process, collected once per process. */
export function processMetricsRegistry(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export interface SwarmMetricsOptions {
  /** The ffmpeg version the viewers run (preflight's), for hls_swarm_info; default 'unknown'. */
  ffmpegVersion?: string;
  /** hls-swarm's version for hls_swarm_info; default the package's. */
  toolVersion?: string;
}

const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32];
/** Seconds behind: within a segment, a few segments, a playlist window, lost. */
const DRIFT_BUCKETS = [0.5, 1, 2, 4, 8, 16, 32, 64];
const SPEED_BUCKETS = [0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 1, 1.01, 1.02, 1.05, 1.1, 1.5, 2, 4];
const STARTUP_BUCKETS_SECONDS = [0.25, 0.5, 1, 2, 3, 5, 8, 13, 21, 34];
/** Live latency: a player three 2 s segments behind live sits near 6 s. */
const LIVE_LATENCY_BUCKETS_SECONDS = [1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 60];

export class SwarmMetrics {
  readonly registry = new Registry();
  private readonly clientsActive: Gauge;
  private readonly clientsTarget: Gauge;
  private readonly clientsStarted: Counter;
  private readonly clientsRestarted: Counter;
  private readonly clientExits: Counter<'category'>;
  private readonly requests: Counter<'kind' | 'status'>;
  private readonly requestBytes: Counter<'kind'>;
  private readonly segmentDuration: Histogram;
  private readonly segmentTtfb: Histogram;
  private readonly manifestDuration: Histogram;
  private readonly manifestTtfb: Histogram;
  private readonly stalledClients: Gauge;
  private readonly droppedLines: Counter;
  private readonly reconnects: Counter;
  private readonly httpErrors: Counter<'code'>;
  private readonly timeouts: Counter;
  private readonly expiredSkips: Counter;
  private readonly playlistReloadFailures: Counter;
  private readonly playbackSpeed: Histogram;
  private readonly liveEdgeDrift: Histogram;
  private readonly playbackSpeedMean: Gauge;
  private readonly startup: Histogram;
  private readonly videoStartFailures: Counter<'reason'>;
  private readonly exitsBeforeVideoStart: Counter;
  private readonly watchSeconds: Counter;
  private readonly rebufferSeconds: Counter;
  private readonly rebufferEvents: Counter;
  private readonly liveLatency: Histogram;
  private droppedLinesSeen = 0;
  private began = false;
  /** Called before each scrape so gauges are current (the swarm sets it). */
  beforeScrape: (() => void) | undefined;

  constructor(options: SwarmMetricsOptions = {}) {
    const registers = [this.registry];
    new Gauge({
      name: 'hls_swarm_info',
      help: 'hls-swarm and ffmpeg versions of this swarm (value always 1)',
      labelNames: ['version', 'ffmpeg'],
      registers,
    }).set({ version: options.toolVersion ?? TOOL_VERSION, ffmpeg: options.ffmpegVersion ?? 'unknown' }, 1);
    this.clientsActive = new Gauge({
      name: 'hls_swarm_clients_active',
      help: 'Currently running clients',
      registers,
    });
    this.clientsTarget = new Gauge({
      name: 'hls_swarm_clients_target',
      help: 'Clients the ramp plan wants running now',
      registers,
    });
    this.clientsStarted = new Counter({
      name: 'hls_swarm_clients_started_total',
      help: 'Total clients launched (first starts and restarts)',
      registers,
    });
    this.clientsRestarted = new Counter({
      name: 'hls_swarm_clients_restarted_total',
      help: 'Restart count',
      registers,
    });
    this.clientExits = new Counter({
      name: 'hls_swarm_client_exits_total',
      help: 'ffmpeg exits by category',
      labelNames: ['category'],
      registers,
    });
    this.requests = new Counter({
      name: 'hls_swarm_requests_total',
      help: "HTTP requests by kind (manifest, segment, init, other) and status ('error' when none was received)",
      labelNames: ['kind', 'status'],
      registers,
    });
    this.requestBytes = new Counter({
      name: 'hls_swarm_request_bytes_total',
      help: 'Response body bytes by request kind',
      labelNames: ['kind'],
      registers,
    });
    this.segmentDuration = new Histogram({
      name: 'hls_swarm_segment_duration_seconds',
      help: 'Segment request start to last byte (estimated, see src/swarm/parse)',
      buckets: DURATION_BUCKETS_SECONDS,
      registers,
    });
    this.segmentTtfb = new Histogram({
      name: 'hls_swarm_segment_ttfb_seconds',
      help: 'Segment request start to response headers',
      buckets: DURATION_BUCKETS_SECONDS,
      registers,
    });
    this.manifestDuration = new Histogram({
      name: 'hls_swarm_manifest_duration_seconds',
      help: 'Playlist request start to last byte (estimated)',
      buckets: DURATION_BUCKETS_SECONDS,
      registers,
    });
    this.manifestTtfb = new Histogram({
      name: 'hls_swarm_manifest_ttfb_seconds',
      help: 'Playlist request start to response headers',
      buckets: DURATION_BUCKETS_SECONDS,
      registers,
    });
    this.stalledClients = new Gauge({
      name: 'hls_swarm_stalled_clients',
      help: 'Clients whose last playback window advanced slower than 0.9x realtime',
      registers,
    });
    this.droppedLines = new Counter({
      name: 'hls_swarm_dropped_log_lines_total',
      help: 'ffmpeg output lines dropped because a parser buffer was full',
      registers,
    });
    this.reconnects = new Counter({
      name: 'hls_swarm_reconnects_total',
      help: 'Reconnects ffmpeg announced',
      registers,
    });
    this.httpErrors = new Counter({
      name: 'hls_swarm_http_errors_total',
      help: 'HTTP error responses by status code',
      labelNames: ['code'],
      registers,
    });
    this.timeouts = new Counter({ name: 'hls_swarm_timeouts_total', help: 'Request timeouts', registers });
    this.expiredSkips = new Counter({
      name: 'hls_swarm_segments_skipped_expired_total',
      help: 'Segments skipped because they expired from the playlist',
      registers,
    });
    this.playlistReloadFailures = new Counter({
      name: 'hls_swarm_playlist_reload_failures_total',
      help: 'Failed playlist reloads',
      registers,
    });
    this.playbackSpeed = new Histogram({
      name: 'hls_swarm_playback_speed',
      help: 'Per-client playback speed (out_time advance / wall time) per window',
      buckets: SPEED_BUCKETS,
      registers,
    });
    this.liveEdgeDrift = new Histogram({
      name: 'hls_swarm_live_edge_drift_seconds',
      help: 'How far each viewer fell behind its best position relative to the wall clock, per window',
      buckets: DRIFT_BUCKETS,
      registers,
    });
    this.videoStartFailures = new Counter({
      name: 'hls_swarm_video_start_failures_total',
      help: "Viewer attempts that never played a first segment, by reason (the last failed request's HTTP status or error kind, or exit:<category>)",
      labelNames: ['reason'],
      registers,
    });
    this.exitsBeforeVideoStart = new Counter({
      name: 'hls_swarm_exits_before_video_start_total',
      help: 'Viewer attempts stopped by the plan before their first segment, with no failure seen',
      registers,
    });
    this.watchSeconds = new Counter({
      name: 'hls_swarm_watch_seconds_total',
      help: 'Seconds the player model played, all viewers (rebuffer ratio = rebuffer / (watch + rebuffer))',
      registers,
    });
    this.rebufferSeconds = new Counter({
      name: 'hls_swarm_rebuffer_seconds_total',
      help: 'Seconds the player model was stalled after video start, all viewers',
      registers,
    });
    this.rebufferEvents = new Counter({
      name: 'hls_swarm_rebuffer_events_total',
      help: 'Stalls after video start, all viewers',
      registers,
    });
    this.liveLatency = new Histogram({
      name: 'hls_swarm_live_latency_seconds',
      help: 'How far behind the live edge each viewer plays, per playback window (edge method, docs/metrics.md)',
      buckets: LIVE_LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.playbackSpeedMean = new Gauge({
      name: 'hls_swarm_playback_speed_mean',
      help: 'Mean of each running client’s latest playback speed window',
      registers,
    });
    this.startup = new Histogram({
      name: 'hls_swarm_startup_seconds',
      help: 'Client spawn to first segment complete',
      buckets: STARTUP_BUCKETS_SECONDS,
      registers,
    });
  }

  /** Labelled children, cached: resolving labels per request is measurable at 20k requests/s. */
  private readonly requestCounters = new Map<string, { inc(value?: number): void }>();
  private readonly byteCounters = new Map<string, { inc(value?: number): void }>();

  request(record: RequestRecord): void {
    const status = record.status !== undefined ? String(record.status) : record.ok ? 'unknown' : 'error';
    const key = `${record.kind} ${status}`;
    let counter = this.requestCounters.get(key);
    if (!counter) {
      counter = this.requests.labels({ kind: record.kind, status });
      this.requestCounters.set(key, counter);
    }
    counter.inc();
    if (record.bytes !== undefined) {
      let bytes = this.byteCounters.get(record.kind);
      if (!bytes) {
        bytes = this.requestBytes.labels({ kind: record.kind });
        this.byteCounters.set(record.kind, bytes);
      }
      bytes.inc(record.bytes);
    }
    if (record.kind === 'segment') {
      if (record.durationSeconds !== undefined) this.segmentDuration.observe(record.durationSeconds);
      if (record.ttfbSeconds !== undefined) this.segmentTtfb.observe(record.ttfbSeconds);
    } else if (record.kind === 'manifest') {
      if (record.durationSeconds !== undefined) this.manifestDuration.observe(record.durationSeconds);
      if (record.ttfbSeconds !== undefined) this.manifestTtfb.observe(record.ttfbSeconds);
    }
  }

  clientStarted(restart: boolean): void {
    this.clientsStarted.inc();
    if (restart) this.clientsRestarted.inc();
  }

  clientExited(category: ExitCategory): void {
    this.clientExits.inc({ category });
  }

  setClients(active: number, target: number, stalled: number): void {
    this.clientsActive.set(active);
    this.clientsTarget.set(target);
    this.stalledClients.set(stalled);
  }

  playback(sample: PlaybackSample): void {
    if (Number.isFinite(sample.speed)) this.playbackSpeed.observe(sample.speed);
    if (sample.driftSeconds !== undefined && Number.isFinite(sample.driftSeconds))
      this.liveEdgeDrift.observe(sample.driftSeconds);
    if (sample.liveLatencySeconds !== undefined && Number.isFinite(sample.liveLatencySeconds))
      this.liveLatency.observe(sample.liveLatencySeconds);
  }

  watch(account: WatchAccountEvent): void {
    if (account.playingSeconds > 0) this.watchSeconds.inc(account.playingSeconds);
    if (account.stalledSeconds > 0) this.rebufferSeconds.inc(account.stalledSeconds);
    if (account.stallsStarted > 0) this.rebufferEvents.inc(account.stallsStarted);
  }

  videoStartFailed(reason: string): void {
    this.videoStartFailures.inc({ reason });
  }

  exitedBeforeVideoStart(): void {
    this.exitsBeforeVideoStart.inc();
  }

  setPlaybackSpeedMean(mean: number | undefined): void {
    if (mean !== undefined && Number.isFinite(mean)) this.playbackSpeedMean.set(mean);
  }

  startupSeconds(seconds: number): void {
    this.startup.observe(seconds);
  }

  reconnect(): void {
    this.reconnects.inc();
  }
  httpError(code: number | string): void {
    this.httpErrors.inc({ code: String(code) });
  }
  timeout(): void {
    this.timeouts.inc();
  }
  segmentSkippedExpired(count = 1): void {
    this.expiredSkips.inc(count);
  }
  playlistReloadFailed(): void {
    this.playlistReloadFailures.inc();
  }

  /**
   * The swarm has begun its plan (t=0 of the ramp: viewers are being released or spawned), so
   * the metrics describe load; before it (preflight, viewers prepared at the start gate, waiting
   * for --start-at) /ready answers 503.
   */
  markBegun(): void {
    this.began = true;
  }

  get ready(): boolean {
    return this.began;
  }

  /** What /metrics serves: the swarm's registry, then this process's default metrics. */
  async exposition(): Promise<string> {
    const [own, processMetrics] = await Promise.all([
      this.registry.metrics(),
      processMetricsRegistry().metrics(),
    ]);
    return `${own.endsWith('\n') ? own : `${own}\n`}${processMetrics}`;
  }

  /** Takes the cumulative total of dropped lines and adds what is new. */
  setDroppedLinesTotal(total: number): void {
    if (total > this.droppedLinesSeen) {
      this.droppedLines.inc(total - this.droppedLinesSeen);
      this.droppedLinesSeen = total;
    }
  }
}

export interface MetricsServer {
  /** http://host:port/metrics */
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `/metrics`, `/health` (the process answers) and `/ready` (200 once the swarm has begun
 * its plan, 503 before) on host:port (0 = a free port). A busy port is a PortInUseError naming
 * the holder, raised before anything else starts.
 */
export async function startMetricsServer(
  metrics: SwarmMetrics,
  options: { port: number; host?: string },
): Promise<MetricsServer> {
  const registry = metrics.registry;
  const host = options.host ?? '127.0.0.1';
  const port = await claimPort(options.port, 'swarm metrics (METRICS_PORT / swarm.metricsPort)', host);
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      try {
        metrics.beforeScrape?.();
      } catch {}
      metrics.exposition().then(
        (body) => {
          response.writeHead(200, { 'content-type': registry.contentType });
          response.end(body);
        },
        (error: unknown) => {
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end(String(error));
        },
      );
    } else if (path === '/health') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('ok\n');
    } else if (path === '/ready') {
      response.writeHead(metrics.ready ? 200 : 503, { 'content-type': 'text/plain' });
      response.end(metrics.ready ? 'ready\n' : 'not ready: the swarm has not begun its plan yet\n');
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('not found: try /metrics, /health or /ready\n');
    }
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE')
        reject(
          new PortInUseError(
            port,
            host,
            describePortHolder(port),
            'swarm metrics (METRICS_PORT / swarm.metricsPort)',
          ),
        );
      else reject(error);
    });
    server.listen({ port, host, exclusive: true }, () => resolve());
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${boundPort}/metrics`,
    host,
    port: boundPort,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
