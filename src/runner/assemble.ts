import type { Scenario } from '../config/index.js';
import {
  buildReport,
  buildTimeline,
  generatorReportFrom,
  type OriginReport,
  type Report,
  type ReportBaseline,
  type ReportCapacity,
  type ReportScrapeHealth,
  type ReportShard,
  type ReportTimeline,
  type ReportTimeseries,
  type SwarmReport,
  swarmReportFromSnapshot,
} from '../report/index.js';
import type { SwarmSnapshot } from '../swarm/index.js';
import { isUserFacingError } from '../system/index.js';
import type { RunJudgement } from './judge.js';
import type { RunMarks } from './run-context.js';

/*
 * The report of a run, as a function of what the run recorded: the scenario, when each phase
 * began, what the origin and the swarm said at the end, the judgement, and the sampled series.
 * No clock: the same inputs give the same report (the environment section describes the host,
 * as buildReport reads it).
 */

export interface ReportInputs {
  scenario: Scenario;
  source?: { file?: string; test?: string };
  marks: Required<Pick<RunMarks, 'startMs' | 'swarmEndMs' | 'endMs'>> & RunMarks;
  steadyStartMs?: number;
  plannedSeconds: number;
  actions: ReportTimeline['actions'];
  origin: OriginReport | null;
  finalSnapshot?: SwarmSnapshot;
  judgement: RunJudgement;
  timeseries: ReportTimeseries | null;
  scrapes: Record<string, ReportScrapeHealth>;
  error?: Error;
  /** The capacity check's estimate (null: no cached calibration; absent: the check was off). */
  capacity?: ReportCapacity | null;
  baseline?: ReportBaseline;
  shard?: ReportShard;
}

/** What the viewers saw; throughput over the time they ran, from t = 0 to the end of their stop. */
export function swarmReportOf(
  finalSnapshot: SwarmSnapshot | undefined,
  marks: Pick<RunMarks, 'swarmStartMs'> & { swarmEndMs: number },
): SwarmReport | null {
  if (!finalSnapshot) return null;
  const startMs = finalSnapshot.startedAtMs ?? marks.swarmStartMs ?? marks.swarmEndMs;
  return swarmReportFromSnapshot(finalSnapshot, (marks.swarmEndMs - startMs) / 1000);
}

export function assembleReport(inputs: ReportInputs): Report {
  const { scenario, source, marks, finalSnapshot, judgement } = inputs;
  const prepareStartMs = finalSnapshot?.startGate?.prepareStartedAtMs;
  const timeline = buildTimeline({
    startMs: marks.startMs,
    ...(prepareStartMs !== undefined ? { prepareStartMs } : {}),
    swarmStartMs: marks.swarmStartMs ?? null,
    rampEndMs: marks.rampEndMs ?? null,
    steadyStartMs: inputs.steadyStartMs ?? null,
    endMs: marks.endMs,
    plannedSwarmSeconds: inputs.plannedSeconds,
    actions: [...inputs.actions].sort((a, b) => a.atMs - b.atMs),
  });
  return buildReport({
    scenario: {
      name: scenario.name,
      ...(scenario.description ? { description: scenario.description } : {}),
      ...(source?.file ? { file: source.file } : {}),
      ...(source?.test ? { test: source.test } : {}),
      config: scenario,
    },
    verdict: judgement.verdict,
    ...(judgement.reason ? { reason: judgement.reason } : {}),
    timeline,
    origin: inputs.origin,
    swarm: swarmReportOf(finalSnapshot, marks),
    thresholds: judgement.thresholds,
    timeseries: inputs.timeseries,
    scrapes: inputs.scrapes,
    ...(inputs.error ? { error: inputs.error, errorWithStack: !isUserFacingError(inputs.error) } : {}),
    ...(judgement.generator ? { generator: generatorReportFrom(judgement.generator) } : {}),
    ...(inputs.capacity !== undefined ? { capacity: inputs.capacity } : {}),
    ...(inputs.baseline ? { baseline: inputs.baseline } : {}),
    ...(inputs.shard ? { shard: inputs.shard } : {}),
  });
}
