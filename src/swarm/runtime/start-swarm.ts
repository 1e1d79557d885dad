import { ConfigError, parseDurationMs, resolvePort, viewerCountsOf } from '../../config/index.js';
import { detectFfmpeg, newRunId, segMaxRetryProblem, selectVariant } from '../command/index.js';
import { StartGate, trickleIntervalMsFor } from '../gateway/index.js';
import { DEFAULT_LIGHT_CONNECTIONS, LightFleet } from '../light/index.js';
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
import { ffmpegPlanOf, ffmpegVariantOf, lightVariantOf } from './viewer-kinds.js';

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

/** The light viewers' fleet for a swarm spec (their variant policy, headers, User-Agent, timeout, CMCD id). */
function lightFleetFor(options: SwarmOptions, runId: string): LightFleet {
  const { spec } = options;
  if (spec.resolve !== undefined)
    throw new SwarmStartError(
      'swarm.resolve (--resolve) is not supported by light viewers yet: drop it, or run ffmpeg viewers only (swarm.viewers.light 0)',
    );
  return new LightFleet({
    url: options.url,
    variant: lightVariantOf(spec.variant),
    headers: {
      ...spec.headers,
      ...(spec.noCache ? { 'Cache-Control': 'no-cache', Pragma: 'no-cache' } : {}),
    },
    runId,
    ...(spec.userAgent !== undefined ? { userAgent: spec.userAgent } : {}),
    timeoutMs: parseDurationMs(spec.timeout, 'swarm.timeout'),
  });
}

/**
 * Starts a swarm of ffmpeg viewers (and light viewers, swarm.viewers) against `options.url`. Resolves once the metrics endpoint
 * listens and the ramp has begun; rejects (before any viewer starts) with a SwarmStartError,
 * PortInUseError or MissingBinaryError the user can act on.
 */
export async function startSwarm(options: SwarmOptions): Promise<SwarmHandle> {
  const { spec } = options;
  const log = options.log ?? (() => {});
  const runId = options.runId ?? newRunId();
  options = { ...options, runId };
  const counts = viewerCountsOf(spec);
  const plan = shardPlan(buildRampPlan(rampInputFromSpec(spec)), options.shard);
  const ffmpegPlan = ffmpegPlanOf(plan, counts);
  if (options.shard && plan.events.length === 0)
    throw new SwarmStartError(
      `shard ${options.shard.index}/${options.shard.count} has no viewer: the plan has ${spec.stages ? 'fewer viewers' : `${spec.clients} viewer(s), fewer`} than the ${options.shard.count} shards; run fewer shards`,
    );
  if (options.startAtMs !== undefined && options.startAtMs - Date.now() > MAX_START_AT_AHEAD_MS)
    throw new SwarmStartError(
      `the start time ${new Date(options.startAtMs).toISOString()} is more than an hour ahead; give a time within the hour (--start-at, HLS_SWARM_START_AT)`,
    );
  const report = await preflight({
    // Light viewers have no process: they need the descriptors of their pool's connections.
    clients: ffmpegPlan.peakClients,
    ...(counts.light > 0 ? { lightConnections: Math.min(counts.light, DEFAULT_LIGHT_CONNECTIONS) } : {}),
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
  let lightFleet: LightFleet | undefined;
  try {
    if (counts.light > 0) {
      lightFleet = lightFleetFor(options, runId);
      log(
        `viewers: ${counts.ffmpeg} ffmpeg + ${counts.light} light, interleaved by id; variant: ffmpeg ${ffmpegVariantOf(spec.variant)}, light ${lightVariantOf(spec.variant)}`,
      );
    }
    // The gate and the relay serve ffmpeg viewers only.
    if (spec.startGate.enabled && ffmpegPlan.events.length > 0) {
      gate = await StartGate.start({
        port: spec.startGate.port,
        trickleIntervalMs: trickleIntervalMsFor(parseDurationMs(spec.timeout, 'swarm.timeout')),
      });
    }
    if (spec.relay.enabled && ffmpegPlan.events.length > 0) {
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
    const variant =
      ffmpegPlan.events.length > 0
        ? await selectVariant(options.url, ffmpegVariantOf(spec.variant), spec.variantProbeFailure)
        : { maps: [] };
    if (variant.note) log(`variant: ${variant.note}`);
    // Through the relay, no log needs reading as it arrives: every viewer writes into a FIFO.
    const fifoDir = await createLogFifos(ffmpegPlan, relay ? 0 : spec.timedViewers, log);
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
      lightFleet,
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
    await lightFleet?.close();
    await metricsServer.close();
    if (error instanceof Error && error.name === 'VariantProbeError')
      throw new SwarmStartError(error.message);
    throw error;
  }
}
