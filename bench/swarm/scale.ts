import type { RunningOrigin } from '../../src/origin/index.js';
import type { BenchOptions } from './options.js';
import type { Row } from './output.js';
import { log } from './proc.js';
import { type PlaybackStats, playbackStats, swarmPhase, WARMUP_MS } from './swarm-phase.js';

export interface ScaleResult {
  clients: number;
  rampSeconds: number;
  restarts: number;
  droppedLines: number;
  nodeRssPeakMiB: number;
  nodeCpuPerSecond: number;
  viewersCpuPerSecond: number;
  playback: PlaybackStats;
}

const TARGET = 'mean >= 0.99, no viewer < 0.9';

/** S viewers: playback speed windows (>= 10 s) after ramp + warmup, mean and minimum. */
export async function scaleCheck(
  origin: RunningOrigin,
  options: BenchOptions,
): Promise<{ scale: ScaleResult | { error: string }; row: Row }> {
  const { scaleClients, scaleSeconds } = options;
  let phase: Awaited<ReturnType<typeof swarmPhase>>;
  try {
    phase = await swarmPhase(origin, options, {
      count: scaleClients,
      seconds: scaleSeconds,
      rate: options.scaleRampRate,
    });
  } catch (error) {
    const message = (error as Error).message;
    return {
      scale: { error: message },
      row: [`scale: ${scaleClients} viewers`, `not measured: ${message}`, TARGET, 'NO'],
    };
  }
  const playback = playbackStats(phase);
  const scale: ScaleResult = {
    clients: scaleClients,
    rampSeconds: phase.rampSeconds,
    restarts: phase.restarts,
    droppedLines: phase.droppedLines,
    nodeRssPeakMiB: phase.nodeRssPeakMiB,
    nodeCpuPerSecond: phase.nodeCpuSeconds / phase.windowSeconds,
    viewersCpuPerSecond: phase.viewersCpuSeconds / phase.windowSeconds,
    playback,
  };
  log(`scale: ${JSON.stringify(scale)}`);
  return {
    scale,
    row: [
      `scale: ${scaleClients} viewers, ${scaleSeconds}s after ramp+${WARMUP_MS / 1000}s`,
      `restarts ${phase.restarts}, dropped lines ${phase.droppedLines}; mean speed ${playback.meanSpeed.toFixed(4)} over ${playback.windows} windows of ${playback.clientsSampled} viewers; min window ${playback.minWindowSpeed.toFixed(3)}, min viewer mean ${playback.minClientMeanSpeed.toFixed(3)}; ${playback.windowsBelow0_9} windows / ${playback.clientsBelow0_9} viewers < 0.9; Node ${((phase.nodeCpuSeconds / phase.windowSeconds) * 100) | 0} % CPU, RSS ${phase.nodeRssPeakMiB.toFixed(0)} MiB`,
      TARGET,
      playback.meanSpeed >= 0.99 && playback.clientsBelow0_9 === 0 ? 'yes' : 'NO',
    ],
  };
}
