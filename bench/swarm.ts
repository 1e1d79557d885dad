// The swarm engine's benchmark (NOT a test): real nginx + live generator on loopback, real ffmpeg
// viewers. Prints one markdown table (pasted into BENCHMARKS.md) and writes the raw numbers as JSON.
//
//   node --import tsx bench/swarm.ts [--help] [--clients 300] [--seconds 60] [--scale 1000] [--scale-seconds 60]
//        [--parts overhead,accuracy,scale,ramp] [--profile default] [--timed-viewers 50]
//        [--relay] [--layouts group,session] [--log-level trace] [--out reports/bench-swarm.json]
//
// 1. overhead: N viewers under hls-swarm and N bare ffmpeg (same flags, shell loop) side by
//    side, at the same time against the same origin; CPU = utime+stime from /proc over the same
//    steady window (Node + its viewers vs sh + its ffmpegs); Node RSS sampled every second (peak).
// 2. accuracy: the swarm's segment/manifest counts and bytes vs nginx's JSON access log, for
//    requests that started inside the steady window (nginx start = msec - request_time).
// 3. scale: S viewers; playback speed windows (>= 10 s) after ramp + warmup: mean and minimum.
// 4. ramp: achieved start rate (first to last spawn) at 10, 50 and 100 viewers/s.
// The pieces live in bench/swarm/: options, /proc readings, the swarm phase and the bare fleets,
// one file per check (accuracy, overhead, scale, ramp), and the output.

import { originSchema } from '../src/config/index.js';
import { type RunningOrigin, startOrigin } from '../src/origin/index.js';
import { runBench } from './cli.js';
import { accuracy, accuracyRows } from './swarm/accuracy.js';
import { type BareFleet, startBareFleet } from './swarm/bare-fleet.js';
import { type BenchOptions, parseBenchOptions } from './swarm/options.js';
import { type BenchResults, type Row, writeOutput } from './swarm/output.js';
import { overheadCheck } from './swarm/overhead.js';
import { log, machine } from './swarm/proc.js';
import { rampCheck } from './swarm/ramp.js';
import { scaleCheck } from './swarm/scale.js';
import { playbackStats, type SwarmPhase, swarmPhase } from './swarm/swarm-phase.js';

/** Overhead and accuracy share one swarm phase; two bare fleets (both layouts) run beside it, all at once. */
async function overheadAndAccuracy(
  origin: RunningOrigin,
  options: BenchOptions,
  results: BenchResults,
  rows: Row[],
): Promise<void> {
  const { clients, parts } = options;
  const bareFleets: BareFleet[] = parts.has('overhead')
    ? await Promise.all(
        options.layouts.map((layout, index) =>
          startBareFleet(origin, options, clients, clients * (index + 1), layout),
        ),
      )
    : [];
  // Start-up is the scarce resource here (ffmpeg starts at ~6-18/s on this VM, all starts
  // competing): the fleets start first, so the swarm's start gate does not race 600 other starts.
  for (const fleet of bareFleets) {
    const running = await fleet.allRunning(300_000);
    log(`bare fleet: ${running} of ${clients} ffmpegs running`);
  }
  let swarm: SwarmPhase;
  try {
    swarm = await swarmPhase(origin, options, {
      count: clients,
      seconds: options.windowSeconds,
      keepRequests: parts.has('accuracy'),
      windowHooks: {
        start: () => {
          for (const fleet of bareFleets) fleet.startWindow();
        },
        end: () => {
          for (const fleet of bareFleets) fleet.endWindow();
        },
      },
    });
  } finally {
    results.bareFleets = await Promise.all(bareFleets.map((fleet) => fleet.stop()));
  }
  results.swarmPhase = { ...swarm, requests: swarm.requests.length, playback: playbackStats(swarm) };
  log(`swarm phase: ${JSON.stringify(results.swarmPhase)}`);
  if (parts.has('accuracy') && origin.accessLog) {
    const acc = accuracy(swarm, origin.accessLog, options);
    results.accuracy = acc;
    log(`accuracy: ${JSON.stringify(acc)}`);
    rows.push(...accuracyRows(acc, options));
  }
  if (parts.has('overhead')) {
    log(`bare fleets: ${JSON.stringify(results.bareFleets)}`);
    const checked = overheadCheck(swarm, results.bareFleets, options);
    results.overhead = checked.overhead;
    rows.push(...checked.rows);
  }
}

async function main(): Promise<void> {
  const options = parseBenchOptions();
  if (!options) return;
  const results: BenchResults = { startedAt: new Date().toISOString(), machineBefore: machine() };
  log(`machine: ${JSON.stringify(results.machineBefore)}`);
  const origin = await startOrigin(
    originSchema.parse({ kind: 'nginx', port: 0, profile: options.profile, exporters: false }),
  );
  log(`origin: ${origin.streamUrl} (profile ${options.profile}), access log ${origin.accessLog}`);
  const rows: Row[] = [];
  try {
    if (options.parts.has('overhead') || options.parts.has('accuracy'))
      await overheadAndAccuracy(origin, options, results, rows);
    if (options.parts.has('scale')) {
      const { scale, row } = await scaleCheck(origin, options);
      results.scale = scale;
      rows.push(row);
    }
    if (options.parts.has('ramp')) {
      const { ffmpegStartupPerSecond, ramps, rows: rampRows } = await rampCheck(origin, options);
      results.ffmpegStartupPerSecond = ffmpegStartupPerSecond;
      results.ramp = ramps;
      rows.push(...rampRows);
    }
  } finally {
    await origin.stop();
  }
  results.machineAfter = machine();
  results.endedAt = new Date().toISOString();
  writeOutput(options, results, rows);
}

runBench(main);
