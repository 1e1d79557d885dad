import { ConfigError, parseDurationMs, resolvePort } from '../../config/index.js';
import { detectFfmpeg, segMaxRetryProblem, selectVariant } from '../command/index.js';
import { StartGate, trickleIntervalMsFor } from '../gateway/index.js';
import { SwarmMetrics, startMetricsServer } from '../metrics-server.js';
import { preflight } from '../preflight.js';
import { MeasuringRelay } from '../relay/index.js';
import type { SwarmOptions } from '../types.js';
import { SwarmStartError } from './errors.js';
import type { SwarmHandle } from './handle.js';
import { createLogFifos } from './log-fifos.js';
import { probeStreamUrl } from './probe.js';
import { buildRampPlan, rampInputFromSpec, shardPlan } from './ramp.js';
import { Swarm } from './swarm.js';

const MAX_START_AT_AHEAD_MS = 3_600_000;

/** Waits (in steps, so a stop() ends the wait) until `startAtMs`; a time already past starts at once. */
async function waitForStartAt(startAtMs: number, swarm: Swarm, log: (line: string) => void): Promise<void> {
  const aheadMs = startAtMs - Date.now();
  if (aheadMs <= 0) {
    log(
      `start time ${new Date(startAtMs).toISOString()} passed ${Math.round(-aheadMs)} ms ago: starting now`,
    );
    return;
  }
  log(
    `viewers prepared; waiting ${(aheadMs / 1000).toFixed(1)} s for the start time ${new Date(startAtMs).toISOString()}`,
  );
  while (!swarm.stopped) {
    const leftMs = startAtMs - Date.now();
    if (leftMs <= 0) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(leftMs, 200)));
  }
}

/**
 * Starts a swarm of ffmpeg viewers against `options.url`. Resolves once the metrics endpoint
 * listens and the ramp has begun; rejects (before any viewer starts) with a SwarmStartError,
 * PortInUseError or MissingBinaryError the user can act on.
 */
export async function startSwarm(options: SwarmOptions): Promise<SwarmHandle> {
  const { spec } = options;
  const log = options.log ?? (() => {});
  const plan = shardPlan(buildRampPlan(rampInputFromSpec(spec)), options.shard);
  if (options.shard && plan.events.length === 0)
    throw new SwarmStartError(
      `shard ${options.shard.index}/${options.shard.count} has no viewer: the plan has ${spec.stages ? 'fewer viewers' : `${spec.clients} viewer(s), fewer`} than the ${options.shard.count} shards; run fewer shards`,
    );
  if (options.startAtMs !== undefined && options.startAtMs - Date.now() > MAX_START_AT_AHEAD_MS)
    throw new SwarmStartError(
      `the start time ${new Date(options.startAtMs).toISOString()} is more than an hour ahead; give a time within the hour (--start-at, HLS_SWARM_START_AT)`,
    );
  const report = await preflight({
    clients: plan.peakClients,
    ffmpegPath: options.ffmpegPath,
    env: options.env,
    skipLimits: spec.skipPreflight === true,
  });
  for (const line of report.lines) log(line);
  const ffmpeg = await detectFfmpeg(report.ffmpeg.path);
  const segRetryProblem = segMaxRetryProblem(spec.segMaxRetry, ffmpeg, 'swarm.segMaxRetry');
  if (segRetryProblem) throw new ConfigError([segRetryProblem], 'swarm');

  const metrics = new SwarmMetrics({ ffmpegVersion: report.ffmpeg.version });
  const metricsServer = await startMetricsServer(metrics, {
    port: spec.metricsPort ?? resolvePort('swarmMetrics'),
    host: options.metricsHost,
  });
  let gate: StartGate | undefined;
  let relay: MeasuringRelay | undefined;
  try {
    if (spec.startGate.enabled) {
      gate = await StartGate.start({
        port: spec.startGate.port,
        trickleIntervalMs: trickleIntervalMsFor(parseDurationMs(spec.timeout, 'swarm.timeout')),
      });
    }
    if (spec.relay.enabled) {
      relay = await MeasuringRelay.start({
        port: spec.relay.port,
        timeoutMs: parseDurationMs(spec.timeout, 'swarm.timeout'),
      });
    }
    if (options.probeUrl !== false) {
      const headers = { ...spec.headers };
      await probeStreamUrl(options.url, {
        timeoutMs: parseDurationMs(spec.timeout, 'swarm.timeout'),
        headers,
        resolve: spec.resolve,
      });
    }
    const variant = await selectVariant(options.url, spec.variant, spec.variantProbeFailure);
    if (variant.note) log(`variant: ${variant.note}`);
    // Through the relay, no log needs reading as it arrives: every viewer writes into a FIFO.
    const fifoDir = await createLogFifos(plan, relay ? 0 : spec.timedViewers, log);
    const swarm = new Swarm(
      options,
      ffmpeg,
      plan,
      variant.maps,
      metrics,
      metricsServer,
      fifoDir,
      gate,
      relay,
    );
    swarm.watchSignal();
    await swarm.prepare();
    if (options.startAtMs !== undefined) await waitForStartAt(options.startAtMs, swarm, log);
    if (swarm.stopped) {
      // Aborted while preparing: every pre-started viewer is stopped before we say so.
      await swarm.done;
      throw (
        options.signal?.reason ?? new SwarmStartError('the swarm was stopped while preparing its viewers')
      );
    }
    swarm.begin();
    metrics.markBegun(); // /ready answers 200 from here
    return swarm;
  } catch (error) {
    await gate?.close();
    await relay?.close();
    await metricsServer.close();
    if (error instanceof Error && error.name === 'VariantProbeError')
      throw new SwarmStartError(error.message);
    throw error;
  }
}
