import { parseDurationMs } from '../../config/index.js';
import type { RunningOrigin } from '../../origin/index.js';
import { formatProgress, type ThresholdsSoFar } from '../../report/index.js';
import { evaluateThresholdsSoFar } from '../../slo/index.js';
import { redactText } from '../../system/index.js';
import { ProgressTracker } from '../progress-tracker.js';
import { asError, type RunContext, type RunState, steadyStartMsOf } from '../run-context.js';
import type { RunningSwarm } from '../types.js';

/*
 * Phase 3: the run itself. The scenario's actions fire at their times, progress is reported at
 * every interval, and the phase ends when the swarm has run its plan, an abortOnFail threshold
 * broke, or the caller aborted (a guard catches a swarm that never ends).
 */

/** Schedules each action at its time after t = 0; outcomes go to the timeline. */
export function scheduleActions(
  context: RunContext,
  state: RunState,
  origin: RunningOrigin,
  swarm: RunningSwarm,
): void {
  for (const action of context.options.actions ?? []) {
    const atMs = parseDurationMs(action.at, `action "${action.name}".at`);
    const fire = () => {
      const firedMs = Date.now();
      context.log(`action "${action.name}" at ${action.at}`);
      const pending = Promise.resolve()
        .then(() =>
          action.run({ origin, swarm, signal: context.controller.signal, log: (line) => context.log(line) }),
        )
        .then(
          () => {
            state.actionLog.push({ name: action.name, atMs: firedMs, ok: true });
          },
          (error: unknown) => {
            const message = asError(error).message;
            state.actionLog.push({ name: action.name, atMs: firedMs, ok: false, error: redactText(message) });
            context.log(`action "${action.name}" failed: ${message}`);
          },
        );
      state.pendingActions.push(pending);
    };
    state.timers.push(setTimeout(fire, atMs));
  }
}

/** Live progress at every interval until the planned end (then the swarm is stopping). */
function startProgress(
  context: RunContext,
  state: RunState,
  origin: RunningOrigin,
  swarm: RunningSwarm,
): void {
  const { scenario, timings, options } = context;
  const swarmStartMs = state.marks.swarmStartMs ?? Date.now();
  const tracker = new ProgressTracker(scenario.name, timings.plannedMs / 1000, swarmStartMs);
  swarm.on('request', (record) => tracker.onRequest(record));
  const timer = setInterval(() => {
    const now = Date.now();
    if (now >= (swarm.snapshot().startedAtMs ?? swarmStartMs) + timings.plannedMs) return;
    const steady = steadyStartMsOf(state, timings);
    if (state.phase !== 'stopping')
      state.phase =
        state.marks.rampEndMs === undefined
          ? 'ramp'
          : steady !== undefined && now < steady
            ? 'warmup'
            : 'steady';
    let originProblem: string | undefined;
    try {
      const status = origin.status();
      if (!status.healthy) originProblem = status.problems[0] ?? 'unhealthy';
    } catch {}
    const update = {
      ...tracker.update(swarm.snapshot(), now, state.phase, swarmStartMs, originProblem),
      generator: state.generatorHealth?.latest(),
    };
    try {
      // Only a live view wants these: judging every threshold re-reads the stored series.
      if (options.onProgress) Object.assign(update, dashboardFigures(context, state, now));
      options.onProgress?.(update);
    } catch {}
    if (options.logProgress !== false) options.log?.(formatProgress(update));
  }, timings.progressIntervalMs);
  state.timers.push(timer);
}

/** Origin CPU and the thresholds so far, for the live dashboard. */
function dashboardFigures(
  context: RunContext,
  state: RunState,
  now: number,
): { originCpuUtilization?: number; thresholds?: ThresholdsSoFar } {
  const store = state.sampler?.store;
  if (!store) return {};
  const figures: { originCpuUtilization?: number; thresholds?: ThresholdsSoFar } = {};
  const cpu = store.window('node_cpu_utilization', {}, now - 60_000, now);
  if (cpu?.type === 'gauge' && cpu.last !== undefined) figures.originCpuUtilization = cpu.last;
  if (context.compiled.length > 0) {
    const steadyStartMs = steadyStartMsOf(state, context.timings);
    const results = evaluateThresholdsSoFar(
      context.compiled,
      store,
      {
        startMs: state.marks.swarmStartMs ?? state.marks.startMs,
        ...(steadyStartMs !== undefined ? { steadyStartMs } : {}),
      },
      now,
    );
    figures.thresholds = {
      total: results.length,
      pending: results.filter((result) => result === undefined).length,
      breached: results.flatMap((result) =>
        result && !result.ok
          ? [`${result.metric} ${result.expression} (${formatObserved(result.observed)})`]
          : [],
      ),
    };
  }
  return figures;
}

function formatObserved(value: number | null): string {
  if (value === null) return 'no data';
  return Number.isInteger(value) ? String(value) : value.toPrecision(3);
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

/** Runs the plan; returns once the swarm is done, the run was aborted, or the guard ran out. */
export async function hold(
  context: RunContext,
  state: RunState,
  origin: RunningOrigin,
  swarm: RunningSwarm,
): Promise<void> {
  const { timings, controller } = context;
  scheduleActions(context, state, origin, swarm);
  startProgress(context, state, origin, swarm);
  // The swarm ends itself after its planned duration; the extra grace only guards a hang.
  const guardMs = timings.plannedMs + timings.stopGraceMs + 15_000;
  // The guard's timer must end with the swarm: a pending one kept the CLI alive ~17 s after its report.
  const guard = new AbortController();
  const onAbort = () => guard.abort();
  controller.signal.addEventListener('abort', onAbort, { once: true });
  let finished: 'done' | 'aborted' | 'guard';
  try {
    finished = await Promise.race([
      swarm.done.then(() => 'done' as const),
      sleep(guardMs, guard.signal).then(() =>
        controller.signal.aborted ? ('aborted' as const) : ('guard' as const),
      ),
    ]);
  } finally {
    controller.signal.removeEventListener('abort', onAbort);
    guard.abort();
  }
  if (finished === 'guard') context.log('the swarm did not end on time; stopping it');
  // The measured window ends where the swarm begins to stop its viewers (planned end or
  // abort), so the shutdown itself is not judged as a drop in active clients.
  const swarmBeganMs = swarm.snapshot().startedAtMs ?? state.marks.swarmStartMs ?? Date.now();
  state.marks.holdEndMs = Math.min(Date.now(), swarmBeganMs + timings.plannedMs - 100);
}
