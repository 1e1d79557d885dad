import type { OriginSpec, Scenario, ScenarioInput, ShardSpec } from '../config/index.js';
import type { MetricStore } from '../metrics/index.js';
import type { RunningOrigin } from '../origin/index.js';
import type { ProgressUpdate, Report, ThresholdResultEntry, Verdict } from '../report/index.js';
import type { SwarmEventMap, SwarmSnapshot } from '../swarm/index.js';

/** What an action sees of the run (e.g. to stop the origin mid-run). */
export interface ScenarioActionContext {
  origin: RunningOrigin;
  swarm: RunningSwarm;
  /** Aborted when the run stops early. */
  signal: AbortSignal;
  log: (line: string) => void;
}

/** Something to do during the swarm, at a time after the swarm started. */
export interface ScenarioAction {
  /** Shown in progress, the report's timeline and the summary. */
  name: string;
  /** After the swarm started: a duration such as '20s'. */
  at: string;
  run(context: ScenarioActionContext): unknown;
}

/** The part of the swarm handle the runner and actions use. */
export interface RunningSwarm {
  on<E extends keyof SwarmEventMap>(event: E, listener: (...args: SwarmEventMap[E]) => void): unknown;
  off?<E extends keyof SwarmEventMap>(event: E, listener: (...args: SwarmEventMap[E]) => void): unknown;
  snapshot(): SwarmSnapshot;
  stop(): Promise<unknown>;
  done: Promise<unknown>;
  metricsUrl: string;
  /** PIDs of the viewer processes running now, for generator-health sampling. */
  viewerPids?(): number[];
}

export interface RunScenarioOptions {
  /** Aborting interrupts the run: swarm and origin stop, the report says `interrupted`. */
  signal?: AbortSignal;
  /** Exact report path; default `<reportDir>/<file-stem>/<test-slug>.json`. */
  reportFile?: string;
  /** Default `scenario.report.dir` ('reports'), relative to the working directory. */
  reportDir?: string;
  /** Names the report file: default stem = 'run', slug = the scenario name. */
  testPath?: { fileStem: string; testSlug: string };
  /** Recorded in the report (`scenario.file`, `scenario.test`). */
  source?: { file?: string; test?: string };
  /** Called with live progress at `scenario.report.progressInterval`. */
  onProgress?: (progress: ProgressUpdate) => void;
  /** Also `log` each progress update as a plain line; default true (false when onProgress draws a live view). */
  logProgress?: boolean;
  /** Human-readable lines (progress, phases); default: nothing. */
  log?: (line: string) => void;
  /** Each spawned command line, secrets redacted (the CLI's --log-commands). */
  printCommand?: (line: string) => void;
  /** Use this running origin instead of starting `scenario.origin` (it is not stopped). */
  origin?: RunningOrigin;
  /** Things to do during the swarm, e.g. stop the origin at '20s'. */
  actions?: ScenarioAction[];
  /** Keep origin logs next to the report (`<report>.logs/`); default true. */
  keepOriginLogs?: boolean;
  /**
   * Run one shard of the scenario (viewer ids index mod count; config/shard.ts): the report
   * carries the shard's mergeable data and `hls-swarm merge` gives the verdict. Needs an
   * external origin (all shards load the same one); only shard 0 scrapes its exporters.
   */
  shard?: ShardSpec;
  /** Epoch ms the swarm begins at once its viewers are prepared (shards align on it). */
  startAtMs?: number;
  /** Address the swarm's /metrics binds (default 127.0.0.1): a shard scraped from another host. */
  metricsHost?: string;
}

export interface RunResult {
  verdict: Verdict;
  report: Report;
  reportPath: string;
  thresholds: ThresholdResultEntry[];
  /** Why the run ended in `error` (or the first error met while interrupting). */
  error?: Error;
  /** The run's metric store, for further threshold checks (`toMeetSlo`); absent if sampling never began. */
  metrics?: MetricStore;
  /** The windows thresholds are evaluated over (epoch ms). */
  window?: { startMs: number; steadyStartMs: number | null; endMs: number };
  scenario: Scenario;
}

export type ScenarioSource = ScenarioInput | Scenario;
export type { OriginSpec };
