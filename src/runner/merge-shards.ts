import type { Scenario } from '../config/index.js';
import { buildTimeseries, importMergeable, MetricStore, mergedTrendDistribution } from '../metrics/index.js';
import {
  buildReport,
  buildTimeline,
  generatorReportFrom,
  type HtmlReport,
  type Report,
  ReportFileError,
  type ReportShard,
  type ReportShards,
  reportTimeseriesFrom,
  type SwarmReport,
} from '../report/index.js';
import { compileSlo, type GeneratorHealthJudgement } from '../slo/index.js';
import { HlsSwarmError } from '../system/index.js';
import { judge } from './judge.js';
import { validateScenario } from './run-scenario.js';
import type { ScenarioSource } from './types.js';

/*
 * `hls-swarm merge`: N shard reports (runner/shard.ts) → one report of the same schema and one
 * verdict. Series are pooled exactly (metrics/mergeable.ts: percentiles from the union of every
 * shard's values at HDR precision, counters summed per second, gauges summed per whole second),
 * and the scenario's thresholds are evaluated on the pooled store over the union of the
 * shards' windows. The generator's health is per host: each shard's own judgement, saturated
 * if any shard was (its generator_* series are not pooled — summing two hosts' CPU means
 * nothing). Missing or failed shards fail the merge unless allowMissing.
 */

export class ShardMergeError extends HlsSwarmError {
  override readonly name = 'ShardMergeError';
  readonly code = 'HLS_SWARM_SHARD_MERGE';
}

export interface ShardReportFile {
  path: string;
  report: HtmlReport;
}

export interface MergeShardsOptions {
  /** Evaluate this scenario's thresholds (a --scenario file) instead of the one in the reports. */
  scenario?: Scenario;
  /** Merge what is there when shards are missing or failed (named in the report) instead of failing. */
  allowMissing?: boolean;
}

type ShardEntry = ShardReportFile & { shard: ReportShard };

const TREND_OF_DISTRIBUTION = {
  segmentTtfbSeconds: 'segment_ttfb',
  segmentDurationSeconds: 'segment_duration',
  manifestTtfbSeconds: 'manifest_ttfb',
  manifestDurationSeconds: 'manifest_duration',
  startupSeconds: 'startup_time',
  playbackSpeed: 'playback_speed',
  liveEdgeDriftSeconds: 'live_edge_drift',
  liveLatencySeconds: 'live_latency',
  variantBitrate: 'variant_bitrate',
} as const;

const FAILED_VERDICTS = new Set(['error', 'interrupted']);

/** The shard reports, checked to belong together; throws ShardMergeError naming the files. */
function checkedShards(files: readonly ShardReportFile[]): { entries: ShardEntry[]; count: number } {
  if (files.length === 0)
    throw new ShardMergeError('no shard reports to merge: give report files or a folder of them');
  const entries: ShardEntry[] = [];
  for (const file of files) {
    if (!file.report.shard)
      throw new ShardMergeError(
        `${file.path} is not a shard report (it has no "shard" section): run each shard with --shard i/N or HLS_SWARM_SHARD`,
      );
    entries.push({ ...file, shard: file.report.shard });
  }
  const first = entries[0] as ShardEntry;
  for (const entry of entries.slice(1)) {
    if (entry.report.scenario.name !== first.report.scenario.name)
      throw new ShardMergeError(
        `${entry.path} is scenario "${entry.report.scenario.name}", ${first.path} is "${first.report.scenario.name}": merge the shards of one scenario at a time`,
      );
    if (entry.shard.count !== first.shard.count)
      throw new ShardMergeError(
        `${entry.path} is shard ${entry.shard.index}/${entry.shard.count}, ${first.path} is ${first.shard.index}/${first.shard.count}: every shard of a run must be given the same N`,
      );
  }
  const byIndex = new Map<number, ShardEntry>();
  for (const entry of entries) {
    const seen = byIndex.get(entry.shard.index);
    if (seen)
      throw new ShardMergeError(
        `shard ${entry.shard.index}/${entry.shard.count} appears twice: ${seen.path} and ${entry.path}`,
      );
    byIndex.set(entry.shard.index, entry);
  }
  return {
    entries: [...byIndex.values()].sort((a, b) => a.shard.index - b.shard.index),
    count: first.shard.count,
  };
}

function sumRecords(records: readonly Record<string, number>[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const record of records)
    for (const [key, value] of Object.entries(record)) total[key] = (total[key] ?? 0) + value;
  return total;
}

/** The shards' swarm sections added up; distributions from the pooled histograms. */
function mergedSwarm(entries: readonly ShardEntry[]): SwarmReport | null {
  const swarms = entries
    .map((entry) => entry.report.swarm)
    .filter((swarm): swarm is SwarmReport => swarm !== null);
  const first = swarms[0];
  if (!first) return null;
  const sum = (pick: (swarm: SwarmReport) => number) =>
    swarms.reduce((total, swarm) => total + pick(swarm), 0);
  const requests = {} as SwarmReport['requests'];
  for (const kind of Object.keys(first.requests) as (keyof SwarmReport['requests'])[]) {
    requests[kind] = {
      total: sum((swarm) => swarm.requests[kind]?.total ?? 0),
      ok: sum((swarm) => swarm.requests[kind]?.ok ?? 0),
      failed: sum((swarm) => swarm.requests[kind]?.failed ?? 0),
      bytes: sum((swarm) => swarm.requests[kind]?.bytes ?? 0),
    };
  }
  const data = entries.map((entry) => entry.shard.data);
  const distributions = {} as SwarmReport['distributions'];
  for (const [field, trend] of Object.entries(TREND_OF_DISTRIBUTION))
    distributions[field as keyof typeof TREND_OF_DISTRIBUTION] = mergedTrendDistribution(
      data,
      trend,
    ).summary();
  const timedViewers = swarms.some((swarm) => swarm.timedViewers !== undefined)
    ? sum((swarm) => swarm.timedViewers ?? 0)
    : undefined;
  return {
    ffmpeg: first.ffmpeg,
    clientsTarget: sum((swarm) => swarm.clientsTarget),
    clientsStarted: sum((swarm) => swarm.clientsStarted),
    clientsActiveAtEnd: sum((swarm) => swarm.clientsActiveAtEnd),
    restarts: sum((swarm) => swarm.restarts),
    stalledClients: sum((swarm) => swarm.stalledClients),
    reconnects: sum((swarm) => swarm.reconnects),
    timeouts: sum((swarm) => swarm.timeouts),
    segmentsSkippedExpired: sum((swarm) => swarm.segmentsSkippedExpired),
    playlistReloadFailures: sum((swarm) => swarm.playlistReloadFailures),
    droppedLines: sum((swarm) => swarm.droppedLines),
    ...(timedViewers !== undefined ? { timedViewers } : {}),
    ...(first.timingSource ? { timingSource: first.timingSource } : {}),
    requests,
    bytesTotal: sum((swarm) => swarm.bytesTotal),
    errorsByStatus: sumRecords(swarms.map((swarm) => swarm.errorsByStatus)),
    exitCategories: sumRecords(swarms.map((swarm) => swarm.exitCategories)),
    throughputBytesPerSecond: sum((swarm) => swarm.throughputBytesPerSecond),
    distributions,
    ...mergedQoe(swarms),
  };
}

/** QoE totals added up and the ratios recomputed from them; per-attempt and buffer distributions are per shard only. */
function mergedQoe(swarms: readonly SwarmReport[]): Pick<SwarmReport, 'qoe'> {
  const parts = swarms.flatMap((swarm) => (swarm.qoe ? [swarm.qoe] : []));
  const first = parts[0];
  if (!first) return {};
  const sum = (pick: (qoe: NonNullable<SwarmReport['qoe']>) => number) =>
    parts.reduce((total, qoe) => total + pick(qoe), 0);
  const watchSeconds = sum((qoe) => qoe.watchSeconds);
  const rebufferSeconds = sum((qoe) => qoe.rebufferSeconds);
  const rebufferEvents = sum((qoe) => qoe.rebufferEvents);
  return {
    qoe: {
      videoStartFailures: sum((qoe) => qoe.videoStartFailures),
      videoStartFailureReasons: sumRecords(parts.map((qoe) => qoe.videoStartFailureReasons)),
      exitsBeforeVideoStart: sum((qoe) => qoe.exitsBeforeVideoStart),
      attemptsPlayed: sum((qoe) => qoe.attemptsPlayed),
      watchSeconds,
      rebufferSeconds,
      rebufferEvents,
      rebufferRatio:
        watchSeconds + rebufferSeconds > 0 ? rebufferSeconds / (watchSeconds + rebufferSeconds) : 0,
      rebufferFrequencyPerMinute: watchSeconds > 0 ? rebufferEvents / (watchSeconds / 60) : 0,
      liveLatencyMethod: parts.every((qoe) => qoe.liveLatencyMethod === first.liveLatencyMethod)
        ? first.liveLatencyMethod
        : 'edge',
      variantSwitches: sum((qoe) => qoe.variantSwitches),
    },
  };
}

/** Saturated if any shard's generator was; the worst figure of each kind; breaches named by shard. */
function mergedGenerator(
  entries: readonly ShardEntry[],
  scenario: Scenario,
): GeneratorHealthJudgement | undefined {
  const judged = entries.filter((entry) => entry.report.generator);
  if (judged.length === 0) return undefined;
  const worst = (pick: (entry: ShardEntry) => number | null | undefined): number | null => {
    const values = judged.map(pick).filter((value): value is number => typeof value === 'number');
    return values.length > 0 ? Math.max(...values) : null;
  };
  const breaches = judged.flatMap((entry) =>
    (entry.report.generator?.breaches ?? []).map((breach) => `shard ${entry.shard.index}: ${breach}`),
  );
  const saturatedShards = judged.filter((entry) => entry.report.generator?.saturated);
  const windows = judged.map((entry) => entry.report.generator?.window).filter((window) => window != null);
  return {
    cpuUtilization: worst((entry) => entry.report.generator?.cpuUtilization),
    cpuPressure: worst((entry) => entry.report.generator?.cpuPressure),
    viewerCpuWait: worst((entry) => entry.report.generator?.viewerCpuWait),
    eventLoopDelayP99Seconds: worst((entry) => entry.report.generator?.eventLoopDelayP99Seconds),
    lightSchedulerLatenessP99Seconds: worst(
      (entry) => entry.report.generator?.lightSchedulerLatenessP99Seconds,
    ),
    saturated: saturatedShards.length > 0,
    breaches,
    ...(saturatedShards.length > 0
      ? {
          reason: `the load generator was saturated on shard${saturatedShards.length === 1 ? '' : 's'} ${saturatedShards.map((entry) => `${entry.shard.index} (${entry.shard.host})`).join(', ')}: ${breaches.join(', ')}; reduce clients per shard, or add shards`,
        }
      : {}),
    limits: scenario.generator,
    window:
      windows.length > 0
        ? {
            startMs: Math.min(...windows.map((window) => window.startMs)),
            endMs: Math.max(...windows.map((window) => window.endMs)),
          }
        : null,
  };
}

function minOf(values: readonly (number | null | undefined)[]): number | undefined {
  const present = values.filter((value): value is number => typeof value === 'number');
  return present.length > 0 ? Math.min(...present) : undefined;
}

function maxOf(values: readonly (number | null | undefined)[]): number | undefined {
  const present = values.filter((value): value is number => typeof value === 'number');
  return present.length > 0 ? Math.max(...present) : undefined;
}

/** The merged report (not written); throws ShardMergeError when the reports do not belong together. */
export function mergeShardReports(
  files: readonly ShardReportFile[],
  options: MergeShardsOptions = {},
): Report {
  const { entries, count } = checkedShards(files);
  const first = entries[0] as ShardEntry;
  let scenario: Scenario;
  try {
    scenario =
      options.scenario ??
      validateScenario(first.report.scenario.config as ScenarioSource, `${first.path} (scenario.config)`);
  } catch (error) {
    if (error instanceof ReportFileError) throw error;
    throw new ShardMergeError(
      `${(error as Error).message}\nThe scenario in ${first.path} cannot be read back (secret headers are redacted in reports): pass the scenario file with --scenario`,
    );
  }
  const present = new Set(entries.map((entry) => entry.shard.index));
  const missing = Array.from({ length: count }, (_, index) => index).filter((index) => !present.has(index));
  const failed = entries.filter((entry) => FAILED_VERDICTS.has(entry.report.verdict));

  const store = new MetricStore();
  for (const entry of entries) {
    const data = {
      ...entry.shard.data,
      metrics: entry.shard.data.metrics.filter((metric) => !metric.name.startsWith('generator_')),
    };
    importMergeable(store, data, { shard: String(entry.shard.index) });
  }
  const startMs = minOf(entries.map((entry) => entry.shard.window.startMs)) as number;
  const endMs = maxOf(entries.map((entry) => entry.shard.window.endMs)) as number;
  const steadyStartMs = maxOf(entries.map((entry) => entry.shard.window.steadyStartMs));
  const rampEndMs = maxOf(entries.map((entry) => entry.report.timeline.rampEndMs));
  const generator = mergedGenerator(entries, scenario);
  const judgement = judge({
    compiled: compileSlo(scenario.slo),
    store,
    ...(generator ? { generator } : {}),
    timeline: {
      startMs,
      ...(rampEndMs !== undefined ? { rampEndMs } : {}),
      ...(steadyStartMs !== undefined ? { steadyStartMs: Math.min(steadyStartMs, endMs) } : {}),
      endMs,
    },
    generatorLimits: scenario.generator,
  });

  let verdict = judgement.verdict;
  let reason = judgement.reason;
  const problems = [
    ...missing.map((index) => `shard ${index}/${count} has no report`),
    ...failed.map(
      (entry) =>
        `shard ${entry.shard.index}/${count} (${entry.path}) ended ${entry.report.verdict}${entry.report.reason ? `: ${entry.report.reason}` : ''}`,
    ),
  ];
  if (problems.length > 0 && !options.allowMissing) {
    verdict = 'error';
    reason = `${problems.join('; ')} (merge with --allow-missing to judge the shards that ran)`;
  } else if (problems.length > 0) {
    reason = [reason, `merged without: ${problems.join('; ')}`].filter(Boolean).join('; ');
  }

  const swarmStarts = entries.map((entry) => entry.report.timeline.swarmStartMs);
  const earliestStart = minOf(swarmStarts);
  const latestStart = maxOf(swarmStarts);
  const shards: ReportShards = {
    count,
    merged: entries.map((entry) => ({
      index: entry.shard.index,
      report: entry.path,
      host: entry.shard.host,
      verdict: entry.report.verdict as Report['verdict'],
      plannedClients: entry.shard.plannedClients,
      swarmStartMs: entry.report.timeline.swarmStartMs,
    })),
    missing,
    allowMissing: options.allowMissing ?? false,
    startSpreadMs:
      earliestStart !== undefined && latestStart !== undefined
        ? Math.round(latestStart - earliestStart)
        : null,
  };
  const runStartMs = minOf(entries.map((entry) => entry.report.timeline.startMs)) as number;
  const runEndMs = maxOf(entries.map((entry) => entry.report.timeline.endMs)) as number;
  const timeline = buildTimeline({
    startMs: runStartMs,
    swarmStartMs: earliestStart ?? null,
    rampEndMs: rampEndMs ?? null,
    steadyStartMs: steadyStartMs ?? null,
    endMs: runEndMs,
    plannedSwarmSeconds: first.report.timeline.plannedSwarmSeconds,
    actions: entries.flatMap((entry) => entry.report.timeline.actions).sort((a, b) => a.atMs - b.atMs),
  });
  const scrapes = Object.fromEntries(
    entries.flatMap((entry) =>
      Object.entries(entry.report.scrapes).map(([name, health]) => [
        `shard ${entry.shard.index}: ${name}`,
        health,
      ]),
    ),
  );
  const originShard = entries.find((entry) => entry.shard.scrapesOrigin) ?? first;
  return buildReport({
    scenario: {
      name: scenario.name,
      ...(scenario.description ? { description: scenario.description } : {}),
      ...(first.report.scenario.file ? { file: first.report.scenario.file } : {}),
      ...(first.report.scenario.test ? { test: first.report.scenario.test } : {}),
      config: scenario,
    },
    verdict,
    ...(reason ? { reason } : {}),
    timeline,
    origin: originShard.report.origin,
    swarm: mergedSwarm(entries),
    thresholds: judgement.thresholds,
    timeseries: reportTimeseriesFrom(buildTimeseries(store, startMs, endMs), startMs),
    scrapes,
    ...(judgement.generator ? { generator: generatorReportFrom(judgement.generator) } : {}),
    shards,
  });
}
