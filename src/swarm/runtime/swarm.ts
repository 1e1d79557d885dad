import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseDurationMs, type ViewerCounts, viewerCountsOf } from '../../config/index.js';
import { releaseDirectory } from '../../system/index.js';
import { TOOL_VERSION } from '../../version.js';
import {
  buildClientCommand,
  type ClientCommand,
  cmcdSessionId,
  type FfmpegCapabilities,
  inputUrlOf,
  newRunId,
  withInputUrl,
} from '../command/index.js';
import { type GateRelease, GateSession, type StartGate } from '../gateway/index.js';
import {
  type LightFleet,
  type LightRequestRecord,
  type LightViewerStoppedEvent,
  STOPPED_BEFORE_RESPONSE,
} from '../light/index.js';
import type { MetricsServer, SwarmMetrics } from '../metrics-server.js';
import { type ClientOutputEvent, ClientOutputParser } from '../parse/index.js';
import { type MeasuringRelay, requestRecordFromRelay } from '../relay/index.js';
import {
  type AttemptOutcome,
  FleetQoe,
  FleetStats,
  PlaybackTracker,
  ViewerKindStats,
} from '../stats/index.js';
import type {
  DistributionSummary,
  ExitCategory,
  PlaybackSample,
  RequestRecord,
  SwarmEventMap,
  SwarmOptions,
  SwarmSnapshot,
  ViewerKind,
} from '../types.js';
import { backoffPolicyFromSpec } from './backoff.js';
import { type ClientParser, SupervisedClient } from './client.js';
import { ClientLogFiles } from './client-log-files.js';
import {
  HOUSEKEEPING_INTERVAL_MS,
  LOG_POLL_INTERVAL_MS,
  STARTING_LOG_POLL_INTERVAL_MS,
  type SwarmHandle,
} from './handle.js';
import { isTimedViewer } from './log-fifos.js';
import { planIndexOf, type RampEvent, type RampPlan, RampScheduler, targetClientsAt } from './ramp.js';
import { ffmpegPlanOf, viewerKindOf } from './viewer-kinds.js';

/*
 * The swarm: preflight, metrics endpoint, ramp scheduler and one supervisor per viewer, wired
 * to the output parsers and fleet stats. Order of start-up matters: everything that can fail
 * for a user-fixable reason (ffmpeg missing, limits, busy port, unreachable URL) fails before
 * the first ffmpeg is spawned. With light viewers (swarm.viewers.light), one LightFleet plays
 * them on the same ramp, interleaved with the ffmpeg viewers by id (runtime/viewer-kinds.ts);
 * their records, startups, watch time and samples go the same way as the ffmpeg viewers'.
 */

export class Swarm extends EventEmitter<SwarmEventMap> implements SwarmHandle {
  readonly metricsUrl: string;
  readonly done: Promise<SwarmSnapshot>;
  private resolveDone!: (snapshot: SwarmSnapshot) => void;
  private readonly clients = new Map<number, SupervisedClient>();
  private readonly trackers = new Map<number, PlaybackTracker>();
  private readonly qoe = new FleetQoe();
  private readonly fleet = new FleetStats();
  private readonly scheduler: RampScheduler;
  private readonly exitCategories: Partial<Record<ExitCategory, number>> = {};
  private startedAtMs = 0;
  private clientsStarted = 0;
  private restarts = 0;
  private stallRestarts = 0;
  private peakStarted = 0;
  private rampCompleteEmitted = false;
  private stopping: Promise<SwarmSnapshot> | undefined;
  private endTimer: NodeJS.Timeout | undefined;
  private housekeeping: NodeJS.Timeout | undefined;
  private logPolling: NodeJS.Timeout | undefined;
  private finalSnapshot: SwarmSnapshot | undefined;
  private readonly commandCache = new Map<number, ClientCommand>();
  /** This run's id: each viewer's CMCD session id is `<runId>-<viewer id>` (command/cmcd.ts). */
  readonly runId: string;

  constructor(
    private readonly options: SwarmOptions,
    readonly ffmpeg: FfmpegCapabilities,
    readonly plan: RampPlan,
    private readonly variantMaps: string[],
    private readonly metrics: SwarmMetrics,
    private readonly metricsServer: MetricsServer,
    /** Folder of the untimed viewers' FIFOs (client-<id>), or undefined when every viewer is timed. */
    private readonly fifoDir: string | undefined,
    /** Holds pre-started viewers until their planned start (swarm.startGate); undefined when off. */
    private readonly gate: StartGate | undefined,
    /** Times the timed viewers' requests from the bytes it relays (swarm.relay); undefined when off. */
    private readonly relay?: MeasuringRelay,
    /** Plays the light viewers (swarm.viewers.light); undefined without them. Closed by stop(). */
    readonly lightFleet?: LightFleet,
  ) {
    super();
    this.counts = viewerCountsOf(options.spec);
    this.ffmpegPlan = ffmpegPlanOf(plan, this.counts);
    if (this.counts.light > 0)
      for (const event of plan.events) this.kindStats.planned(this.kindOf(event.clientId), event.clientId);
    if (lightFleet) this.listenToLightFleet(lightFleet);
    relay?.on('request', (record) =>
      this.onRequest(record.clientId, requestRecordFromRelay(record, this.stopping !== undefined)),
    );
    this.metricsUrl = metricsServer.url;
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    this.scheduler = new RampScheduler(plan, (event, dueAtMs) => this.onRampEvent(event, dueAtMs));
    metrics.beforeScrape = () => this.refreshGauges();
    this.logFiles = new ClientLogFiles(options.logDir);
    this.runId = options.runId ?? newRunId();
    this.gateSession = gate
      ? new GateSession(gate, this.ffmpegPlan.events, options.spec.startGate, {
          spawn: (clientId) => this.startClientProcess(clientId, true),
          released: (release) => this.onReleased(release),
          log: (line) => options.log?.(line),
        })
      : undefined;
  }

  private readonly gateSession: GateSession | undefined;
  /** Viewers of each kind, and the plan's ffmpeg viewers alone (the gate's, the FIFOs'). */
  private readonly counts: ViewerCounts;
  private readonly ffmpegPlan: RampPlan;
  private readonly kindStats = new ViewerKindStats();
  /** Light viewers started and not stopped; those stalled now; when each was last sampled. */
  private readonly lightActive = new Set<number>();
  private readonly lightStalled = new Set<number>();
  private readonly lightSampledAtMs = new Map<number, number>();

  /** Which kind viewer `clientId` is (ids interleave the kinds, see viewer-kinds.ts). */
  kindOf(clientId: number): ViewerKind {
    return viewerKindOf(clientId, this.counts);
  }

  /**
   * The prepare phase (with the start gate): spawns viewers ahead of the plan and resolves once
   * all of them wait at the gate (see gateway/), a bound is reached, or stop().
   */
  async prepare(): Promise<void> {
    await this.gateSession?.prepare(() => this.stopping !== undefined);
  }

  /** Whether stop() was called (e.g. aborted during the prepare phase). */
  get stopped(): boolean {
    return this.stopping !== undefined;
  }

  private onReleased(release: GateRelease): void {
    const client = this.clients.get(release.clientId);
    if (!client || this.stopping) return;
    client.markReleased(release.releasedAtMs);
    this.onViewerStarted(release.clientId, client.pid ?? 0, release.releasedAtMs, false, 'ffmpeg');
    this.emit('released', release);
    this.checkRampComplete();
  }

  begin(): void {
    this.startedAtMs = Date.now();
    // The first start is due at 0 ms: defer it one turn so that listeners the caller attaches
    // right after `await startSwarm()` see every clientStarted event.
    setImmediate(() => {
      if (this.stopping) return;
      this.startedAtMs = Date.now();
      this.scheduler.start();
      this.endTimer = setTimeout(() => void this.stop(), this.plan.totalDurationMs);
      this.housekeeping = setInterval(() => this.refresh(), HOUSEKEEPING_INTERVAL_MS);
      if (this.fifoDir) this.logPolling = setInterval(() => this.pollLogs(), STARTING_LOG_POLL_INTERVAL_MS);
      this.refresh();
    });
  }

  /** Stops the swarm when the caller's signal aborts, from the prepare phase on. */
  watchSignal(): void {
    const signal = this.options.signal;
    if (signal) {
      if (signal.aborted) void this.stop();
      else signal.addEventListener('abort', () => void this.stop(), { once: true });
    }
  }

  private command(clientId: number): ClientCommand {
    let command = this.commandCache.get(clientId);
    if (!command) {
      command = buildClientCommand({
        url: this.options.url,
        clientId,
        spec: this.options.spec,
        capabilities: this.ffmpeg,
        toolVersion: TOOL_VERSION,
        variantMaps: this.variantMaps,
        sessionId: cmcdSessionId(this.runId, clientId),
      });
      if (this.relay && this.isTimed(clientId))
        command = withInputUrl(command, this.relay.urlFor(clientId, inputUrlOf(command)));
      this.commandCache.set(clientId, command);
    }
    return command;
  }

  /** Whether `clientId`'s requests are timed (see swarm.timedViewers): through the relay, or by its log. */
  isTimed(clientId: number): boolean {
    if (this.kindOf(clientId) === 'light') return true; // µs timings of every request
    return (
      this.fifoDir === undefined ||
      isTimedViewer(
        planIndexOf(this.ffmpegPlan, clientId),
        this.options.spec.timedViewers,
        this.ffmpegPlan.peakClients,
      )
    );
  }

  /** Whether `clientId`'s log is read as it arrives: a timed viewer without the relay. */
  private readsLogLive(clientId: number): boolean {
    return this.relay === undefined && this.isTimed(clientId);
  }

  private timedViewerCountCache: number | undefined;

  /** How many of the run's viewer ids are timed. */
  private timedViewerCount(): number {
    if (this.timedViewerCountCache === undefined) {
      const ids = new Set(this.plan.events.map((event) => event.clientId));
      this.timedViewerCountCache = [...ids].filter((id) => this.isTimed(id)).length;
    }
    return this.timedViewerCountCache;
  }

  private pollTicks = 0;

  /** Reads the FIFOs of starting viewers every tick, and of all viewers every logPollIntervalMs. */
  private pollLogs(): void {
    const now = Date.now();
    const ticksPerFullPoll = Math.max(
      1,
      Math.round((this.options.logPollIntervalMs ?? LOG_POLL_INTERVAL_MS) / STARTING_LOG_POLL_INTERVAL_MS),
    );
    if (this.pollTicks++ % ticksPerFullPoll === 0) {
      for (const client of this.clients.values()) client.pollLog(now);
    } else {
      for (const clientId of this.firstSegmentPending) this.clients.get(clientId)?.pollLog(now);
    }
  }

  commandLine(clientId: number): string {
    return this.command(clientId).printable;
  }

  viewerPids(): number[] {
    const pids: number[] = [];
    for (const client of this.clients.values()) {
      const pid = client.pid;
      if (pid !== undefined) pids.push(pid);
    }
    return pids;
  }

  private onRampEvent(event: RampEvent, dueAtMs: number): void {
    if (this.stopping) return;
    if (this.lightFleet && this.kindOf(event.clientId) === 'light') {
      if (event.action === 'start') this.startLightViewer(event.clientId);
      else {
        this.lightFleet.stop(event.clientId);
        this.fleet.forgetClient(event.clientId);
      }
      return;
    }
    if (event.action === 'start') this.startClient(event.clientId, dueAtMs);
    else {
      // A stage scaled the fleet down: this viewer is gone for good (until a later stage).
      this.gateSession?.preparer.forget(event.clientId);
      const client = this.clients.get(event.clientId);
      if (client) void client.stop().then(() => this.fleet.forgetClient(event.clientId));
    }
  }

  /** A viewer is due: let it through the gate (now, or when it arrives), or start it directly. */
  private startClient(clientId: number, dueAtMs: number): void {
    const session = this.gateSession;
    if (session?.awaitsRelease(clientId)) {
      session.due(clientId, inputUrlOf(this.command(clientId)), dueAtMs);
      // Stopped by a stage before its release and due again: back to the gate, released on arrival.
      const client = this.clients.get(clientId);
      if (client && !client.wanted) client.start();
      return;
    }
    this.startClientProcess(clientId, false);
    this.checkRampComplete();
  }

  /** Spawns viewer `clientId` (through the gate when `gated`). */
  private startClientProcess(clientId: number, gated: boolean): void {
    let client = this.clients.get(clientId);
    if (!client) {
      const spec = this.options.spec;
      const command = this.command(clientId);
      this.options.printCommand?.(command.printable);
      const gate = this.gateSession?.gate;
      const gatedCommand =
        gated && gate ? withInputUrl(command, gate.urlFor(clientId, inputUrlOf(command))) : undefined;
      client = new SupervisedClient(
        {
          clientId,
          command,
          restartEnabled: spec.restart.enabled,
          maxRestarts: spec.restart.maxRestarts,
          backoff: backoffPolicyFromSpec(spec.restart),
          stopGraceMs: parseDurationMs(spec.stopGrace, 'swarm.stopGrace'),
          env: this.options.env,
          ...(this.readsLogLive(clientId)
            ? {}
            : { logFifo: join(this.fifoDir as string, `client-${clientId}`) }),
          ...(gatedCommand ? { gatedCommand } : {}),
          autogroupNice: spec.viewerNice,
        },
        {
          createParser: (id) => this.createParser(id),
          onPriority: (lowered) => this.notePriority(lowered),
          // A viewer held at the gate starts when released (onReleased), not when spawned.
          onStarted: (info) => {
            if (!info.held) this.onViewerStarted(info.clientId, info.pid, info.atMs, info.restart, 'ffmpeg');
          },
          onExited: (info) => {
            if (!info.willRestart && !this.gateSession?.isReleased(info.clientId))
              this.gateSession?.preparer.forget(info.clientId);
            this.exitCategories[info.category] = (this.exitCategories[info.category] ?? 0) + 1;
            this.metrics.clientExited(info.category);
            this.firstSegmentPending.delete(info.clientId);
            this.onAttemptEnded(info.clientId, info.atMs, info.stoppedByUs, info.category);
            const { willRestart: _willRestart, restartDelayMs: _delay, stoppedByUs: _byUs, ...event } = info;
            this.emit('clientExited', event);
          },
        },
      );
      this.clients.set(clientId, client);
    }
    client.start();
  }

  private priorityNoted = false;

  /** Says once whether viewers run at a lower priority than the swarm (swarm.viewerNice). */
  private notePriority(lowered: boolean): void {
    if (this.priorityNoted) return;
    this.priorityNoted = true;
    const nice = this.options.spec.viewerNice;
    this.options.log?.(
      lowered
        ? `viewers run at autogroup nice ${nice}: the swarm keeps the CPU it needs to start them on time`
        : `viewers run at the swarm's priority (autogroup nice ${nice} needs root and sched_autogroup): under CPU contention releases can be late`,
    );
  }

  private onViewerStarted(
    clientId: number,
    pid: number | undefined,
    atMs: number,
    restart: boolean,
    viewerKind: ViewerKind,
  ): void {
    this.clientsStarted++;
    if (restart) this.restarts++;
    this.metrics.clientStarted(restart);
    const sessionId = cmcdSessionId(this.runId, clientId);
    if (viewerKind === 'light') this.qoe.lightAttemptStarted(clientId);
    else {
      this.tracker(clientId).start(atMs);
      this.qoe.attemptStarted(clientId, atMs);
      this.firstSegmentPending.add(clientId);
      this.emit('clientStarted', { clientId, pid: pid ?? 0, atMs, restart, sessionId });
    }
    this.emit('viewerStarted', {
      clientId,
      viewerKind,
      ...(pid !== undefined ? { pid } : {}),
      atMs,
      restart,
      sessionId,
    });
  }

  // ── light viewers ──────────────────────────────────────────────────────────────────────

  private listenToLightFleet(fleet: LightFleet): void {
    fleet.on('request', (record) => this.onLightRequest(record));
    fleet.on('startup', (event) => {
      this.fleet.recordStartup(event.clientId, event.seconds);
      this.kindStats.recordStartup('light', event.seconds);
      this.metrics.startupSeconds(event.seconds);
      this.emit('startup', event);
    });
    fleet.on('stall', (event) => {
      if (this.lightActive.has(event.clientId)) this.lightStalled.add(event.clientId);
    });
    fleet.on('rebuffer', (event) => this.lightStalled.delete(event.clientId));
    fleet.on('variantSwitch', () => this.qoe.lightVariantSwitch());
    fleet.on('viewerStopped', (event) => this.onLightStopped(event));
  }

  /** A light viewer is due: it starts at once (no process, no gate). */
  private startLightViewer(clientId: number): void {
    const fleet = this.lightFleet as LightFleet;
    const viewer = fleet.start(clientId);
    if (viewer.state !== 'starting' && viewer.state !== 'running') return;
    if (this.lightActive.has(clientId)) return;
    const atMs = Date.now();
    this.lightActive.add(clientId);
    this.lightSampledAtMs.set(clientId, atMs);
    this.onViewerStarted(clientId, undefined, atMs, false, 'light');
    this.checkRampComplete();
  }

  /** A light request: the error counters ffmpeg's log feeds come from the record itself. */
  private onLightRequest(record: LightRequestRecord): void {
    // Sent, then cut by the viewer's own stop before any response: the swarm's doing, not the
    // origin's (nginx logs it as 499); not a failed request of the run.
    if (record.fault?.reason === STOPPED_BEFORE_RESPONSE) return;
    if (!record.ok && !record.cutByStop) {
      const atMs = record.endMs ?? record.startMs;
      if (record.status !== undefined && record.status >= 400) {
        this.fleet.recordEvent({ type: 'http_error', atMs, status: record.status, url: record.url });
        this.metrics.httpError(record.status);
      } else if (record.error === 'timeout') {
        this.fleet.recordEvent({ type: 'timeout', atMs, url: record.url });
        this.metrics.timeout();
      } else if (record.error === 'connect') {
        this.fleet.recordEvent({
          type: 'connect_failed',
          atMs,
          reason: record.fault?.reason ?? 'connect',
          url: record.url,
        });
      }
    }
    this.onRequest(record.clientId, record);
  }

  /** A light viewer's watch time since its previous account, from its own buffer. */
  private emitLightWatch(clientId: number, atMs: number): void {
    const viewer = this.lightFleet?.viewer(clientId);
    if (!viewer) return;
    const account = viewer.account();
    this.qoe.lightAccount(clientId, account);
    if (account.playingSeconds <= 0 && account.stalledSeconds <= 0) return;
    const event = { clientId, atMs, ...account };
    this.metrics.watch(event);
    this.emit('watch', event);
  }

  /** Each housekeeping tick: watch time of every light viewer, and a playback sample per stall window. */
  private refreshLight(now: number): void {
    const fleet = this.lightFleet;
    if (!fleet) return;
    const windowMs = parseDurationMs(this.options.spec.stallWindow, 'swarm.stallWindow');
    for (const clientId of this.lightActive) {
      this.emitLightWatch(clientId, now);
      if (now - (this.lightSampledAtMs.get(clientId) ?? now) < windowMs) continue;
      this.lightSampledAtMs.set(clientId, now);
      const sample = fleet.viewer(clientId).sample();
      if (!sample) continue;
      this.qoe.lightSample(sample);
      this.fleet.recordPlayback(sample);
      this.metrics.playback(sample);
      this.emit('playback', sample);
    }
  }

  /** A light viewer stopped (the plan's stop, or the swarm's): its last watch time and how its start went. */
  private onLightStopped(event: LightViewerStoppedEvent): void {
    const { clientId, atMs } = event;
    if (!this.lightActive.delete(clientId)) return;
    this.lightStalled.delete(clientId);
    this.lightSampledAtMs.delete(clientId);
    this.emitLightWatch(clientId, atMs);
    this.noteOutcome(clientId, atMs, this.qoe.lightAttemptEnded(clientId, event));
    this.emit('clientExited', {
      clientId,
      viewerKind: 'light',
      atMs,
      category: 'clean',
      uptimeMs: event.uptimeMs,
    });
  }

  /** The light scheduler's lateness since the previous call (for generator health); undefined without light viewers. */
  lightSchedulerLatenessMs(): DistributionSummary | undefined {
    return this.lightFleet?.scheduler.latenessMs(true);
  }

  private checkRampComplete(): void {
    // Counting is O(clients): only once enough distinct clients exist to possibly be at the peak.
    if (this.rampCompleteEmitted || this.clients.size + this.lightActive.size < this.plan.peakClients) return;
    const wanted = this.countWanted();
    if (wanted > this.peakStarted) this.peakStarted = wanted;
    if (this.peakStarted >= this.plan.peakClients) {
      this.rampCompleteEmitted = true;
      this.emit('rampComplete', { atMs: Date.now(), clients: this.peakStarted });
    }
  }

  private readonly firstSegmentPending = new Set<number>();
  private readonly logFiles: ClientLogFiles;

  /** The parser of one run (with its bounded log file when `options.logDir` is set). */
  private createParser(clientId: number): ClientParser {
    const parser = new ClientOutputParser(clientId, (event) => this.onOutput(clientId, event), {
      timed: this.readsLogLive(clientId),
    });
    return this.logFiles.tee(clientId, parser);
  }

  private tracker(clientId: number): PlaybackTracker {
    let tracker = this.trackers.get(clientId);
    if (!tracker) {
      tracker = new PlaybackTracker(clientId, {
        windowMs: parseDurationMs(this.options.spec.stallWindow, 'swarm.stallWindow'),
      });
      this.trackers.set(clientId, tracker);
    }
    return tracker;
  }

  private onOutput(clientId: number, event: ClientOutputEvent): void {
    // The held request at the start gate is ours, not the origin's.
    const gateUrl = this.gateSession?.urlPrefix;
    if (event.type === 'request' && gateUrl && event.record.url.startsWith(gateUrl)) return;
    // A relayed viewer's requests are recorded from the relay, exactly; its log says the same, later.
    if (event.type === 'request' && this.relay && this.isTimed(clientId)) return;
    this.fleet.recordEvent(event);
    switch (event.type) {
      case 'request':
        this.onRequest(clientId, event.record);
        return;
      case 'progress': {
        this.qoe.media(clientId, event.atMs, event.outTimeUs);
        const sample = this.tracker(clientId).progress(event.atMs, event.outTimeUs);
        if (sample) this.onPlayback(sample);
        return;
      }
      case 'reconnect':
        this.metrics.reconnect();
        this.emit(
          'reconnect',
          event.url === undefined
            ? { clientId, atMs: event.atMs }
            : { clientId, atMs: event.atMs, url: event.url },
        );
        return;
      case 'http_error':
        this.metrics.httpError(event.status);
        return;
      case 'timeout':
        this.metrics.timeout();
        return;
      case 'segment_skipped_expired':
        this.metrics.segmentSkippedExpired(event.count);
        return;
      case 'playlist_reload_failed':
        this.metrics.playlistReloadFailed();
        return;
      default:
        return;
    }
  }

  private onRequest(clientId: number, record: RequestRecord): void {
    record.viewerKind ??= 'ffmpeg';
    this.fleet.recordRequest(record);
    if (this.counts.light > 0) this.kindStats.recordRequest(record);
    this.qoe.request(record);
    this.metrics.request(record);
    const client = this.clients.get(clientId);
    if (!record.ok && record.error) client?.noteFailure(record.error);
    // A segment cut by the stop was never read to its end: it does not end the start-up.
    const complete = record.ok && !record.cutByStop;
    if (complete && record.kind === 'segment' && this.firstSegmentPending.has(clientId) && client) {
      this.firstSegmentPending.delete(clientId);
      const completeMs = record.endMs ?? record.startMs + (record.durationSeconds ?? 0) * 1000;
      const seconds = Math.max(0, (completeMs - client.runStartedAtMs) / 1000);
      this.fleet.recordStartup(clientId, seconds);
      this.kindStats.recordStartup('ffmpeg', seconds);
      this.qoe.firstSegment(clientId, completeMs);
      this.metrics.startupSeconds(seconds);
      this.emit('startup', { clientId, atMs: completeMs, seconds });
    }
    this.emit('request', record);
  }

  private onPlayback(sample: PlaybackSample): void {
    Object.assign(sample, this.qoe.sample(sample.clientId, sample.atMs));
    this.fleet.recordPlayback(sample);
    this.metrics.playback(sample);
    this.emit('playback', sample);
    if (sample.stalled && this.options.spec.restart.onStall && !this.stopping) {
      const client = this.clients.get(sample.clientId);
      if (client?.running) {
        this.stallRestarts++;
        client.restartNow();
      }
    }
  }

  private countWanted(): number {
    let wanted = 0;
    for (const client of this.clients.values()) if (client.wanted && client.passedGate) wanted++;
    return wanted + this.lightActive.size;
  }

  /**
   * Stall windows of viewers that send no progress at all (hung or never started), each
   * playing viewer's watch time, then gauges.
   */
  private refresh(): void {
    const now = Date.now();
    for (const client of this.clients.values()) {
      if (!client.playing) continue;
      const sample = this.trackers.get(client.clientId)?.check(now);
      if (sample) this.onPlayback(sample);
      this.emitWatch(client.clientId, now);
    }
    this.refreshLight(now);
    this.refreshGauges();
  }

  private emitWatch(clientId: number, atMs: number): void {
    const account = this.qoe.account(clientId, atMs);
    if (!account || (account.playingSeconds <= 0 && account.stalledSeconds <= 0)) return;
    const event = { clientId, atMs, ...account };
    this.metrics.watch(event);
    this.emit('watch', event);
  }

  /** A viewer's process ended: its last watch time, and how its start went when it never played. */
  private onAttemptEnded(clientId: number, atMs: number, stoppedByUs: boolean, category: string): void {
    this.emitWatch(clientId, atMs);
    this.noteOutcome(clientId, atMs, this.qoe.attemptEnded(clientId, atMs, stoppedByUs, category));
  }

  private noteOutcome(clientId: number, atMs: number, outcome: AttemptOutcome | undefined): void {
    if (outcome?.kind === 'video-start-failure') {
      this.metrics.videoStartFailed(outcome.reason);
      this.emit('videoStartFailed', { clientId, atMs, reason: outcome.reason });
    } else if (outcome?.kind === 'exit-before-video-start') {
      this.metrics.exitedBeforeVideoStart();
      this.emit('exitedBeforeVideoStart', { clientId, atMs });
    }
  }

  /** Gauges from the current state; also run before every scrape so /metrics is never stale. */
  private refreshGauges(): void {
    const now = Date.now();
    let active = 0;
    let stalled = 0;
    let speedSum = 0;
    let speedCount = 0;
    for (const client of this.clients.values()) {
      if (!client.playing) continue;
      active++;
      const latest = this.trackers.get(client.clientId)?.lastSample;
      if (this.isStalled(client.clientId)) stalled++;
      if (latest) {
        speedSum += latest.speed;
        speedCount++;
      }
    }
    active += this.lightActive.size;
    stalled += this.lightStalled.size;
    const target =
      this.stopping || this.startedAtMs === 0 ? 0 : targetClientsAt(this.plan, now - this.startedAtMs);
    this.metrics.setClients(active, target, stalled);
    this.metrics.setPlaybackSpeedMean(speedCount > 0 ? speedSum / speedCount : undefined);
    this.metrics.setDroppedLinesTotal(this.droppedLines());
  }

  /** Rebuffering now (the player model), or its last playback window was stalled (a hung viewer). */
  private isStalled(clientId: number): boolean {
    if (this.lightStalled.has(clientId)) return true;
    return this.qoe.isStalled(clientId) || this.trackers.get(clientId)?.lastSample?.stalled === true;
  }

  private droppedLines(): number {
    let total = 0;
    for (const client of this.clients.values()) total += client.droppedLines;
    return total;
  }

  snapshot(): SwarmSnapshot {
    if (this.finalSnapshot) return this.finalSnapshot;
    const now = Date.now();
    let active = 0;
    let stalled = 0;
    for (const client of this.clients.values()) {
      if (!client.playing) continue;
      active++;
      if (this.isStalled(client.clientId)) stalled++;
    }
    active += this.lightActive.size;
    stalled += this.lightStalled.size;
    const parts = this.fleet.snapshotParts(now);
    return {
      ...parts,
      atMs: now,
      clientsTarget: this.stopping
        ? this.plan.peakClients
        : targetClientsAt(this.plan, now - this.startedAtMs),
      clientsActive: active,
      clientsStarted: this.clientsStarted,
      restarts: this.restarts,
      stalledClients: stalled,
      exitCategories: { ...this.exitCategories },
      droppedLines: this.droppedLines(),
      ffmpeg: { path: this.ffmpeg.path, version: this.ffmpeg.version },
      startedAtMs: this.startedAtMs,
      stallRestarts: this.stallRestarts,
      timedViewers: this.timedViewerCount(),
      timingSource: this.relay ? 'relay' : 'log',
      ...(this.gateSession?.summary() ? { startGate: this.gateSession.summary() } : {}),
      qoe: this.qoe.summary(),
      ...(this.counts.light > 0 ? { viewerKinds: this.kindStats.snapshot(this.qoe) } : {}),
      ...(this.lightFleet ? { lightSchedulerLatenessMs: this.lightFleet.scheduler.latenessMs() } : {}),
    };
  }

  stop(): Promise<SwarmSnapshot> {
    if (!this.stopping) {
      this.stopping = (async () => {
        this.scheduler.stop();
        this.gateSession?.stopSpawning();
        if (this.endTimer) clearTimeout(this.endTimer);
        await Promise.all([
          ...[...this.clients.values()].map((client) => client.stop()),
          // Stops every light viewer (their last watch and outcome), waits for their requests, closes the pool.
          this.lightFleet?.close(),
        ]);
        await this.gateSession?.close();
        await this.relay?.close();
        if (this.housekeeping) clearInterval(this.housekeeping);
        if (this.logPolling) clearInterval(this.logPolling);
        if (this.fifoDir) {
          rmSync(this.fifoDir, { recursive: true, force: true });
          releaseDirectory(this.fifoDir);
        }
        this.refresh();
        const snapshot = this.snapshot();
        this.finalSnapshot = { ...snapshot, clientsActive: 0 };
        await this.metricsServer.close();
        this.logFiles.close();
        this.resolveDone(this.finalSnapshot);
        return this.finalSnapshot;
      })();
    }
    return this.stopping;
  }
}
