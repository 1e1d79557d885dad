import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import {
  type CpuTimes,
  cpuPressureBetween,
  cpuUtilizationBetween,
  parseCpuPressureSomeMicros,
  parseProcStat,
  readProcFile,
  readSchedstats,
  runQueueWaitBetween,
  type SchedStat,
} from '../system/index.js';
import type { MetricStore } from './store.js';

/*
 * The load generator's own health, sampled on the swarm's interval on the host that runs the
 * viewers: how busy its CPUs are, how often tasks waited for one (PSI), how long the viewers
 * themselves sat runnable in the run queue, and how late Node's event loop ran. Viewer
 * latencies measured on a saturated host measure the host's CPU queue, not the origin: these
 * gauges are what the saturation guard (src/slo/generator-health.ts) judges.
 */

export const GENERATOR_GAUGES = [
  'generator_cpu_utilization',
  'generator_cpu_pressure',
  'generator_viewer_cpu_wait',
  'generator_event_loop_delay',
  'generator_light_scheduler_lateness',
] as const;

export interface GeneratorHealthOptions {
  /** PIDs of the viewer processes running now (RunningSwarm.viewerPids). */
  viewerPids?: () => number[];
  /**
   * The light viewers' scheduler lateness since the previous call, ms (RunningSwarm's
   * lightSchedulerLatenessMs): its p99 per interval becomes generator_light_scheduler_lateness.
   */
  lightSchedulerLatenessMs?: () => { count: number; p99: number } | undefined;
  /** Sampling interval (metrics.swarmInterval); default 1000 ms. */
  intervalMs?: number;
  /** One line per notable condition (e.g. no PSI on this kernel). */
  log?: (line: string) => void;
  /** Where /proc is; tests may point elsewhere. */
  procRoot?: string;
  now?: () => number;
  /** Monotonic clock in ns (process.hrtime.bigint); tests pass the recorded wall times. */
  nowNs?: () => bigint;
}

/** The latest figures, for the live progress line. */
export interface GeneratorHealthFigures {
  cpuUtilization?: number;
  cpuPressure?: number;
  viewerCpuWait?: number;
  eventLoopDelaySeconds?: number;
  /** p99 lateness of the light viewers' scheduler over the last interval. */
  lightSchedulerLatenessSeconds?: number;
}

interface Reading {
  atMs: number;
  /** High-resolution wall time of the reading (ns), for µs/ns deltas. */
  atNs: bigint;
  cpu: CpuTimes | undefined;
  pressureMicros: number | undefined;
  viewers: Map<number, SchedStat>;
}

export class GeneratorHealthSampler {
  private readonly intervalMs: number;
  private readonly procRoot: string;
  private readonly now: () => number;
  private readonly nowNs: () => bigint;
  private readonly log: (line: string) => void;
  private timer: NodeJS.Timeout | undefined;
  private histogram: IntervalHistogram | undefined;
  private previous: Reading | undefined;
  private inFlight: Promise<void> | undefined;
  private pressureMissingSaid = false;
  private readonly latestFigures: GeneratorHealthFigures = {};

  constructor(
    private readonly store: MetricStore,
    private readonly options: GeneratorHealthOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.procRoot = options.procRoot ?? '/proc';
    this.now = options.now ?? Date.now;
    this.nowNs = options.nowNs ?? process.hrtime.bigint;
    this.log = options.log ?? (() => {});
    for (const name of GENERATOR_GAUGES) store.declare(name, 'gauge');
  }

  /**
   * Takes a first reading (the baseline of the first deltas) and samples every interval.
   * Resolves when that first reading is done; nothing needs to wait for it.
   */
  start(): Promise<void> {
    if (this.timer) return this.inFlight ?? Promise.resolve();
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram.enable();
    this.inFlight = this.sample();
    const tick = () => {
      this.inFlight = (this.inFlight ?? Promise.resolve()).then(() => this.sample());
      this.timer = setTimeout(tick, this.intervalMs);
    };
    this.timer = setTimeout(tick, this.intervalMs);
    return this.inFlight;
  }

  /** A last sample (so the end of the run has figures), then no timer and no histogram left. */
  async stop(): Promise<void> {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
    await this.sample();
    this.histogram?.disable();
    this.histogram = undefined;
  }

  latest(): GeneratorHealthFigures {
    return { ...this.latestFigures };
  }

  private async read(): Promise<Reading> {
    const atMs = this.now();
    const atNs = this.nowNs();
    const pids = this.options.viewerPids?.() ?? [];
    const [stat, pressure, viewers] = await Promise.all([
      readProcFile(`${this.procRoot}/stat`),
      readProcFile(`${this.procRoot}/pressure/cpu`),
      readSchedstats(pids, this.procRoot),
    ]);
    return {
      atMs,
      atNs,
      cpu: stat === undefined ? undefined : parseProcStat(stat),
      pressureMicros: pressure === undefined ? undefined : parseCpuPressureSomeMicros(pressure),
      viewers,
    };
  }

  /** One reading; gauges from its deltas to the previous one. Never throws. */
  private async sample(): Promise<void> {
    let reading: Reading;
    try {
      reading = await this.read();
    } catch {
      return;
    }
    const previous = this.previous;
    this.previous = reading;
    if (reading.pressureMicros === undefined && !this.pressureMissingSaid) {
      this.pressureMissingSaid = true;
      this.log(
        `generator health: ${this.procRoot}/pressure/cpu is not readable (kernel without PSI); generator_cpu_pressure is not measured`,
      );
    }
    this.recordEventLoopDelay(reading.atMs);
    this.recordLightSchedulerLateness(reading.atMs);
    if (!previous) return;
    const wallNs = Number(reading.atNs - previous.atNs);
    const figures = this.latestFigures;
    if (previous.cpu && reading.cpu) {
      const utilization = cpuUtilizationBetween(previous.cpu, reading.cpu);
      if (utilization !== undefined) {
        this.store.addGauge('generator_cpu_utilization', {}, reading.atMs, utilization);
        figures.cpuUtilization = utilization;
      }
    }
    if (previous.pressureMicros !== undefined && reading.pressureMicros !== undefined) {
      const pressure = cpuPressureBetween(previous.pressureMicros, reading.pressureMicros, wallNs / 1000);
      if (pressure !== undefined) {
        this.store.addGauge('generator_cpu_pressure', {}, reading.atMs, pressure);
        figures.cpuPressure = pressure;
      }
    }
    const wait = runQueueWaitBetween(previous.viewers, reading.viewers, wallNs);
    if (wait) {
      this.store.addGauge('generator_viewer_cpu_wait', {}, reading.atMs, wait.share);
      figures.viewerCpuWait = wait.share;
    }
  }

  /** p99 of the light scheduler's lateness since the last sample, in seconds (nothing without light viewers). */
  private recordLightSchedulerLateness(atMs: number): void {
    const lateness = this.options.lightSchedulerLatenessMs?.();
    if (!lateness || lateness.count === 0) return;
    const seconds = lateness.p99 / 1000;
    this.store.addGauge('generator_light_scheduler_lateness', {}, atMs, seconds);
    this.latestFigures.lightSchedulerLatenessSeconds = seconds;
  }

  /** p99 of the event-loop delay since the last sample, in seconds; the histogram restarts. */
  private recordEventLoopDelay(atMs: number): void {
    const histogram = this.histogram;
    if (!histogram) return;
    if (histogram.count > 0) {
      const seconds = histogram.percentile(99) / 1e9;
      this.store.addGauge('generator_event_loop_delay', {}, atMs, seconds);
      this.latestFigures.eventLoopDelaySeconds = seconds;
    }
    histogram.reset();
  }
}
