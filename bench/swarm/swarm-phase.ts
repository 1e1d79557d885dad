import type { RunningOrigin } from '../../src/origin/index.js';
import { isTimedViewer, type PlaybackSample, type RequestRecord, startSwarm } from '../../src/swarm/index.js';
import { type BenchOptions, specFor } from './options.js';
import { cpuDelta, cpuSnapshot, log, memAvailableMiB, nodeCpuSeconds, sleep } from './proc.js';

/** Below this much available memory a swarm phase stops itself (about 100 viewers' worth). */
const MIN_AVAILABLE_MIB = 1536;
// Live viewers start three segments back and catch up faster than real time: the first window
// after the ramp is not steady playback. 20 s covers the catch-up of a 2 s-segment stream.
export const WARMUP_MS = 20_000;

/** Compact per-request facts for the accuracy check. */
export interface PhaseRequest {
  kind: RequestRecord['kind'];
  startMs: number;
  bytes: number;
  timed: boolean;
}

export interface SwarmPhase {
  clients: number;
  cpuSeconds: number;
  nodeCpuSeconds: number;
  viewersCpuSeconds: number;
  /** Viewers read as their log arrives (swarm.timedViewers), and their ffmpegs' CPU. */
  timedViewers: number;
  timedViewersCpuSeconds: number;
  windowSeconds: number;
  nodeRssPeakMiB: number;
  windowStartMs: number;
  windowEndMs: number;
  /** Only when `keepRequests`. */
  requests: PhaseRequest[];
  playback: PlaybackSample[];
  restarts: number;
  droppedLines: number;
  rampSeconds: number;
}

export interface SwarmPhaseRun {
  count: number;
  seconds: number;
  rate?: number;
  keepRequests?: boolean;
  /** Called as the steady window starts and ends (the bare fleets read their CPU then). */
  windowHooks?: { start(): void; end(): void };
}

/** Runs a swarm of `count` viewers: ramp, warmup, then a steady window of `seconds` measured. */
export async function swarmPhase(
  origin: RunningOrigin,
  options: BenchOptions,
  run: SwarmPhaseRun,
): Promise<SwarmPhase> {
  const { count, seconds, rate = options.rampRate, keepRequests = false, windowHooks } = run;
  const rampSeconds = count / rate;
  // Long enough for a slow ramp; the phase stops the swarm itself once its window is measured.
  const spec = specFor(options, count, Math.ceil(rampSeconds * 4 + WARMUP_MS / 1000 + seconds + 60), rate);
  const swarm = await startSwarm({ url: origin.streamUrl, spec, log });
  const pids = new Set<number>();
  const requests: PhaseRequest[] = [];
  const playback: PlaybackSample[] = [];
  let rampDoneMs = 0;
  const timedPids = new Set<number>();
  swarm.on('clientStarted', (event) => {
    pids.add(event.pid);
    if (isTimedViewer(event.clientId, spec.timedViewers, count)) timedPids.add(event.pid);
  });
  // Only what the accuracy check needs, so the bench itself adds little to Node's RSS.
  if (keepRequests)
    swarm.on('request', (record) =>
      requests.push({
        kind: record.kind,
        startMs: record.startMs,
        bytes: record.bytes ?? 0,
        timed: isTimedViewer(record.clientId, spec.timedViewers, count),
      }),
    );
  swarm.on('playback', (sample) => playback.push(sample));
  swarm.on('rampComplete', (event) => {
    rampDoneMs = event.atMs;
  });
  let rssPeak = 0;
  let memoryStop: string | undefined;
  const rssTimer = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    // The machine is shared: never push it into the OOM killer.
    const availableMiB = memAvailableMiB();
    if (availableMiB < MIN_AVAILABLE_MIB && !memoryStop) {
      memoryStop = `stopped: MemAvailable ${availableMiB} MiB < ${MIN_AVAILABLE_MIB} MiB with ${pids.size} viewers started`;
      log(memoryStop);
      void swarm.stop();
    }
  }, 1000);
  let ended = false;
  void swarm.done.then(() => {
    ended = true;
  });
  while (rampDoneMs === 0 && !ended) await sleep(200);
  if (rampDoneMs === 0) {
    clearInterval(rssTimer);
    throw new Error(
      memoryStop ??
        `the swarm of ${count} ended before its ramp completed (${pids.size} had started; the machine's CPU was saturated)`,
    );
  }
  log(
    `swarm: ${count} viewers started in ${((rampDoneMs - (swarm.snapshot().startedAtMs ?? 0)) / 1000).toFixed(1)}s`,
  );
  await sleep(WARMUP_MS);
  const windowStartMs = Date.now();
  const viewersBefore = cpuSnapshot(pids);
  const nodeBefore = nodeCpuSeconds();
  windowHooks?.start();
  await sleep(seconds * 1000);
  const viewersAfter = cpuSnapshot(pids);
  const nodeAfter = nodeCpuSeconds();
  windowHooks?.end();
  const windowEndMs = Date.now();
  const final = await swarm.stop();
  clearInterval(rssTimer);
  if (memoryStop) throw new Error(memoryStop);
  const viewersCpu = cpuDelta(viewersBefore, viewersAfter);
  const only = (snapshot: Map<number, number>, keep: (pid: number) => boolean) =>
    new Map([...snapshot].filter(([pid]) => keep(pid)));
  const timedCpu = cpuDelta(
    only(viewersBefore, (pid) => timedPids.has(pid)),
    only(viewersAfter, (pid) => timedPids.has(pid)),
  );
  return {
    clients: count,
    cpuSeconds: viewersCpu + (nodeAfter - nodeBefore),
    nodeCpuSeconds: nodeAfter - nodeBefore,
    viewersCpuSeconds: viewersCpu,
    timedViewers: timedPids.size,
    timedViewersCpuSeconds: timedCpu,
    windowSeconds: (windowEndMs - windowStartMs) / 1000,
    nodeRssPeakMiB: rssPeak / 2 ** 20,
    windowStartMs,
    windowEndMs,
    requests,
    playback,
    restarts: final.restarts,
    droppedLines: final.droppedLines,
    rampSeconds: (rampDoneMs - (final.startedAtMs ?? rampDoneMs)) / 1000,
  };
}

export interface PlaybackStats {
  windows: number;
  clientsSampled: number;
  meanSpeed: number;
  minWindowSpeed: number;
  minClientMeanSpeed: number;
  windowsBelow0_9: number;
  clientsBelow0_9: number;
}

/** Playback speed windows inside the phase's steady window: mean, minimum, viewers below 0.9. */
export function playbackStats(phase: SwarmPhase): PlaybackStats {
  const steady = phase.playback.filter(
    (sample) => sample.atMs >= phase.windowStartMs && sample.atMs <= phase.windowEndMs,
  );
  const perClient = new Map<number, number[]>();
  for (const sample of steady) {
    const list = perClient.get(sample.clientId) ?? [];
    list.push(sample.speed);
    perClient.set(sample.clientId, list);
  }
  const clientMeans = [...perClient.values()].map(
    (speeds) => speeds.reduce((a, b) => a + b, 0) / speeds.length,
  );
  const mean = steady.reduce((sum, sample) => sum + sample.speed, 0) / Math.max(1, steady.length);
  return {
    windows: steady.length,
    clientsSampled: perClient.size,
    meanSpeed: mean,
    minWindowSpeed: steady.length ? Math.min(...steady.map((sample) => sample.speed)) : 0,
    minClientMeanSpeed: clientMeans.length ? Math.min(...clientMeans) : 0,
    windowsBelow0_9: steady.filter((sample) => sample.speed < 0.9).length,
    clientsBelow0_9: clientMeans.filter((speed) => speed < 0.9).length,
  };
}
