import { ConfigError, parseScenario, parseWith, type Scenario, sloSchema } from '../config/index.js';
import { writeReportAndHtml } from '../report/html/index.js';
import {
  baselineSection,
  type ComparedMetric,
  compareWithBaseline,
  type LoadedBaseline,
  type OriginReport,
  originReportFrom,
  type ReportScrapeHealth,
  type ReportTimeseries,
  reportPathFor,
  reportTimeseriesFrom,
  slugify,
} from '../report/index.js';
import { compileSlo } from '../slo/index.js';
import { redactText } from '../system/index.js';
import { assembleReport, swarmReportOf } from './assemble.js';
import { judge } from './judge.js';
import { bootOrigin } from './phases/boot-origin.js';
import { checkCapacityPhase } from './phases/check-capacity.js';
import { hold } from './phases/hold.js';
import { loadBaselinePhase } from './phases/load-baseline.js';
import { startMeasurement } from './phases/start-measurement.js';
import { stopOrigin, teardown } from './phases/teardown.js';
import {
  asError,
  newRunState,
  type RunContext,
  type RunState,
  runTimingsOf,
  steadyStartMsOf,
} from './run-context.js';
import { checkShardOrigin, shardSectionOf } from './shard.js';
import type { RunResult, RunScenarioOptions, ScenarioSource } from './types.js';

/*
 * One scenario, start to end, as phases (./phases): validate (config and thresholds: a mistake
 * starts nothing) → boot the origin → start the swarm and its measurement → hold until the plan
 * is over, an abortOnFail threshold breaks, or the caller's signal aborts → teardown (swarm,
 * sampling, actions, origin) → judge (./judge.ts) → assemble and write the report
 * (./assemble.ts). Whatever happens after validation, a report is written and a RunResult
 * returned; only configuration errors throw.
 */

function describeAbortReason(reason: unknown): string {
  const text =
    reason instanceof Error ? reason.message || reason.name : typeof reason === 'string' ? reason : '';
  return text.split('\n')[0]?.trim() || 'the run was aborted';
}

/** Validates a scenario and its thresholds; throws ConfigError / ThresholdSyntaxError before anything runs. */
export function validateScenario(input: ScenarioSource, source = 'scenario'): Scenario {
  let scenario: Scenario;
  try {
    scenario = parseScenario(input, source);
  } catch (error) {
    // List threshold mistakes with the schema's, so one run shows every problem.
    const slo = (input as { slo?: unknown }).slo;
    if (error instanceof ConfigError && slo !== undefined) {
      try {
        compileSlo(parseWith(sloSchema, slo, `${source}.slo`));
      } catch (sloError) {
        if (sloError instanceof Error && !(sloError instanceof ConfigError)) {
          throw new ConfigError([...error.issues, `slo: ${sloError.message}`], source);
        }
      }
    }
    throw error;
  }
  compileSlo(scenario.slo);
  for (const [index, target] of scenario.metrics.targets.entries()) {
    if (['swarm', 'nginx', 'node'].includes(target.name)) {
      throw new ConfigError(
        [`metrics.targets[${index}].name: "${target.name}" is used by the run itself; choose another name`],
        source,
      );
    }
  }
  return scenario;
}

function reportKeyOf(scenario: Scenario, options: RunScenarioOptions): RunContext['reportKey'] {
  return {
    fileStem: options.testPath?.fileStem ?? 'run',
    testSlug: options.testPath?.testSlug ?? slugify(scenario.name),
  };
}

function resolveReportPath(scenario: Scenario, options: RunScenarioOptions): string {
  if (options.reportFile) return options.reportFile;
  const { fileStem, testSlug } = reportKeyOf(scenario, options);
  const path = reportPathFor(options.reportDir ?? scenario.report.dir, fileStem, testSlug);
  // Shards of one scenario can share a folder (one CI artifact): each names its own file.
  const shard = options.shard;
  return shard && shard.count > 1
    ? path.replace(/\.json$/, `.shard-${shard.index}-of-${shard.count}.json`)
    : path;
}

/** The live phases; any failure is recorded (the report still gets written). */
async function runPhases(context: RunContext, state: RunState): Promise<void> {
  const { controller } = context;
  try {
    if (controller.signal.aborted) throw controller.signal.reason;
    await loadBaselinePhase(context, state);
    await checkCapacityPhase(context, state);
    await bootOrigin(context, state);
    if (controller.signal.aborted) throw controller.signal.reason;
    const origin = state.origin;
    if (!origin) throw new Error('the origin did not start');
    const swarm = await startMeasurement(context, state, origin);
    await hold(context, state, origin, swarm);
  } catch (error) {
    if (!controller.signal.aborted) state.error = asError(error);
  }
}

/** The sampled series and scrape health for the report (none when sampling never began). */
function measurementsOf(
  context: RunContext,
  state: RunState,
  fromMs: number,
  toMs: number,
): { timeseries: ReportTimeseries | null; scrapes: Record<string, ReportScrapeHealth> } {
  const sampler = state.sampler;
  if (!sampler) return { timeseries: null, scrapes: {} };
  let timeseries: ReportTimeseries | null = null;
  if (context.scenario.report.timeseries) {
    try {
      timeseries = reportTimeseriesFrom(sampler.timeseries(1000, fromMs, toMs), fromMs);
    } catch (error) {
      context.log(`timeseries unavailable: ${asError(error).message}`);
    }
  }
  const scrapes = Object.fromEntries(
    sampler.scrapeHealth().map((health) => [
      health.name,
      {
        url: redactText(health.url),
        attempts: health.attempts,
        failures: health.failures,
        ...(health.lastError ? { lastError: redactText(health.lastError) } : {}),
      },
    ]),
  );
  return { timeseries, scrapes };
}

/** This run side by side with the scenario's baseline; undefined without one or when the swarm never ran. */
function compareBaseline(
  scenario: Scenario,
  state: RunState,
  origin: OriginReport | null,
  timeseries: ReportTimeseries | null,
  swarmEndMs: number,
): { loaded: LoadedBaseline; rows: ComparedMetric[] } | undefined {
  const loaded = state.baseline;
  const swarm = swarmReportOf(state.finalSnapshot, { ...state.marks, swarmEndMs });
  if (!loaded || !swarm) return undefined;
  const current = { scenario: { name: scenario.name }, swarm, origin, timeseries };
  return { loaded, rows: compareWithBaseline(loaded, current) };
}

/** Runs one scenario; see the file comment. Throws only ConfigError / SLO config errors. */
export async function runScenario(
  input: ScenarioSource,
  options: RunScenarioOptions = {},
): Promise<RunResult> {
  const scenario = validateScenario(input);
  checkShardOrigin(scenario, options.shard, options.origin !== undefined);
  const context: RunContext = {
    scenario,
    compiled: compileSlo(scenario.slo),
    options,
    timings: runTimingsOf(scenario),
    reportPath: resolveReportPath(scenario, options),
    reportKey: reportKeyOf(scenario, options),
    controller: new AbortController(),
    log: (line) => options.log?.(`[hls-swarm] ${scenario.name}: ${line}`),
  };
  const state = newRunState(options);
  const onExternalAbort = () => {
    state.interruptedReason ??= `interrupted: ${describeAbortReason(options.signal?.reason)}`;
    context.controller.abort(options.signal?.reason);
  };
  if (options.signal?.aborted) onExternalAbort();
  else options.signal?.addEventListener('abort', onExternalAbort, { once: true });

  try {
    await runPhases(context, state);
  } finally {
    options.signal?.removeEventListener('abort', onExternalAbort);
  }
  await teardown(state);
  const origin = state.origin ? originReportFrom(state.origin) : null;
  await stopOrigin(state);
  const swarmEndMs = state.marks.swarmEndMs ?? Date.now();
  const endMs = Date.now();

  const evaluationStartMs = state.marks.swarmStartMs ?? state.marks.startMs;
  const sloEndMs = state.marks.holdEndMs ?? swarmEndMs;
  const steadyStartMs = steadyStartMsOf(state, context.timings);
  const measurements = measurementsOf(context, state, evaluationStartMs, swarmEndMs);
  const baseline = compareBaseline(scenario, state, origin, measurements.timeseries, swarmEndMs);
  const judgement = judge({
    compiled: context.compiled,
    ...(state.sampler ? { store: state.sampler.store } : {}),
    timeline: {
      startMs: evaluationStartMs,
      ...(state.marks.rampEndMs !== undefined ? { rampEndMs: state.marks.rampEndMs } : {}),
      ...(steadyStartMs !== undefined ? { steadyStartMs: Math.min(steadyStartMs, sloEndMs) } : {}),
      endMs: sloEndMs,
    },
    generatorLimits: scenario.generator,
    ...(state.interruptedReason ? { interruptedReason: state.interruptedReason } : {}),
    ...(state.error ? { error: state.error } : {}),
    ...(state.sloAbort ? { sloAbort: state.sloAbort } : {}),
    ...(baseline ? { baseline: { rows: baseline.rows, spec: baseline.loaded } } : {}),
  });
  if (judgement.generator?.reason) context.log(judgement.generator.reason);

  const report = assembleReport({
    scenario,
    ...(options.source ? { source: options.source } : {}),
    marks: { ...state.marks, swarmEndMs, endMs },
    ...(steadyStartMs !== undefined ? { steadyStartMs } : {}),
    plannedSeconds: context.timings.plannedMs / 1000,
    actions: state.actionLog,
    origin,
    ...(state.finalSnapshot ? { finalSnapshot: state.finalSnapshot } : {}),
    judgement,
    ...measurements,
    ...(state.error ? { error: state.error } : {}),
    ...(state.capacity ? { capacity: state.capacity.capacity } : {}),
    ...(baseline ? { baseline: baselineSection(baseline.loaded, baseline.rows) } : {}),
    ...(options.shard
      ? {
          shard: shardSectionOf(
            scenario,
            options.shard,
            state.sampler?.store,
            { startMs: evaluationStartMs, steadyStartMs: steadyStartMs ?? null, endMs: sloEndMs },
            state.marks.swarmStartMs,
            options.startAtMs,
          ),
        }
      : {}),
  });
  await writeReportAndHtml(context.reportPath, report);
  const { verdict, reason, thresholds } = judgement;
  context.log(`${verdict}${reason ? ` (${reason})` : ''}; report ${context.reportPath}`);
  return {
    verdict,
    report,
    reportPath: context.reportPath,
    thresholds,
    scenario,
    ...(state.error ? { error: state.error } : {}),
    ...(state.sampler ? { metrics: state.sampler.store } : {}),
    window: { startMs: evaluationStartMs, steadyStartMs: steadyStartMs ?? null, endMs: sloEndMs },
  };
}
