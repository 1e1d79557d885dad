import {
  originSchema,
  type ProfileName,
  parseWith,
  type SwarmSpec,
  swarmSchema,
} from '../../config/index.js';
import { type RunningOrigin, startOrigin } from '../../origin/index.js';
import {
  cpuUtilizationBetween,
  type ProcMemory,
  processTree,
  readCpuSeconds,
  readHostCpu,
  readMemory,
  readSchedstat,
  redactUrl,
} from '../../system/index.js';
import { SwarmStartError } from '../runtime/errors.js';
import type { SwarmHandle } from '../runtime/handle.js';
import { startSwarm } from '../runtime/start-swarm.js';
import type { OriginCpu, ViewerCosts } from './estimate.js';

/*
 * One calibration run: the swarm's own machinery (same command, same log reading, same process
 * layout as a real run, which matters: the scheduler's autogroups make an ffmpeg alone cost
 * about half of one among many) starts `viewers` ffmpegs against the stream, and /proc says
 * what they cost: CPU until each one's first segment (the start), then CPU and memory over a
 * steady window. Half the viewers are timed (log read as it arrives), half untimed, so both
 * costs are known and a scenario's own timedViewers can be applied.
 */

export type CalibrationStream =
  | { kind: 'profile'; originKind: 'python' | 'nginx'; profile: ProfileName }
  | { kind: 'url'; url: string };

export interface MeasureOptions {
  stream: CalibrationStream;
  logLevel: SwarmSpec['logLevel'];
  /** Viewers to run (default 20). */
  viewers?: number;
  /** Length of the steady window (default 12 s). */
  steadySeconds?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
  ffmpegPath?: string;
}

export interface Measurement {
  costs: ViewerCosts;
  memorySource: ProcMemory['source'];
  viewersMeasured: number;
  steadySeconds: number;
  origin: (OriginCpu & { kind: string }) | null;
  ffmpegVersion: string;
  /** The stream, secrets redacted. */
  stream: string;
  conditions: MeasurementConditions;
}

/**
 * How busy the host was during the steady window. On a busy host viewers fall behind and use
 * less CPU than they would at full speed, so the costs come out low and the estimate high.
 */
export interface MeasurementConditions {
  /** Share of the host's CPU that was busy (everything, the calibration included). */
  hostCpuBusy: number;
  /**
   * Share of the wall time the average viewer spent waiting on a run queue for a CPU
   * (/proc/<pid>/schedstat). Not of their runnable time: viewers wake together at each segment,
   * so even on a quiet host half of their brief runnable time is spent waiting for each other.
   */
  viewerCpuWaitShare: number;
}

/** Above either, `calibrate` says the figures are unreliable. */
export const BUSY_HOST_SHARE = 0.85;
/** 5 % of the wall time is ~100 ms of queueing per 2 s segment: more than the origin's own latency on loopback. */
export const BUSY_VIEWER_WAIT_SHARE = 0.05;

export function conditionsWarning(conditions: MeasurementConditions): string | undefined {
  if (conditions.hostCpuBusy <= BUSY_HOST_SHARE && conditions.viewerCpuWaitShare <= BUSY_VIEWER_WAIT_SHARE)
    return undefined;
  return (
    `the host was busy while measuring (CPU ${(conditions.hostCpuBusy * 100).toFixed(0)} % busy, viewers waited ` +
    `${(conditions.viewerCpuWaitShare * 100).toFixed(0)} % of the time for a CPU): viewers that fall behind use less CPU, ` +
    'so the estimate may be too high; run `hls-swarm calibrate --fresh` again when the host is quiet'
  );
}

/** How long viewers may take to reach their first segment before the calibration gives up on them. */
const STARTUP_TIMEOUT_MS = 20_000;
/** After the last start, before the steady window: the first segments' burst is over. */
const SETTLE_MS = 2_000;
/** The HTTP servers among an origin's processes: their CPU grows with the audience. */
const SERVER_PROCESSES = new Set(['nginx', 'http.server']);

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

const mean = (values: number[]) =>
  values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
const nodeCpuSeconds = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};
const treeCpuSeconds = (pid: number) =>
  processTree(pid).reduce((sum, member) => sum + (readCpuSeconds(member) ?? 0), 0);

/** CPU-seconds so far of each origin process tree, split into server and the rest. */
function originCpuSeconds(origin: RunningOrigin | undefined): { server: number; other: number } {
  const cpu = { server: 0, other: 0 };
  for (const process of origin?.status().processes ?? []) {
    if (process.pid === undefined || !process.running) continue;
    cpu[SERVER_PROCESSES.has(process.name) ? 'server' : 'other'] += treeCpuSeconds(process.pid);
  }
  return cpu;
}

/** Viewer starts: CPU of each ffmpeg from spawn to its first segment, and Node's over the whole ramp. */
async function measureStarts(swarm: SwarmHandle, viewers: number, signal?: AbortSignal) {
  const pids = new Map<number, number>();
  const startCpu: number[] = [];
  const nodeBefore = nodeCpuSeconds();
  let resolveAll!: () => void;
  const allStarted = new Promise<void>((resolve) => {
    resolveAll = resolve;
  });
  swarm.on('clientStarted', ({ clientId, pid }) => pids.set(clientId, pid));
  swarm.on('startup', ({ clientId }) => {
    const pid = pids.get(clientId);
    const cpu = pid === undefined ? undefined : readCpuSeconds(pid);
    if (cpu !== undefined) startCpu.push(cpu);
    if (startCpu.length >= viewers) resolveAll();
  });
  // The give-up timer is cleared once all have started: a pending timer would hold the CLI open.
  const giveUp = new AbortController();
  await Promise.race([
    allStarted,
    sleep(STARTUP_TIMEOUT_MS, AbortSignal.any([giveUp.signal, ...(signal ? [signal] : [])])),
  ]);
  giveUp.abort();
  const nodeSeconds = nodeCpuSeconds() - nodeBefore;
  return { pids, startCpu, nodePerStartSeconds: startCpu.length > 0 ? nodeSeconds / startCpu.length : 0 };
}

/** Running viewers over the steady window: CPU per timed and untimed viewer, Node, origin, memory. */
async function measureSteady(
  swarm: SwarmHandle,
  pids: Map<number, number>,
  origin: RunningOrigin | undefined,
  steadySeconds: number,
  signal?: AbortSignal,
) {
  const before = new Map([...pids].map(([id, pid]) => [id, readCpuSeconds(pid)]));
  const schedBefore = new Map([...pids].map(([id, pid]) => [id, readSchedstat(pid)]));
  const hostBefore = readHostCpu();
  const nodeBefore = nodeCpuSeconds();
  const originBefore = originCpuSeconds(origin);
  const wallBefore = performance.now();
  await sleep(steadySeconds * 1000, signal);
  const wallSeconds = (performance.now() - wallBefore) / 1000;
  const timed: number[] = [];
  const untimed: number[] = [];
  const memory: ProcMemory[] = [];
  let waitNs = 0;
  let waitMeasured = 0;
  const hostCpuBusy = cpuUtilizationBetween(hostBefore, readHostCpu()) ?? 0;
  for (const [id, pid] of pids) {
    const schedStart = schedBefore.get(id);
    const schedEnd = readSchedstat(pid);
    if (schedStart && schedEnd) {
      waitNs += schedEnd.waitNs - schedStart.waitNs;
      waitMeasured++;
    }
    const start = before.get(id);
    const end = readCpuSeconds(pid);
    const used = readMemory(pid);
    if (start === undefined || end === undefined || used === undefined) continue; // exited meanwhile
    (swarm.isTimed(id) ? timed : untimed).push((end - start) / wallSeconds);
    memory.push(used);
  }
  const running = timed.length + untimed.length;
  const originAfter = originCpuSeconds(origin);
  return {
    running,
    wallSeconds,
    timedCores: mean(timed.length > 0 ? timed : untimed),
    untimedCores: mean(untimed.length > 0 ? untimed : timed),
    nodeCoresPerViewer: (nodeCpuSeconds() - nodeBefore) / wallSeconds / Math.max(1, running),
    memoryBytes: mean(memory.map((entry) => entry.bytes)),
    memorySource: memory.every((entry) => entry.source === 'pss') ? ('pss' as const) : ('rss' as const),
    conditions: {
      hostCpuBusy,
      viewerCpuWaitShare: waitMeasured > 0 ? waitNs / 1e9 / wallSeconds / waitMeasured : 0,
    },
    origin: {
      fixedCores: (originAfter.other - originBefore.other) / wallSeconds,
      perViewerCores: (originAfter.server - originBefore.server) / wallSeconds / Math.max(1, running),
    },
  };
}

function calibrationSpec(viewers: number, steadySeconds: number, logLevel: SwarmSpec['logLevel']): SwarmSpec {
  // The swarm ends itself only as a last resort: the calibration stops it once it has measured.
  const durationSeconds = Math.ceil(viewers / 20 + STARTUP_TIMEOUT_MS / 1000 + steadySeconds + 30);
  return parseWith(
    swarmSchema,
    {
      clients: viewers,
      rampRate: 20,
      duration: `${durationSeconds}s`,
      logLevel,
      timedViewers: Math.floor(viewers / 2),
      restart: { enabled: false },
      metricsPort: 0,
    },
    'calibration',
  );
}

/** Runs one calibration; stops everything it started, whatever happens. */
export async function measureCalibration(options: MeasureOptions): Promise<Measurement> {
  const viewers = options.viewers ?? 20;
  const steadySeconds = options.steadySeconds ?? 12;
  const log = options.log ?? (() => {});
  const { stream, signal } = options;
  let origin: RunningOrigin | undefined;
  let swarm: SwarmHandle | undefined;
  try {
    if (stream.kind === 'profile') {
      log(`starting a ${stream.originKind} origin (profile ${stream.profile}, free ports)`);
      origin = await startOrigin(
        parseWith(
          originSchema,
          { kind: stream.originKind, profile: stream.profile, port: 0 },
          'calibration origin',
        ),
        signal ? { signal } : {},
      );
    }
    const url = origin?.streamUrl ?? (stream as { url: string }).url;
    log(`starting ${viewers} viewers of ${redactUrl(url)} (log level ${options.logLevel})`);
    swarm = await startSwarm({
      url,
      spec: calibrationSpec(viewers, steadySeconds, options.logLevel),
      ...(signal ? { signal } : {}),
      ...(options.ffmpegPath ? { ffmpegPath: options.ffmpegPath } : {}),
    });
    const starts = await measureStarts(swarm, viewers, signal);
    if (signal?.aborted) throw signal.reason ?? new Error('calibration aborted');
    if (starts.startCpu.length < Math.ceil(viewers / 2))
      throw new SwarmStartError(
        `Only ${starts.startCpu.length} of ${viewers} viewers reached their first segment within ${STARTUP_TIMEOUT_MS / 1000}s ` +
          `at ${redactUrl(url)}: is the stream live and this host idle enough? Nothing to calibrate on.`,
      );
    log(`${starts.startCpu.length} viewers playing; measuring ${steadySeconds}s of steady playback`);
    await sleep(SETTLE_MS, signal);
    const steady = await measureSteady(swarm, starts.pids, origin, steadySeconds, signal);
    if (signal?.aborted) throw signal.reason ?? new Error('calibration aborted');
    return {
      costs: {
        startCpuSeconds: mean(starts.startCpu) + starts.nodePerStartSeconds,
        timedViewerCpuCores: steady.timedCores,
        untimedViewerCpuCores: steady.untimedCores,
        nodeCpuCoresPerViewer: steady.nodeCoresPerViewer,
        viewerMemoryBytes: steady.memoryBytes,
      },
      memorySource: steady.memorySource,
      viewersMeasured: steady.running,
      steadySeconds: steady.wallSeconds,
      origin: origin ? { kind: origin.kind, ...steady.origin } : null,
      ffmpegVersion: swarm.ffmpeg.version,
      conditions: steady.conditions,
      stream:
        stream.kind === 'profile' ? `${stream.originKind} origin, profile ${stream.profile}` : redactUrl(url),
    };
  } finally {
    await swarm?.stop().catch(() => {});
    await origin?.stop().catch(() => {});
  }
}
