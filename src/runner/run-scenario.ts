import { join } from 'node:path';
import {
  ConfigError,
  parseDurationMs,
  parseScenario,
  parseWith,
  type Scenario,
  sloSchema,
} from '../config/index.js';
import { MetricsSampler } from '../metrics/index.js';
import { type RunningOrigin, startOrigin } from '../origin/index.js';
import { writeReportAndHtml } from '../report/html/index.js';
import {
  buildReport,
  buildTimeline,
  formatClock,
  formatProgress,
  type OriginReport,
  originReportFrom,
  type ProgressUpdate,
  type ReportScrapeHealth,
  type ReportTimeline,
  type ReportTimeseries,
  type RunPhase,
  reportPathFor,
  reportTimeseriesFrom,
  slugify,
  swarmReportFromSnapshot,
  type ThresholdResultEntry,
  thresholdEntryFrom,
  type Verdict,
  verdictFromThresholds,
} from '../report/index.js';
import { compileSlo, evaluateThresholds, LiveSloMonitor, type SloAbort } from '../slo/index.js';
import { type SwarmSnapshot, startSwarm } from '../swarm/index.js';
import { isUserFacingError, redactText } from '../system/index.js';
import { plannedSwarmMs } from './plan.js';
import { ProgressTracker } from './progress-tracker.js';
import type { RunningSwarm, RunResult, RunScenarioOptions, ScenarioSource } from './types.js';

/*
 * One scenario, start to end: validate (config and thresholds: a mistake starts nothing) →
 * boot the origin → start the swarm and sampling → hold until the planned duration is over,
 * an abortOnFail threshold breaks, or the caller's signal aborts → stop swarm, sampling and
 * origin → evaluate every threshold → write the report. Whatever happens after validation,
 * a report is written and a RunResult returned; only configuration errors throw.
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

function resolveReportPath(scenario: Scenario, options: RunScenarioOptions): string {
  if (options.reportFile) return options.reportFile;
  const dir = options.reportDir ?? scenario.report.dir;
  const stem = options.testPath?.fileStem ?? 'run';
  const slug = options.testPath?.testSlug ?? slugify(scenario.name);
  return reportPathFor(dir, stem, slug);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Runs one scenario; see the file comment. Throws only ConfigError / SLO config errors. */
export async function runScenario(
  input: ScenarioSource,
  options: RunScenarioOptions = {},
): Promise<RunResult> {
  const scenario = validateScenario(input);
  const compiled = compileSlo(scenario.slo);
  const reportPath = resolveReportPath(scenario, options);
  const log = options.log ?? (() => {});
  const progressIntervalMs = Math.max(
    250,
    parseDurationMs(scenario.report.progressInterval, 'report.progressInterval'),
  );
  const warmupMs = parseDurationMs(scenario.swarm.warmup, 'swarm.warmup');
  const plannedMs = plannedSwarmMs(scenario.swarm);
  const stopGraceMs = parseDurationMs(scenario.swarm.stopGrace, 'swarm.stopGrace');

  const startMs = Date.now();
  const controller = new AbortController();
  let interruptedReason: string | undefined;
  let sloAbort: SloAbort | undefined;
  const onExternalAbort = () => {
    interruptedReason ??= `interrupted: ${describeAbortReason(options.signal?.reason)}`;
    controller.abort(options.signal?.reason);
  };
  if (options.signal?.aborted) onExternalAbort();
  else options.signal?.addEventListener('abort', onExternalAbort, { once: true });

  let phase: RunPhase = 'origin';
  let origin: RunningOrigin | undefined = options.origin;
  const ownsOrigin = options.origin === undefined;
  let swarm: RunningSwarm | undefined;
  let sampler: MetricsSampler | undefined;
  let monitor: LiveSloMonitor | undefined;
  let runError: Error | undefined;
  let swarmStartMs: number | undefined;
  let rampEndMs: number | undefined;
  let swarmEndMs: number | undefined;
  let holdEndMs: number | undefined;
  const timers: NodeJS.Timeout[] = [];
  const actionLog: ReportTimeline['actions'] = [];
  const pendingActions: Promise<void>[] = [];
  const steadyStartMs = () => (rampEndMs === undefined ? undefined : rampEndMs + warmupMs);

  const emitProgress = (update: ProgressUpdate) => {
    try {
      options.onProgress?.(update);
    } catch {}
    log(formatProgress(update));
  };

  try {
    if (controller.signal.aborted) throw controller.signal.reason;
    if (!origin) {
      log(`[hls-swarm] ${scenario.name}: starting ${scenario.origin.kind} origin`);
      const logDir =
        options.keepOriginLogs === false ? undefined : join(reportPath.replace(/\.json$/, '.logs'), 'origin');
      // A VM origin may take minutes to boot: say so at every progress interval.
      const bootStartMs = Date.now();
      const bootTimer = setInterval(() => {
        const waited = formatClock((Date.now() - bootStartMs) / 1000);
        log(
          `[hls-swarm] ${scenario.name}: waiting for the ${scenario.origin.kind} origin (${waited}, ready timeout ${scenario.origin.readyTimeout})`,
        );
      }, progressIntervalMs);
      try {
        origin = await startOrigin(scenario.origin, {
          signal: controller.signal,
          ...(logDir ? { logDir } : {}),
        });
      } finally {
        clearInterval(bootTimer);
      }
    }
    if (controller.signal.aborted) throw controller.signal.reason;
    log(
      `[hls-swarm] ${scenario.name}: origin ready at ${redactText(origin.streamUrl)}; starting ${scenario.swarm.stages ? 'staged' : scenario.swarm.clients} viewers`,
    );

    phase = 'ramp';
    const startedSwarm = await startSwarm({
      url: origin.streamUrl,
      spec: scenario.swarm,
      signal: controller.signal,
      ...(options.printCommand ? { printCommand: options.printCommand } : {}),
      log: (line) => log(`[hls-swarm] ${scenario.name}: ${line}`),
    });
    swarm = startedSwarm;
    // t = 0 of the plan; with the start gate, the prepare phase before it is not measured.
    swarmStartMs = startedSwarm.snapshot().startedAtMs || Date.now();
    const tracker = new ProgressTracker(scenario.name, plannedMs / 1000, swarmStartMs);
    startedSwarm.on('request', (record) => tracker.onRequest(record));
    startedSwarm.on('rampComplete', (event) => {
      rampEndMs ??= event.atMs;
    });

    sampler = new MetricsSampler({
      spec: scenario.metrics,
      swarmMetricsUrl: startedSwarm.metricsUrl,
      origin,
    });
    sampler.attachSwarm(startedSwarm);
    monitor = new LiveSloMonitor(compiled, sampler.store, {
      timeline: () => {
        const steady = steadyStartMs();
        return {
          startMs: swarmStartMs ?? startMs,
          ...(rampEndMs !== undefined ? { rampEndMs } : {}),
          ...(steady !== undefined ? { steadyStartMs: steady } : {}),
        };
      },
      onAbort: (abort) => {
        sloAbort = abort;
        log(`[hls-swarm] ${scenario.name}: ${abort.reason}; stopping the run`);
        controller.abort(new Error(abort.reason));
      },
    });
    monitor.attach(sampler);
    sampler.start();

    const runningOrigin = origin;
    for (const action of options.actions ?? []) {
      const atMs = parseDurationMs(action.at, `action "${action.name}".at`);
      timers.push(
        setTimeout(() => {
          const firedMs = Date.now();
          log(`[hls-swarm] ${scenario.name}: action "${action.name}" at ${action.at}`);
          const pending = Promise.resolve()
            .then(() =>
              action.run({
                origin: runningOrigin,
                swarm: startedSwarm,
                signal: controller.signal,
                log: (line) => log(`[hls-swarm] ${scenario.name}: ${line}`),
              }),
            )
            .then(
              () => {
                actionLog.push({ name: action.name, atMs: firedMs, ok: true });
              },
              (error: unknown) => {
                actionLog.push({
                  name: action.name,
                  atMs: firedMs,
                  ok: false,
                  error: redactText(asError(error).message),
                });
                log(
                  `[hls-swarm] ${scenario.name}: action "${action.name}" failed: ${asError(error).message}`,
                );
              },
            );
          pendingActions.push(pending);
        }, atMs),
      );
    }

    const progressTimer = setInterval(() => {
      const now = Date.now();
      // Past the planned end the swarm is stopping its viewers: no line counting them down.
      if (now >= (startedSwarm.snapshot().startedAtMs ?? swarmStartMs ?? now) + plannedMs) return;
      const steady = steadyStartMs();
      if (phase !== 'stopping')
        phase = rampEndMs === undefined ? 'ramp' : steady !== undefined && now < steady ? 'warmup' : 'steady';
      let originProblem: string | undefined;
      try {
        const status = runningOrigin.status();
        if (!status.healthy) originProblem = status.problems[0] ?? 'unhealthy';
      } catch {}
      emitProgress(tracker.update(startedSwarm.snapshot(), now, phase, swarmStartMs ?? now, originProblem));
    }, progressIntervalMs);
    timers.push(progressTimer);

    // The swarm ends itself after its planned duration; the extra grace only guards a hang.
    const guardMs = plannedMs + stopGraceMs + 15_000;
    const finished = await Promise.race([
      startedSwarm.done.then(() => 'done' as const),
      sleep(guardMs, controller.signal).then(() =>
        controller.signal.aborted ? ('aborted' as const) : ('guard' as const),
      ),
    ]);
    if (finished === 'guard') log(`[hls-swarm] ${scenario.name}: the swarm did not end on time; stopping it`);
    // The measured window ends where the swarm begins to stop its viewers (planned end or
    // abort), so the shutdown itself is not judged as a drop in active clients.
    const swarmBeganMs = startedSwarm.snapshot().startedAtMs ?? swarmStartMs;
    holdEndMs = Math.min(Date.now(), swarmBeganMs + plannedMs - 100);
  } catch (error) {
    if (!controller.signal.aborted) runError = asError(error);
  } finally {
    phase = 'stopping';
    for (const timer of timers) clearTimeout(timer);
    options.signal?.removeEventListener('abort', onExternalAbort);
  }

  // Stop in order: viewers first (so the origin is not blamed for the shutdown), then
  // sampling (a last scrape of the final state), then the origin.
  let finalSnapshot: SwarmSnapshot | undefined;
  if (swarm) {
    try {
      const stopped = await swarm.stop();
      finalSnapshot = (stopped as SwarmSnapshot | undefined) ?? swarm.snapshot();
    } catch (error) {
      runError ??= asError(error);
      try {
        finalSnapshot = swarm.snapshot();
      } catch {}
    }
  }
  swarmEndMs = Date.now();
  monitor?.detach();
  if (sampler) {
    try {
      await sampler.stop();
    } catch (error) {
      runError ??= asError(error);
    }
  }
  await Promise.allSettled(pendingActions);
  let originReport: OriginReport | null = null;
  if (origin) {
    originReport = originReportFrom(origin);
    if (ownsOrigin) {
      try {
        await origin.stop();
      } catch (error) {
        runError ??= asError(error);
      }
    }
  }
  const endMs = Date.now();

  // Thresholds are judged for every run that sampled anything, interrupted ones included
  // (the verdict stays 'interrupted'/'error'; the results say how far it got).
  const sloEndMs = holdEndMs ?? swarmEndMs;
  const evaluationStartMs = swarmStartMs ?? startMs;
  let thresholds: ThresholdResultEntry[] = [];
  if (sampler) {
    const steady = steadyStartMs();
    thresholds = evaluateThresholds(compiled, sampler.store, {
      startMs: evaluationStartMs,
      ...(rampEndMs !== undefined ? { rampEndMs } : {}),
      ...(steady !== undefined ? { steadyStartMs: Math.min(steady, sloEndMs) } : {}),
      endMs: sloEndMs,
    }).map(thresholdEntryFrom);
  }

  let verdict: Verdict;
  let reason: string | undefined;
  if (interruptedReason) {
    verdict = 'interrupted';
    reason = interruptedReason;
  } else if (runError) {
    verdict = 'error';
    reason = runError.message.split('\n')[0];
  } else {
    verdict = verdictFromThresholds(thresholds);
    if (sloAbort) reason = `aborted early: ${sloAbort.reason}`;
    else if (verdict === 'fail') {
      const failed = thresholds.filter((result) => result.strict && !result.ok);
      reason = `${failed.length} strict threshold${failed.length === 1 ? '' : 's'} failed: ${failed.map((result) => `${result.metric} ${result.expression}`).join(', ')}`;
    }
  }

  let timeseries: ReportTimeseries | null = null;
  let scrapes: Record<string, ReportScrapeHealth> = {};
  if (sampler && scenario.report.timeseries) {
    try {
      timeseries = reportTimeseriesFrom(
        sampler.timeseries(1000, evaluationStartMs, swarmEndMs),
        evaluationStartMs,
      );
    } catch (error) {
      log(`[hls-swarm] ${scenario.name}: timeseries unavailable: ${asError(error).message}`);
    }
  }
  if (sampler) {
    scrapes = Object.fromEntries(
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
  }

  const prepareStartMs = finalSnapshot?.startGate?.prepareStartedAtMs;
  const timeline = buildTimeline({
    startMs,
    ...(prepareStartMs !== undefined ? { prepareStartMs } : {}),
    swarmStartMs: swarmStartMs ?? null,
    rampEndMs: rampEndMs ?? null,
    steadyStartMs: steadyStartMs() ?? null,
    endMs,
    plannedSwarmSeconds: plannedMs / 1000,
    actions: actionLog.sort((a, b) => a.atMs - b.atMs),
  });
  const report = buildReport({
    scenario: {
      name: scenario.name,
      ...(scenario.description ? { description: scenario.description } : {}),
      ...(options.source?.file ? { file: options.source.file } : {}),
      ...(options.source?.test ? { test: options.source.test } : {}),
      config: scenario,
    },
    verdict,
    ...(reason ? { reason } : {}),
    timeline,
    origin: originReport,
    swarm: finalSnapshot
      ? swarmReportFromSnapshot(
          finalSnapshot,
          (swarmEndMs - (finalSnapshot.startedAtMs ?? swarmStartMs ?? swarmEndMs)) / 1000,
        )
      : null,
    thresholds,
    timeseries,
    scrapes,
    ...(runError ? { error: runError, errorWithStack: !isUserFacingError(runError) } : {}),
  });
  await writeReportAndHtml(reportPath, report);
  log(`[hls-swarm] ${scenario.name}: ${verdict}${reason ? ` (${reason})` : ''}; report ${reportPath}`);

  const result: RunResult = {
    verdict,
    report,
    reportPath,
    thresholds,
    scenario,
    ...(runError ? { error: runError } : {}),
    ...(sampler ? { metrics: sampler.store } : {}),
    window: { startMs: evaluationStartMs, steadyStartMs: steadyStartMs() ?? null, endMs: sloEndMs },
  };
  return result;
}
