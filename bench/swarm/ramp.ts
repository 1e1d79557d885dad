import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RunningOrigin } from '../../src/origin/index.js';
import { startSwarm } from '../../src/swarm/index.js';
import { spawnOwned } from '../../src/system/index.js';
import { type BenchOptions, specFor } from './options.js';
import type { Row } from './output.js';
import { log, sleep } from './proc.js';

export interface RampResult {
  binary: 'ffmpeg' | 'stand-in';
  targetPerSecond: number;
  clients: number;
  started: number;
  achievedPerSecond: number;
  /** Longest lag of a spawn behind its planned time. */
  maxLagMs: number;
  restarts: number;
}

/**
 * A stand-in for ffmpeg that answers the capability probe and then sleeps: it starts in ~2 ms of
 * CPU where Debian's ffmpeg (215 shared libraries) needs ~0.12 s, so it measures the ramp
 * machinery (scheduler + spawnOwned) apart from ffmpeg's own start-up cost.
 */
function standInFfmpeg(): string {
  const dir = `/tmp/hls-swarm-bench-stand-in-${process.pid}`;
  mkdirSync(dir, { recursive: true });
  const path = `${dir}/ffmpeg`;
  writeFileSync(
    path,
    [
      '#!/bin/sh',
      'for arg in "$@"; do case "$arg" in -version) echo "ffmpeg version 5.1.9 (bench stand-in)"; exit 0;; -h) exit 0;; esac; done',
      'exec sleep 3600',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  return path;
}

/** Achieved start rate (first to last spawn) of `count` viewers ramped at `rate`/s. */
async function rampPhase(
  origin: RunningOrigin,
  options: BenchOptions,
  rate: number,
  count: number,
  ffmpegPath?: string,
): Promise<Omit<RampResult, 'binary'>> {
  const plannedSeconds = count / rate;
  // Room for a ramp four times slower than planned; stopped as soon as every viewer started.
  const spec = specFor(options, count, Math.ceil(plannedSeconds * 4 + 5), rate);
  const swarm = await startSwarm({ url: origin.streamUrl, spec, ...(ffmpegPath ? { ffmpegPath } : {}) });
  const starts: number[] = [];
  swarm.on('clientStarted', (event) => {
    if (!event.restart) starts.push(event.atMs);
  });
  let ended = false;
  void swarm.done.then(() => {
    ended = true;
  });
  while (starts.length < count && !ended) await sleep(100);
  const final = await swarm.stop();
  const first = starts[0] ?? 0;
  const last = starts[starts.length - 1] ?? 0;
  // Lag of each spawn behind its planned time (client i is due at first + i/rate).
  const lags = starts.map((atMs, index) => atMs - (first + (index * 1000) / rate));
  return {
    targetPerSecond: rate,
    clients: count,
    started: starts.length,
    achievedPerSecond: starts.length > 1 ? (starts.length - 1) / ((last - first) / 1000) : 0,
    maxLagMs: Math.max(0, ...lags),
    restarts: final.restarts,
  };
}

/** The ceiling ffmpeg itself sets: how many can start per second on this machine at all. */
async function ffmpegStartupCheck(): Promise<{ perSecond: number; row: Row }> {
  const startupCount = 50;
  const startupBegan = Date.now();
  const loop = spawnOwned(
    'sh',
    ['-c', `for i in $(seq ${startupCount}); do ffmpeg -hide_banner -version >/dev/null & done; wait`],
    { stdio: 'ignore', buffer: false },
  );
  await loop.exited;
  const perSecond = startupCount / ((Date.now() - startupBegan) / 1000);
  return {
    perSecond,
    row: [
      'ramp ceiling: ffmpeg start-up',
      `${startupCount} × 'ffmpeg -version' started at once finish at ${perSecond.toFixed(1)}/s (~0.1 CPU-s each: 215 shared libraries)`,
      '(context)',
      '-',
    ],
  };
}

/** ffmpeg's start-up ceiling, then ramps at 10, 50 and 100/s with real ffmpeg and with the stand-in. */
export async function rampCheck(
  origin: RunningOrigin,
  options: BenchOptions,
): Promise<{ ffmpegStartupPerSecond: number; ramps: RampResult[]; rows: Row[] }> {
  const startup = await ffmpegStartupCheck();
  const rows: Row[] = [startup.row];
  const ramps: RampResult[] = [];
  const standIn = standInFfmpeg();
  for (const [label, binary] of [
    ['ffmpeg', undefined],
    ['stand-in', standIn],
  ] as const) {
    for (const rate of [10, 50, 100]) {
      const result: RampResult = {
        binary: label,
        ...(await rampPhase(origin, options, rate, rate * 4, binary)),
      };
      ramps.push(result);
      log(`ramp: ${JSON.stringify(result)}`);
      const error = Math.abs(result.achievedPerSecond - rate) / rate;
      rows.push([
        `ramp: ${rate}/s (${result.clients} viewers, ${label === 'ffmpeg' ? 'real ffmpeg' : 'stand-in process'})`,
        `achieved ${result.achievedPerSecond.toFixed(2)}/s (${(error * 100).toFixed(2)} % off), max spawn lag ${result.maxLagMs.toFixed(0)} ms`,
        'within 5 %',
        error <= 0.05 ? 'yes' : 'NO',
      ]);
    }
  }
  rmSync(dirname(standIn), { recursive: true, force: true });
  return { ffmpegStartupPerSecond: startup.perSecond, ramps, rows };
}
