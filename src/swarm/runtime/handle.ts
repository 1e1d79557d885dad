import type { EventEmitter } from 'node:events';
import type { FfmpegCapabilities } from '../command/index.js';
import type { DistributionSummary, SwarmEventMap, SwarmSnapshot } from '../types.js';
import type { RampPlan } from './ramp.js';

/*
 * The running swarm as its callers see it, and the intervals it works at.
 */

export interface SwarmHandle extends EventEmitter<SwarmEventMap> {
  /** http://127.0.0.1:<port>/metrics */
  readonly metricsUrl: string;
  readonly ffmpeg: FfmpegCapabilities;
  /** The ramp plan being followed (start/stop times per client). */
  readonly plan: RampPlan;
  /** Resolves with the final snapshot once the run's duration has elapsed (or stop/abort) and every viewer exited. */
  readonly done: Promise<SwarmSnapshot>;
  snapshot(): SwarmSnapshot;
  /** Stops every viewer (SIGTERM, grace, SIGKILL) and the metrics server. Idempotent. */
  stop(): Promise<SwarmSnapshot>;
  /** The exact command client `clientId` runs, secrets redacted. */
  commandLine(clientId: number): string;
  /** Whether `clientId`'s log is read as it arrives, giving request timings (swarm.timedViewers). */
  isTimed(clientId: number): boolean;
  /** PIDs of the viewer processes running now (held at the start gate or playing); light viewers have none. */
  viewerPids(): number[];
  /**
   * Lateness of the light viewers' one scheduler (due → run, ms) since the previous call, for
   * the generator-health sampler beside the event-loop delay; undefined without light viewers.
   */
  lightSchedulerLatenessMs?(): DistributionSummary | undefined;
}

/** How often gauges (active, stalled, target) and stall windows are refreshed. */
export const HOUSEKEEPING_INTERVAL_MS = 1000;
/**
 * How often the logs of untimed viewers (FIFOs) are read once they play. A viewer at trace level
 * writes ~6 KB/s, so the 64 KiB pipe holds ~10 s: 1 s leaves a wide margin before ffmpeg would
 * block. Each poll costs Node a read (often an EAGAIN, which Node throws), so fewer is cheaper.
 */
export const LOG_POLL_INTERVAL_MS = 1000;
/**
 * Viewers still waiting for their first segment are read this often, so that the startup time
 * (spawn → first segment complete) of untimed viewers is known to 100 ms. Only during ramps.
 */
export const STARTING_LOG_POLL_INTERVAL_MS = 100;
/** Per-client log file size (with one rotation kept), when `logDir` is set. */
export const LOG_FILE_MAX_BYTES = 1024 * 1024;
