// Capacity calibration checked against real runs (NOT a test): calibrate, then run the swarm at
// the estimate and at twice the estimate against the same kind of origin, and say whether each
// run saturated the load generator. Prints one markdown table and writes the raw numbers as JSON.
//
//   node --import tsx bench/calibrate.ts [--origin python|nginx] [--profile tiny] [--factors 1,2]
//        [--seconds 30] [--warmup 20] [--ramp-rate 10] [--fresh] [--out reports/bench-calibrate.json]
//
// Small scale on a shared machine: run it on one core, `taskset -c 1 node --import tsx bench/…`;
// availableParallelism() then says 1, so the calibration (its own cache entry) and both runs fit one core.
//
// Saturation, measured here without the generator-health metrics: over the steady window (after
// the ramp and a warm-up that covers the live catch-up), the viewers' run-queue wait from
// /proc/<pid>/schedstat as a share of the wall time (and of their runnable time), the
// host's CPU pressure (/proc/pressure/cpu "some"), and the swarm's playback speed windows.
// A run counts as SATURATED when the average viewer waited for a CPU more than 5 % of the wall
// time (~100 ms per 2 s segment: more than the origin's own latency on loopback), or playback
// fell behind (mean speed < 0.98, or any stalled window).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { originSchema, type ProfileName, parseWith, swarmSchema } from '../src/config/index.js';
import { startOrigin } from '../src/origin/index.js';
import {
  BUSY_VIEWER_WAIT_SHARE,
  calibrate,
  conditionsWarning,
  type PlaybackSample,
  type SwarmHandle,
  startSwarm,
  type ViewerCosts,
} from '../src/swarm/index.js';
import {
  cpuUtilizationBetween,
  parseCpuPressureSomeMicros,
  readHostCpu,
  readSchedstat,
} from '../src/system/index.js';

const { values } = parseArgs({
  options: {
    origin: { type: 'string', default: 'python' },
    profile: { type: 'string', default: 'tiny' },
    factors: { type: 'string', default: '1,2' },
    seconds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '20' },
    'ramp-rate': { type: 'string', default: '10' },
    fresh: { type: 'boolean', default: false },
    out: { type: 'string', default: 'reports/bench-calibrate.json' },
  },
});
const originKind = values.origin as 'python' | 'nginx';
const profile = values.profile as ProfileName;
const steadySeconds = Number(values.seconds);
const warmupSeconds = Number(values.warmup);
const rampRate = Number(values['ramp-rate']);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

/** /proc/pressure/cpu "some" total: microseconds in which at least one task waited for a CPU. */
function cpuPressureMicros(): number | undefined {
  try {
    return parseCpuPressureSomeMicros(readFileSync('/proc/pressure/cpu', 'utf8'));
  } catch {
    return undefined;
  }
}

function nodeSecondsSince(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

/** What the calibration says the viewers and Node cost at this size (the origin is not counted). */
function predictedViewerCores(costs: ViewerCosts, clients: number, swarm: SwarmHandle): number {
  let cores = clients * costs.nodeCpuCoresPerViewer;
  for (let id = 0; id < clients; id++)
    cores += swarm.isTimed(id) ? costs.timedViewerCpuCores : costs.untimedViewerCpuCores;
  return cores;
}

function schedTotals(pids: number[]): Map<number, { run: number; wait: number }> {
  const totals = new Map<number, { run: number; wait: number }>();
  for (const pid of pids) {
    const sched = readSchedstat(pid);
    if (sched) totals.set(pid, { run: sched.runNs / 1e9, wait: sched.waitNs / 1e9 });
  }
  return totals;
}

interface RunResult {
  factor: number;
  clients: number;
  viewersMeasured: number;
  /** Σ wait / (wall × viewers): the share of the time the average viewer waited for a CPU. */
  waitShareOfWall: number;
  /** Σ wait / Σ (run + wait): of the time they were runnable (high even when quiet: they wake together). */
  waitShareOfRunnable: number;
  cpuPressureSome: number | null;
  hostCpuBusy: number;
  playbackMeanSpeed: number | null;
  playbackMinSpeed: number | null;
  stalledWindows: number;
  segmentTtfbP95Seconds: number;
  /** Cores the viewers and this Node process used over the window, vs what the calibration predicts for them. */
  usedCores: number;
  predictedCores: number;
  saturated: boolean;
}

async function runAt(factor: number, clients: number, costs: ViewerCosts): Promise<RunResult> {
  const origin = await startOrigin(parseWith(originSchema, { kind: originKind, profile, port: 0 }, 'bench'));
  const rampSeconds = clients / rampRate;
  const spec = parseWith(
    swarmSchema,
    {
      clients,
      rampRate,
      duration: `${Math.ceil(rampSeconds + warmupSeconds + steadySeconds + 5)}s`,
      metricsPort: 0,
    },
    'bench',
  );
  const swarm = await startSwarm({ url: origin.streamUrl, spec });
  try {
    const samples: PlaybackSample[] = [];
    let steadyStartMs = Number.POSITIVE_INFINITY;
    swarm.on('playback', (sample) => {
      if (sample.atMs >= steadyStartMs) samples.push(sample);
    });
    log(`×${factor}: ${clients} viewers, ramp ${rampSeconds.toFixed(0)}s + warm-up ${warmupSeconds}s`);
    await sleep((rampSeconds + warmupSeconds) * 1000);
    steadyStartMs = Date.now();
    const pids = swarm.viewerPids();
    const schedBefore = schedTotals(pids);
    const pressureBefore = cpuPressureMicros();
    const cpuBefore = readHostCpu();
    const nodeBefore = process.cpuUsage();
    const wallBefore = performance.now();
    await sleep(steadySeconds * 1000);
    const wallSeconds = (performance.now() - wallBefore) / 1000;
    const schedAfter = schedTotals(pids);
    const pressureAfter = cpuPressureMicros();
    const cpuAfter = readHostCpu();
    let run = 0;
    let wait = 0;
    for (const [pid, end] of schedAfter) {
      const start = schedBefore.get(pid);
      if (!start) continue;
      run += end.run - start.run;
      wait += end.wait - start.wait;
    }
    const speeds = samples.map((sample) => sample.speed);
    const waitShareOfWall = schedAfter.size > 0 ? wait / wallSeconds / schedAfter.size : 0;
    const waitShareOfRunnable = run + wait > 0 ? wait / (run + wait) : 0;
    const meanSpeed = speeds.length > 0 ? speeds.reduce((a, b) => a + b, 0) / speeds.length : null;
    const stalledWindows = samples.filter((sample) => sample.stalled).length;
    return {
      factor,
      clients,
      viewersMeasured: schedAfter.size,
      waitShareOfWall,
      waitShareOfRunnable,
      cpuPressureSome:
        pressureBefore !== undefined && pressureAfter !== undefined
          ? (pressureAfter - pressureBefore) / 1e6 / wallSeconds
          : null,
      hostCpuBusy: cpuUtilizationBetween(cpuBefore, cpuAfter) ?? 0,
      playbackMeanSpeed: meanSpeed,
      playbackMinSpeed: speeds.length > 0 ? Math.min(...speeds) : null,
      stalledWindows,
      segmentTtfbP95Seconds: swarm.snapshot().segmentTtfbSeconds.p95,
      usedCores: (run + nodeSecondsSince(nodeBefore)) / wallSeconds,
      predictedCores: predictedViewerCores(costs, clients, swarm),
      saturated:
        waitShareOfWall > BUSY_VIEWER_WAIT_SHARE ||
        (meanSpeed !== null && meanSpeed < 0.98) ||
        stalledWindows > 0,
    };
  } finally {
    await swarm.stop();
    await origin.stop();
  }
}

const pct = (value: number | null) => (value === null ? 'n/a' : `${(value * 100).toFixed(1)} %`);

log(`calibrating: ${originKind} origin, profile ${profile}, ${availableParallelism()} core(s) available`);
const outcome = await calibrate({
  stream: { kind: 'profile', originKind, profile },
  logLevel: 'trace',
  fresh: values.fresh,
  log,
});
const estimate = outcome.estimate.viewers;
const calibrationWarning = outcome.entry.conditions ? conditionsWarning(outcome.entry.conditions) : undefined;
log(
  `estimate: ~${estimate} viewers (${outcome.fromCache ? 'cached' : 'measured'} ${outcome.entry.calibratedAt})`,
);
const runs: RunResult[] = [];
for (const factor of (values.factors as string).split(',').map(Number)) {
  runs.push(await runAt(factor, Math.max(1, Math.round(estimate * factor)), outcome.entry.costs));
  log(`×${factor}: ${runs.at(-1)?.saturated ? 'SATURATED' : 'not saturated'}`);
}

const lines = [
  `Machine: ${cpus()[0]?.model ?? 'unknown'}, ${availableParallelism()} core(s) available, load ${loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}; ` +
    `${originKind} origin, profile ${profile}, log level trace; estimate ~${estimate} viewers (limited by ${outcome.estimate.limitedBy}).`,
  `Calibration ${outcome.entry.calibratedAt}${outcome.entry.conditions ? `: host CPU ${pct(outcome.entry.conditions.hostCpuBusy)} busy, viewers waited ${pct(outcome.entry.conditions.viewerCpuWaitShare)}` : ''}` +
    `${calibrationWarning ? ` — WARNING: ${calibrationWarning}` : ''}.`,
  '',
  "| run | viewers | viewers' CPU wait, of wall time (of runnable time) | CPU pressure (some) | host CPU busy | playback speed mean / min | stalled windows | segment TTFB p95 | cores used / predicted (viewers + Node) | verdict |",
  '|---|---|---|---|---|---|---|---|---|---|',
  ...runs.map(
    (r) =>
      `| ×${r.factor} | ${r.clients} | ${pct(r.waitShareOfWall)} (${pct(r.waitShareOfRunnable)}) | ${pct(r.cpuPressureSome)} | ${pct(r.hostCpuBusy)} | ` +
      `${r.playbackMeanSpeed?.toFixed(3) ?? 'n/a'} / ${r.playbackMinSpeed?.toFixed(3) ?? 'n/a'} | ${r.stalledWindows} | ` +
      `${(r.segmentTtfbP95Seconds * 1000).toFixed(0)} ms | ${r.usedCores.toFixed(2)} / ${r.predictedCores.toFixed(2)} | ${r.saturated ? 'saturated' : 'not saturated'} |`,
  ),
];
process.stdout.write(`${lines.join('\n')}\n`);
mkdirSync(dirname(values.out as string), { recursive: true });
writeFileSync(values.out as string, `${JSON.stringify({ calibration: outcome, runs }, null, 2)}\n`);
