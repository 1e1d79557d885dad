import { REQUEST_KINDS } from '../config/index.js';
import type { RunningOrigin } from '../origin/index.js';
import type { GeneratorHealthJudgement, ThresholdResult } from '../slo/index.js';
import type {
  DistributionSummary,
  QoeSummary,
  StartGateSummary,
  SwarmSnapshot,
  ViewerKindQoe,
  ViewerKindSnapshot,
} from '../swarm/index.js';
import { redactText } from '../system/index.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { collectEnvironment } from './environment.js';
import { redactConfig } from './redact.js';
import {
  type GeneratorReport,
  type OriginReport,
  REPORT_SCHEMA_VERSION,
  type Report,
  type ReportBaseline,
  type ReportCapacity,
  type ReportEnvironment,
  type ReportError,
  type ReportScrapeHealth,
  type ReportShard,
  type ReportShards,
  type ReportTimeline,
  type ReportTimeseries,
  type SwarmReport,
  type ThresholdResultEntry,
  type Verdict,
} from './schema.js';

/*
 * Turns what a run produced (origin, swarm snapshot, threshold results, series) into the
 * report object. Pure apart from `collectEnvironment`'s defaults; secrets are redacted here,
 * at the one place every report passes through.
 */

const finite = (value: number | undefined | null, fallback = 0): number =>
  typeof value === 'number' && Number.isFinite(value) ? value : fallback;

function distribution(summary: DistributionSummary | undefined): DistributionSummary {
  return {
    count: Math.max(0, Math.round(finite(summary?.count))),
    min: finite(summary?.min),
    mean: finite(summary?.mean),
    p50: finite(summary?.p50),
    p90: finite(summary?.p90),
    p95: finite(summary?.p95),
    p99: finite(summary?.p99),
    max: finite(summary?.max),
  };
}

const nonNegativeInt = (value: number | undefined) => Math.max(0, Math.round(finite(value)));

/**
 * The swarm part of a report from the swarm's final snapshot. With `runSeconds` (how long the
 * swarm ran), throughput is the run's average (all bytes / run time), not the snapshot's
 * recent window, which is empty once the viewers have stopped.
 */
export function swarmReportFromSnapshot(snapshot: SwarmSnapshot, runSeconds?: number): SwarmReport {
  const requests = {} as SwarmReport['requests'];
  let bytesTotal = 0;
  for (const kind of REQUEST_KINDS) {
    const counts = snapshot.requests?.[kind];
    requests[kind] = {
      total: nonNegativeInt(counts?.total),
      ok: nonNegativeInt(counts?.ok),
      failed: nonNegativeInt(counts?.failed),
      bytes: Math.max(0, finite(counts?.bytes)),
    };
    bytesTotal += requests[kind].bytes;
  }
  const counts = (record: Record<string, number | undefined> | undefined) =>
    Object.fromEntries(Object.entries(record ?? {}).map(([key, value]) => [key, nonNegativeInt(value)]));
  return {
    ffmpeg: { path: snapshot.ffmpeg?.path ?? 'ffmpeg', version: snapshot.ffmpeg?.version ?? 'unknown' },
    clientsTarget: nonNegativeInt(snapshot.clientsTarget),
    clientsStarted: nonNegativeInt(snapshot.clientsStarted),
    clientsActiveAtEnd: nonNegativeInt(snapshot.clientsActive),
    restarts: nonNegativeInt(snapshot.restarts),
    stalledClients: nonNegativeInt(snapshot.stalledClients),
    reconnects: nonNegativeInt(snapshot.reconnects),
    timeouts: nonNegativeInt(snapshot.timeouts),
    segmentsSkippedExpired: nonNegativeInt(snapshot.segmentsSkippedExpired),
    playlistReloadFailures: nonNegativeInt(snapshot.playlistReloadFailures),
    droppedLines: nonNegativeInt(snapshot.droppedLines),
    ...(snapshot.timedViewers !== undefined ? { timedViewers: nonNegativeInt(snapshot.timedViewers) } : {}),
    ...(snapshot.timingSource ? { timingSource: snapshot.timingSource } : {}),
    ...(snapshot.startGate ? { startGate: startGateReportFrom(snapshot.startGate) } : {}),
    requests,
    bytesTotal,
    errorsByStatus: counts(snapshot.httpErrors),
    exitCategories: counts(snapshot.exitCategories),
    throughputBytesPerSecond:
      runSeconds !== undefined && runSeconds > 0
        ? bytesTotal / runSeconds
        : Math.max(0, finite(snapshot.throughputBytesPerSecond)),
    distributions: {
      segmentTtfbSeconds: distribution(snapshot.segmentTtfbSeconds),
      segmentDurationSeconds: distribution(snapshot.segmentDurationSeconds),
      manifestTtfbSeconds: distribution(snapshot.manifestTtfbSeconds),
      manifestDurationSeconds: distribution(snapshot.manifestDurationSeconds),
      startupSeconds: distribution(snapshot.startupSeconds),
      playbackSpeed: distribution(snapshot.playbackSpeed),
      ...(snapshot.liveEdgeDriftSeconds
        ? { liveEdgeDriftSeconds: distribution(snapshot.liveEdgeDriftSeconds) }
        : {}),
      ...(snapshot.qoe?.liveLatencySeconds
        ? { liveLatencySeconds: distribution(snapshot.qoe.liveLatencySeconds) }
        : {}),
      ...(snapshot.qoe?.variantBitrate ? { variantBitrate: distribution(snapshot.qoe.variantBitrate) } : {}),
    },
    ...(snapshot.qoe ? { qoe: qoeReportFrom(snapshot.qoe) } : {}),
    ...(snapshot.viewerKinds
      ? {
          viewerKinds: Object.fromEntries(
            Object.entries(snapshot.viewerKinds).map(([kind, part]) => [kind, viewerKindReportFrom(part)]),
          ),
        }
      : {}),
    ...(snapshot.lightSchedulerLatenessMs
      ? { lightSchedulerLatenessMs: distribution(snapshot.lightSchedulerLatenessMs) }
      : {}),
  };
}

type ViewerKindReport = NonNullable<NonNullable<SwarmReport['viewerKinds']>['light']>;

function viewerKindReportFrom(part: ViewerKindSnapshot): ViewerKindReport {
  const qoe = part.qoe;
  return {
    viewers: nonNegativeInt(part.viewers),
    requests: {
      total: nonNegativeInt(part.requests.total),
      ok: nonNegativeInt(part.requests.ok),
      failed: nonNegativeInt(part.requests.failed),
      bytes: Math.max(0, finite(part.requests.bytes)),
    },
    segmentTtfbSeconds: distribution(part.segmentTtfbSeconds),
    segmentDurationSeconds: distribution(part.segmentDurationSeconds),
    startupSeconds: distribution(part.startupSeconds),
    qoe: qoeCountsFrom(qoe),
  };
}

/** The QoE counts both the fleet's and each viewer kind's report carry, made finite. */
function qoeCountsFrom(qoe: ViewerKindQoe): ViewerKindQoe {
  return {
    attemptsPlayed: nonNegativeInt(qoe.attemptsPlayed),
    videoStartFailures: nonNegativeInt(qoe.videoStartFailures),
    exitsBeforeVideoStart: nonNegativeInt(qoe.exitsBeforeVideoStart),
    watchSeconds: Math.max(0, finite(qoe.watchSeconds)),
    rebufferSeconds: Math.max(0, finite(qoe.rebufferSeconds)),
    rebufferEvents: nonNegativeInt(qoe.rebufferEvents),
    rebufferRatio: Math.min(1, Math.max(0, finite(qoe.rebufferRatio))),
  };
}

function qoeReportFrom(qoe: QoeSummary): NonNullable<SwarmReport['qoe']> {
  return {
    ...qoeCountsFrom(qoe),
    videoStartFailureReasons: Object.fromEntries(
      Object.entries(qoe.videoStartFailureReasons).map(([reason, n]) => [reason, nonNegativeInt(n)]),
    ),
    rebufferFrequencyPerMinute: Math.max(0, finite(qoe.rebufferFrequencyPerMinute)),
    ...(qoe.rebufferRatioPerAttempt
      ? { rebufferRatioPerAttempt: distribution(qoe.rebufferRatioPerAttempt) }
      : {}),
    ...(qoe.bufferSeconds ? { bufferSeconds: distribution(qoe.bufferSeconds) } : {}),
    liveLatencyMethod: qoe.liveLatencyMethod,
    variantSwitches: nonNegativeInt(qoe.variantSwitches),
  };
}

/** The origin part of a report; reads the origin's status once. */
export function originReportFrom(origin: RunningOrigin): OriginReport {
  let status: ReturnType<RunningOrigin['status']>;
  try {
    status = origin.status();
  } catch (error) {
    status = { healthy: false, processes: [], problems: [`status unavailable: ${String(error)}`] };
  }
  const exporters: OriginReport['exporters'] = {};
  if (origin.exporters.nginx) exporters.nginx = redactText(origin.exporters.nginx);
  if (origin.exporters.node) exporters.node = redactText(origin.exporters.node);
  return {
    kind: origin.kind,
    streamUrl: redactText(origin.streamUrl),
    exporters,
    ...(origin.accessLog ? { accessLog: origin.accessLog } : {}),
    ...(origin.profile ? { profile: origin.profile } : {}),
    versions: { ...origin.versions },
    healthy: status.healthy,
    problems: status.problems.map(redactText),
    processes: status.processes.map((process) => ({
      name: process.name,
      running: process.running,
      ...(process.pid !== undefined ? { pid: process.pid } : {}),
      ...(process.exitCode !== undefined && process.exitCode !== null ? { exitCode: process.exitCode } : {}),
      ...(process.signal ? { signal: process.signal } : {}),
      ...(process.exitedAtMs !== undefined ? { exitedAtMs: process.exitedAtMs } : {}),
      ...(process.logFile ? { logFile: process.logFile } : {}),
    })),
    logs: { ...origin.logs },
  };
}

export interface TimelineMarks {
  startMs: number;
  prepareStartMs?: number | null;
  swarmStartMs?: number | null;
  rampEndMs?: number | null;
  steadyStartMs?: number | null;
  endMs: number;
  plannedSwarmSeconds: number;
  actions?: ReportTimeline['actions'];
}

function startGateReportFrom(gate: StartGateSummary): NonNullable<SwarmReport['startGate']> {
  return {
    prepareSeconds: Math.max(0, (gate.prepareEndedAtMs - gate.prepareStartedAtMs) / 1000),
    gatedViewers: nonNegativeInt(gate.gatedViewers),
    heldAtStart: nonNegativeInt(gate.heldAtStart),
    arrivalRatePerSecond: Math.max(0, finite(gate.arrivalRatePerSecond)),
    prepareEnd: gate.prepareEnd,
    releaseLatenessSeconds: distribution(gate.releaseLatenessSeconds),
    lateReleases: nonNegativeInt(gate.lateReleases),
  };
}

export function buildTimeline(marks: TimelineMarks): ReportTimeline {
  const endMs = Math.max(marks.endMs, marks.startMs);
  return {
    startedAt: new Date(marks.startMs).toISOString(),
    startMs: marks.startMs,
    ...(marks.prepareStartMs !== undefined ? { prepareStartMs: marks.prepareStartMs } : {}),
    swarmStartMs: marks.swarmStartMs ?? null,
    rampEndMs: marks.rampEndMs ?? null,
    steadyStartMs: marks.steadyStartMs ?? null,
    endMs,
    endedAt: new Date(endMs).toISOString(),
    durationSeconds: (endMs - marks.startMs) / 1000,
    plannedSwarmSeconds: Math.max(0, marks.plannedSwarmSeconds),
    actions: marks.actions ?? [],
  };
}

/** An error as the report stores it: name, message and stack with secrets redacted. */
export function reportErrorFrom(error: unknown, withStack = true): ReportError {
  if (error instanceof Error) {
    return {
      name: error.name,
      message: redactText(error.message),
      ...(withStack && error.stack ? { stack: redactText(error.stack) } : {}),
    };
  }
  return { name: 'Error', message: redactText(String(error)) };
}

export interface ReportParts {
  scenario: { name: string; description?: string; file?: string; test?: string; config: unknown };
  verdict: Verdict;
  reason?: string;
  timeline: ReportTimeline;
  origin: OriginReport | null;
  swarm: SwarmReport | null;
  thresholds: ThresholdResultEntry[];
  timeseries: ReportTimeseries | null;
  scrapes?: Record<string, ReportScrapeHealth>;
  environment?: ReportEnvironment;
  /** The capacity check's estimate (null: no cached calibration; absent: the check was off). */
  capacity?: ReportCapacity | null;
  error?: unknown;
  /** User-facing errors (config, port, binary) carry no stack. */
  errorWithStack?: boolean;
  generator?: GeneratorReport;
  baseline?: ReportBaseline;
  shard?: ReportShard;
  shards?: ReportShards;
}

/** Assembles a report; the scenario config is redacted here. */
export function buildReport(parts: ReportParts): Report {
  const config = redactConfig(parts.scenario.config);
  const report: Report = {
    $schema: 'https://hls-swarm.dev/report.schema.json',
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    scenario: {
      name: parts.scenario.name,
      ...(parts.scenario.description ? { description: parts.scenario.description } : {}),
      ...(parts.scenario.file ? { file: parts.scenario.file } : {}),
      ...(parts.scenario.test ? { test: parts.scenario.test } : {}),
      config: config !== null && typeof config === 'object' ? (config as Record<string, unknown>) : {},
    },
    verdict: parts.verdict,
    ...(parts.reason ? { reason: redactText(parts.reason) } : {}),
    timeline: parts.timeline,
    origin: parts.origin,
    swarm: parts.swarm,
    thresholds: parts.thresholds.map((result) => ({
      ...result,
      observed:
        typeof result.observed === 'number' && Number.isFinite(result.observed) ? result.observed : null,
    })),
    timeseries: parts.timeseries,
    scrapes: parts.scrapes ?? {},
    environment: parts.environment ?? collectEnvironment(),
    ...(parts.generator ? { generator: parts.generator } : {}),
    ...(parts.capacity !== undefined ? { capacity: parts.capacity } : {}),
    ...(parts.baseline ? { baseline: parts.baseline } : {}),
    ...(parts.shard ? { shard: parts.shard } : {}),
    ...(parts.shards ? { shards: parts.shards } : {}),
  };
  if (parts.error !== undefined) report.error = reportErrorFrom(parts.error, parts.errorWithStack ?? true);
  return report;
}

/** Whether the run's strict thresholds all held and nothing went wrong: pass or fail. */
/** The report's view of one threshold result (the engine's extra window details left out). */
export function thresholdEntryFrom(result: ThresholdResult): ThresholdResultEntry {
  return {
    metric: result.metric,
    expression: result.expression,
    window: result.window,
    observed: result.observed,
    ok: result.ok,
    strict: result.strict,
    abortOnFail: result.abortOnFail,
    ...(result.message ? { message: result.message } : {}),
    ...(result.unreliable ? { unreliable: true } : {}),
  };
}

export function verdictFromThresholds(thresholds: readonly ThresholdResultEntry[]): 'pass' | 'fail' {
  return thresholds.some((result) => result.strict && !result.ok) ? 'fail' : 'pass';
}

/** The report's generator section from the saturation guard's judgement. */
export function generatorReportFrom(judgement: GeneratorHealthJudgement): GeneratorReport {
  // The guard's limits only: generator.capacityCheck is reported as `capacity`.
  const { capacityCheck: _capacityCheck, ...limits } = judgement.limits;
  return {
    cpuUtilization: judgement.cpuUtilization,
    cpuPressure: judgement.cpuPressure,
    viewerCpuWait: judgement.viewerCpuWait,
    eventLoopDelayP99Seconds: judgement.eventLoopDelayP99Seconds,
    ...(judgement.lightSchedulerLatenessP99Seconds !== null
      ? { lightSchedulerLatenessP99Seconds: judgement.lightSchedulerLatenessP99Seconds }
      : {}),
    saturated: judgement.saturated,
    breaches: [...judgement.breaches],
    limits,
    window: judgement.window,
  };
}

/**
 * The verdict once the generator's health is known. Saturated with onSaturation
 * 'inconclusive': 'fail' if a strict threshold that the saturation does not make unreliable
 * failed (errors, HTTP statuses, origin-side figures: a starved client cannot make the origin
 * answer 404 or drop connections), else 'inconclusive' — a pass is not trusted either, since
 * starved viewers may also have put less load on the origin than planned. 'warn' or healthy:
 * the thresholds alone decide.
 */
export function verdictWithGeneratorHealth(
  thresholds: readonly ThresholdResultEntry[],
  generator: Pick<GeneratorReport, 'saturated' | 'limits'> | undefined,
): 'pass' | 'fail' | 'inconclusive' {
  const fromThresholds = verdictFromThresholds(thresholds);
  if (!generator?.saturated || generator.limits.onSaturation !== 'inconclusive') return fromThresholds;
  const reliableFailure = thresholds.some((result) => result.strict && !result.ok && !result.unreliable);
  return reliableFailure ? 'fail' : 'inconclusive';
}

/** Column-wise per-step series as the metrics layer produces them. */
export interface StepSeries {
  stepMs: number;
  atMs: number[];
  series: Record<string, Array<number | null>>;
}

/** The report's timeseries: times as seconds since the first row, values as they are. */
export function reportTimeseriesFrom(steps: StepSeries, fallbackStartMs: number): ReportTimeseries {
  const startMs = steps.atMs[0] ?? fallbackStartMs;
  const series: Record<string, Array<number | null>> = {};
  for (const [name, values] of Object.entries(steps.series)) {
    series[name] = values.map((value) =>
      typeof value === 'number' && Number.isFinite(value) ? value : null,
    );
  }
  return {
    stepSeconds: steps.stepMs / 1000,
    startMs,
    t: steps.atMs.map((atMs) => Math.round(atMs - startMs) / 1000),
    series,
  };
}
