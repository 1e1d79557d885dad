import { EventEmitter } from 'node:events';
import { Agent, request } from 'undici';
import { type MetricsSpec, metricsSchema, parseDurationMs } from '../config/index.js';
import type { OriginExporters } from '../origin/index.js';
import { redactUrl } from '../system/index.js';
import { type AccessLogHealth, AccessLogTailer } from './access-log.js';
import { ExpositionParseError, parseExposition } from './exposition.js';
import { MetricStore, type ScrapeRole } from './store.js';
import { type SwarmEventSource, SwarmRecorder } from './swarm.js';
import { buildTimeseries, type Timeseries } from './timeseries.js';

/*
 * Scrapes every Prometheus endpoint of a run on its own interval (swarm 1 s, exporters 2 s
 * by default), with a timeout, into one MetricStore. A failed or malformed scrape is
 * counted against its target and never throws. stop() clears every timer, aborts scrapes
 * in flight and closes the HTTP agent's sockets.
 */

export interface ScrapeTarget {
  name: string;
  url: string;
  role: ScrapeRole;
  intervalMs: number;
}

export interface ScrapeHealth {
  name: string;
  /** The URL with any user:password removed. */
  url: string;
  role: ScrapeRole;
  intervalMs: number;
  attempts: number;
  failures: number;
  consecutiveFailures: number;
  lastError?: string;
  lastErrorAtMs?: number;
  lastSuccessAtMs?: number;
  lastDurationMs?: number;
  /** Samples in the last successful scrape. */
  lastSampleCount?: number;
  /** Raw series refused by the per-target limit (label explosion guard). */
  droppedSeries: number;
}

export interface SampleEvent {
  atMs: number;
  /** 'swarm-tick' for the swarm gauges, else the target name. */
  source: string;
  ok: boolean;
}

export interface MetricsSamplerOptions {
  /** scenario.metrics (intervals, timeout, extra targets); defaults when absent. */
  spec?: MetricsSpec;
  /** The swarm's own /metrics URL. */
  swarmMetricsUrl?: string;
  /** The running origin (its exporters and JSON access log); RunningOrigin fits. */
  origin?: { exporters: OriginExporters; accessLog?: string };
  /** Clock (epoch ms); tests pass their own. */
  now?: () => number;
  accessLogPollMs?: number;
}

interface TargetState {
  target: ScrapeTarget;
  health: ScrapeHealth;
  timer?: NodeJS.Timeout;
  inFlight?: Promise<void>;
  controller?: AbortController;
  nextAtMs: number;
}

function describeError(error: unknown, timeoutMs: number, timedOut: boolean): string {
  if (timedOut) return `timed out after ${timeoutMs} ms`;
  if (error instanceof ExpositionParseError) return `malformed exposition: ${error.message}`;
  const err = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.cause?.code ?? err.code;
  const message = err.cause?.message ?? err.message ?? String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

export class MetricsSampler extends EventEmitter<{ sample: [SampleEvent] }> {
  readonly store: MetricStore;
  private readonly spec: MetricsSpec;
  private readonly now: () => number;
  private readonly targets: TargetState[] = [];
  private readonly recorder: SwarmRecorder;
  private readonly tailer: AccessLogTailer | undefined;
  private readonly timeoutMs: number;
  private readonly swarmIntervalMs: number;
  private agent: Agent | undefined;
  private swarmTimer: NodeJS.Timeout | undefined;
  private running = false;
  /** When start() was called (epoch ms). */
  startedAtMs: number | undefined;
  stoppedAtMs: number | undefined;

  constructor(options: MetricsSamplerOptions = {}) {
    super();
    this.spec = options.spec ?? metricsSchema.parse({});
    this.now = options.now ?? Date.now;
    this.store = new MetricStore();
    this.recorder = new SwarmRecorder(this.store, this.now);
    this.timeoutMs = parseDurationMs(this.spec.scrapeTimeout, 'metrics.scrapeTimeout');
    this.swarmIntervalMs = parseDurationMs(this.spec.swarmInterval, 'metrics.swarmInterval');
    const exporterIntervalMs = parseDurationMs(this.spec.exporterInterval, 'metrics.exporterInterval');
    if (options.swarmMetricsUrl)
      this.addTarget({
        name: 'swarm',
        url: options.swarmMetricsUrl,
        role: 'swarm',
        intervalMs: this.swarmIntervalMs,
      });
    const exporters = options.origin?.exporters ?? {};
    if (exporters.nginx)
      this.addTarget({ name: 'nginx', url: exporters.nginx, role: 'nginx', intervalMs: exporterIntervalMs });
    if (exporters.node)
      this.addTarget({ name: 'node', url: exporters.node, role: 'node', intervalMs: exporterIntervalMs });
    for (const extra of this.spec.targets)
      this.addTarget({
        name: extra.name,
        url: extra.url,
        role: 'extra',
        intervalMs: parseDurationMs(extra.interval, `metrics.targets.${extra.name}.interval`),
      });
    // Declared up front: an exporter that never answers then reads as "no samples" (with
    // its scrape health saying why), not as a metric this run could not have.
    if (exporters.nginx) {
      this.store.declare('nginx_requests_per_second', 'gauge');
      this.store.declare('nginx_connections_active', 'gauge');
      this.store.declare('nginx_dropped_connections', 'counter');
    }
    if (exporters.node)
      for (const name of [
        'node_cpu_utilization',
        'node_memory_utilization',
        'node_network_transmit_bytes_per_second',
        'node_network_receive_bytes_per_second',
      ])
        this.store.declare(name, 'gauge');
    const accessLog = options.origin?.accessLog;
    const tailerOptions: { pollMs?: number; now?: () => number } = { now: this.now };
    if (options.accessLogPollMs !== undefined) tailerOptions.pollMs = options.accessLogPollMs;
    this.tailer = accessLog ? AccessLogTailer.intoStore(accessLog, this.store, tailerOptions) : undefined;
  }

  private addTarget(target: ScrapeTarget): void {
    if (this.targets.some((state) => state.target.name === target.name))
      throw new Error(
        `metrics.targets: the name ${JSON.stringify(target.name)} is used twice (swarm, nginx and node are taken by the run itself)`,
      );
    this.targets.push({
      target,
      nextAtMs: 0,
      health: {
        name: target.name,
        url: redactUrl(target.url),
        role: target.role,
        intervalMs: target.intervalMs,
        attempts: 0,
        failures: 0,
        consecutiveFailures: 0,
        droppedSeries: 0,
      },
    });
  }

  /** Subscribes to a swarm's events (request, playback, startup, clientStarted/Exited, rampComplete). */
  attachSwarm(source: SwarmEventSource): void {
    this.recorder.attach(source);
  }

  /** When the attached swarm reported its ramp complete (epoch ms). */
  get rampCompleteAtMs(): number | undefined {
    return this.recorder.rampCompleteAtMs;
  }

  get scrapeTargets(): readonly ScrapeTarget[] {
    return this.targets.map((state) => state.target);
  }

  /** Starts scraping (first scrape of each target at once) and the swarm tick. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.startedAtMs = this.now();
    this.agent = new Agent({ connect: { timeout: this.timeoutMs }, keepAliveTimeout: 10_000 });
    for (const state of this.targets) {
      state.nextAtMs = this.now();
      this.runTarget(state);
    }
    const tick = () => {
      if (!this.running) return;
      const atMs = this.now();
      if (this.recorder.attached) {
        this.recorder.tick(atMs);
        this.emitSample({ atMs, source: 'swarm-tick', ok: true });
      }
      this.swarmTimer = setTimeout(tick, this.swarmIntervalMs);
    };
    this.swarmTimer = setTimeout(tick, this.swarmIntervalMs);
    this.tailer?.start();
  }

  private runTarget(state: TargetState): void {
    if (!this.running) return;
    state.inFlight = this.scrape(state).finally(() => {
      state.inFlight = undefined;
      if (!this.running) return;
      const now = this.now();
      // Fixed rate; a scrape slower than the interval skips the slots it overran.
      do state.nextAtMs += state.target.intervalMs;
      while (state.nextAtMs <= now);
      state.timer = setTimeout(() => this.runTarget(state), state.nextAtMs - now);
    });
  }

  /** One scrape of one target; records health and samples; never throws. */
  private async scrape(state: TargetState): Promise<void> {
    const { target, health } = state;
    const controller = new AbortController();
    state.controller = controller;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    const startedMs = this.now();
    health.attempts++;
    let ok = false;
    try {
      const response = await request(target.url, {
        dispatcher: this.agent,
        signal: controller.signal,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        headers: { accept: 'text/plain;version=0.0.4;q=1,*/*;q=0.1' },
      });
      if (response.statusCode !== 200) {
        await response.body.dump();
        throw new Error(`HTTP ${response.statusCode} from ${health.url}`);
      }
      const text = await response.body.text();
      const parsed = parseExposition(text);
      const atMs = this.now();
      this.store.ingestScrape(target.name, target.role, parsed, atMs);
      health.lastSuccessAtMs = atMs;
      health.lastSampleCount = parsed.samples.length;
      health.consecutiveFailures = 0;
      ok = true;
    } catch (error) {
      if (!this.running && !timedOut) {
        health.attempts--; // aborted by stop(): neither an attempt nor a failure
        return;
      }
      health.failures++;
      health.consecutiveFailures++;
      health.lastError = describeError(error, this.timeoutMs, timedOut);
      health.lastErrorAtMs = this.now();
    } finally {
      clearTimeout(timer);
      state.controller = undefined;
      health.lastDurationMs = this.now() - startedMs;
      health.droppedSeries = this.store.droppedSeries(target.name);
    }
    if (this.running) this.emitSample({ atMs: this.now(), source: target.name, ok });
  }

  /** The last error a 'sample' listener threw (listeners must not break sampling). */
  lastListenerError: Error | undefined;

  private emitSample(event: SampleEvent): void {
    try {
      this.emit('sample', event);
    } catch (error) {
      this.lastListenerError = error instanceof Error ? error : new Error(String(error));
    }
  }

  /** Stops all timers, aborts scrapes in flight, reads the access log one last time, closes sockets. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stoppedAtMs = this.now();
    if (this.swarmTimer) clearTimeout(this.swarmTimer);
    this.swarmTimer = undefined;
    for (const state of this.targets) {
      if (state.timer) clearTimeout(state.timer);
      state.timer = undefined;
      state.controller?.abort();
    }
    await Promise.all(this.targets.map((state) => state.inFlight));
    // Last gauge values at the end of the run.
    this.recorder.tick(this.stoppedAtMs);
    await this.tailer?.stop();
    this.recorder.detach();
    const agent = this.agent;
    this.agent = undefined;
    await agent?.destroy();
  }

  /** Per-target scrape health (attempts, failures, last error), for the report. */
  scrapeHealth(): ScrapeHealth[] {
    return this.targets.map((state) => ({ ...state.health }));
  }

  accessLogHealth(): AccessLogHealth | undefined {
    return this.tailer?.status();
  }

  /** Per-step key metrics (swarm and origin) that the report embeds. */
  timeseries(stepMs = 1000, fromMs?: number, toMs?: number): Timeseries {
    const from = fromMs ?? this.startedAtMs ?? this.now();
    const to = toMs ?? this.stoppedAtMs ?? this.now();
    return buildTimeseries(this.store, from, to, stepMs);
  }
}
