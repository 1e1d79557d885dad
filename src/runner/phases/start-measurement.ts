import { GeneratorHealthSampler, MetricsSampler } from '../../metrics/index.js';
import type { RunningOrigin } from '../../origin/index.js';
import { LiveSloMonitor } from '../../slo/index.js';
import { startSwarm } from '../../swarm/index.js';
import { redactText } from '../../system/index.js';
import { type RunContext, type RunState, steadyStartMsOf } from '../run-context.js';
import type { RunningSwarm } from '../types.js';

/*
 * Phase 2: the viewers and everything that measures them. The swarm resolves once its start
 * gate's prepare phase is over and the plan's t = 0 has come; sampling, the live abortOnFail
 * monitor and the generator-health sampler start from there, so the prepare phase is not
 * measured.
 */
export async function startMeasurement(
  context: RunContext,
  state: RunState,
  origin: RunningOrigin,
): Promise<RunningSwarm> {
  const { scenario, options, controller } = context;
  context.log(
    `origin ready at ${redactText(origin.streamUrl)}; starting ${scenario.swarm.stages ? 'staged' : scenario.swarm.clients} viewers`,
  );
  state.phase = 'ramp';
  const swarm = await startSwarm({
    url: origin.streamUrl,
    spec: scenario.swarm,
    signal: controller.signal,
    ...(options.printCommand ? { printCommand: options.printCommand } : {}),
    ...(options.shard ? { shard: options.shard } : {}),
    ...(options.startAtMs !== undefined ? { startAtMs: options.startAtMs } : {}),
    ...(options.metricsHost ? { metricsHost: options.metricsHost } : {}),
    log: (line) => context.log(line),
  });
  state.swarm = swarm;
  state.marks.swarmStartMs = swarm.snapshot().startedAtMs || Date.now();
  swarm.on('rampComplete', (event) => {
    state.marks.rampEndMs ??= event.atMs;
  });

  // Shards share one origin: only shard 0 scrapes its exporters and reads its log, not N times.
  const scrapesOrigin = (options.shard?.index ?? 0) === 0;
  const sampler = new MetricsSampler({
    spec: scenario.metrics,
    swarmMetricsUrl: swarm.metricsUrl,
    ...(scrapesOrigin ? { origin } : {}),
  });
  state.sampler = sampler;
  sampler.attachSwarm(swarm);
  const monitor = new LiveSloMonitor(context.compiled, sampler.store, {
    timeline: () => {
      const steady = steadyStartMsOf(state, context.timings);
      return {
        startMs: state.marks.swarmStartMs ?? state.marks.startMs,
        ...(state.marks.rampEndMs !== undefined ? { rampEndMs: state.marks.rampEndMs } : {}),
        ...(steady !== undefined ? { steadyStartMs: steady } : {}),
      };
    },
    onAbort: (abort) => {
      state.sloAbort = abort;
      context.log(`${abort.reason}; stopping the run`);
      controller.abort(new Error(abort.reason));
    },
  });
  state.monitor = monitor;
  monitor.attach(sampler);
  sampler.start();
  const generatorHealth = new GeneratorHealthSampler(sampler.store, {
    intervalMs: context.timings.swarmIntervalMs,
    viewerPids: () => swarm.viewerPids?.() ?? [],
    lightSchedulerLatenessMs: () => swarm.lightSchedulerLatenessMs?.(),
    log: (line) => context.log(line),
  });
  state.generatorHealth = generatorHealth;
  void generatorHealth.start();
  return swarm;
}
