import type { Scenario } from '../config/index.js';
import { parseDurationMs } from '../config/index.js';
import type { GeneratorHealthSampler, MetricsSampler } from '../metrics/index.js';
import type { RunningOrigin } from '../origin/index.js';
import type { LoadedBaseline, ReportTimeline, RunPhase } from '../report/index.js';
import type { CompiledThreshold, LiveSloMonitor, SloAbort } from '../slo/index.js';
import type { CapacityCheck, SwarmSnapshot } from '../swarm/index.js';
import { plannedSwarmMs } from './plan.js';
import type { RunningSwarm, RunScenarioOptions } from './types.js';

/*
 * What the phases of one run share: the fixed inputs (RunContext: scenario, durations parsed
 * once, the abort controller) and what the run learns as it goes (RunState: what it started,
 * when each phase began, what went wrong). Each phase reads the context and fills in the state;
 * teardown stops whatever the state holds, in order.
 */

/** The scenario's durations, parsed once (ms). */
export interface RunTimings {
  progressIntervalMs: number;
  warmupMs: number;
  /** What the plan asks for: the sum of the stages, else `duration`. */
  plannedMs: number;
  stopGraceMs: number;
  swarmIntervalMs: number;
}

export function runTimingsOf(scenario: Scenario): RunTimings {
  return {
    // Progress more often than every 250 ms only floods the log.
    progressIntervalMs: Math.max(
      250,
      parseDurationMs(scenario.report.progressInterval, 'report.progressInterval'),
    ),
    warmupMs: parseDurationMs(scenario.swarm.warmup, 'swarm.warmup'),
    plannedMs: plannedSwarmMs(scenario.swarm),
    stopGraceMs: parseDurationMs(scenario.swarm.stopGrace, 'swarm.stopGrace'),
    swarmIntervalMs: parseDurationMs(scenario.metrics.swarmInterval, 'metrics.swarmInterval'),
  };
}

export interface RunContext {
  scenario: Scenario;
  compiled: CompiledThreshold[];
  options: RunScenarioOptions;
  timings: RunTimings;
  reportPath: string;
  /** Where this scenario's report sits in a reports tree (a baseline directory is read the same way). */
  reportKey: { fileStem: string; testSlug: string };
  /** Aborted by the caller's signal or an abortOnFail threshold: every phase stops early. */
  controller: AbortController;
  /** A line prefixed with the scenario's name. */
  log(line: string): void;
}

/** When the run's phases began (epoch ms); undefined until they did. */
export interface RunMarks {
  startMs: number;
  /** t = 0 of the plan (after the start gate's prepare phase). */
  swarmStartMs?: number;
  rampEndMs?: number;
  /** Where the measured window ends: the swarm's planned end, or the abort. */
  holdEndMs?: number;
  swarmEndMs?: number;
  endMs?: number;
}

export interface RunState {
  phase: RunPhase;
  origin?: RunningOrigin;
  ownsOrigin: boolean;
  swarm?: RunningSwarm;
  finalSnapshot?: SwarmSnapshot;
  sampler?: MetricsSampler;
  generatorHealth?: GeneratorHealthSampler;
  monitor?: LiveSloMonitor;
  marks: RunMarks;
  /** The first error that ended or spoiled the run. */
  error?: Error;
  /** Set when the caller aborted: the verdict is 'interrupted'. */
  interruptedReason?: string;
  sloAbort?: SloAbort;
  timers: NodeJS.Timeout[];
  actionLog: ReportTimeline['actions'];
  pendingActions: Promise<void>[];
  /** The capacity check before the run (absent when off or when the lookup failed). */
  capacity?: CapacityCheck;
  /** The scenario's baseline report, read before the run (absent without one). */
  baseline?: LoadedBaseline;
}

export function newRunState(options: RunScenarioOptions): RunState {
  return {
    phase: 'origin',
    ...(options.origin ? { origin: options.origin } : {}),
    ownsOrigin: options.origin === undefined,
    marks: { startMs: Date.now() },
    timers: [],
    actionLog: [],
    pendingActions: [],
  };
}

/** Ramp end + warm-up, once the ramp is complete. */
export function steadyStartMsOf(state: RunState, timings: RunTimings): number | undefined {
  return state.marks.rampEndMs === undefined ? undefined : state.marks.rampEndMs + timings.warmupMs;
}

export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Keeps the first error: later ones are usually consequences of it. */
export function noteError(state: RunState, error: unknown): void {
  state.error ??= asError(error);
}
