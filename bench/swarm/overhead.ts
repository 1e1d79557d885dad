import type { BareFleetResult } from './bare-fleet.js';
import type { BenchOptions } from './options.js';
import type { Row } from './output.js';
import type { SwarmPhase } from './swarm-phase.js';

/** CPU per second of the swarm (Node + its ffmpegs), and of each bare fleet with the ratio. */
export type OverheadResult = { swarmCpuPerSecond: number } & Partial<
  Record<BareFleetResult['layout'], { bareCpuPerSecond: number; ratio: number }>
>;

/** CPU of one viewer in % of a core, e.g. '0.105 %' ('-' for none). */
function perViewer(cpuSeconds: number, viewers: number, windowSeconds: number): string {
  return viewers > 0 ? `${((cpuSeconds / viewers / windowSeconds) * 100).toFixed(3)} %` : '-';
}

/** The swarm against each bare fleet over the same window (target: at most 10 % more CPU), and Node's RSS. */
export function overheadCheck(
  swarm: SwarmPhase,
  bares: BareFleetResult[],
  options: BenchOptions,
): { overhead: OverheadResult; rows: Row[] } {
  const rows: Row[] = [];
  const swarmRate = swarm.cpuSeconds / swarm.windowSeconds;
  const overhead: OverheadResult = { swarmCpuPerSecond: swarmRate };
  for (const bare of bares) {
    const bareRate = bare.cpuSeconds / bare.windowSeconds;
    const ratio = swarmRate / bareRate;
    overhead[bare.layout] = { bareCpuPerSecond: bareRate, ratio };
    rows.push([
      `overhead: CPU, ${options.clients} viewers vs a bare fleet, ${bare.layout === 'group' ? 'plain shell loop (one session)' : 'setsid per ffmpeg (as hls-swarm)'}`,
      `hls-swarm ${(swarmRate * 100).toFixed(1)} % of a core (Node ${((swarm.nodeCpuSeconds / swarm.windowSeconds) * 100).toFixed(1)} %, ffmpeg ${((swarm.viewersCpuSeconds / swarm.windowSeconds) * 100).toFixed(1)} %; per viewer: timed ${perViewer(swarm.timedViewersCpuSeconds, swarm.timedViewers, swarm.windowSeconds)}, untimed ${perViewer(swarm.viewersCpuSeconds - swarm.timedViewersCpuSeconds, swarm.clients - swarm.timedViewers, swarm.windowSeconds)}, bare ${perViewer(bare.cpuSeconds, bare.running, bare.windowSeconds)}) vs bare ${(bareRate * 100).toFixed(1)} %: ratio ${ratio.toFixed(3)}`,
      '<= 1.10',
      ratio <= 1.1 ? 'yes' : 'NO',
    ]);
  }
  rows.push([
    'overhead: Node RSS (peak)',
    `${swarm.nodeRssPeakMiB.toFixed(0)} MiB`,
    '<= 200 MB',
    swarm.nodeRssPeakMiB * 1.048576 <= 200 ? 'yes' : 'NO',
  ]);
  return { overhead, rows };
}
