import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AccuracyResult } from './accuracy.js';
import type { BareFleetResult } from './bare-fleet.js';
import type { BenchOptions } from './options.js';
import type { OverheadResult } from './overhead.js';
import type { Machine } from './proc.js';
import type { RampResult } from './ramp.js';
import type { ScaleResult } from './scale.js';
import type { PlaybackStats, SwarmPhase } from './swarm-phase.js';

/** One row of the markdown table: what was measured, the result, the target, whether it was met. */
export type Row = [measure: string, result: string, target: string, met: string];

/** The overhead/accuracy phase as written to the JSON: requests counted, playback summarised. */
export type SwarmPhaseSummary = Omit<SwarmPhase, 'requests' | 'playback'> & {
  requests: number;
  playback: PlaybackStats;
};

/** The raw numbers written to --out (keys in the order they are measured). */
export interface BenchResults {
  startedAt: string;
  machineBefore: Machine;
  bareFleets?: BareFleetResult[];
  swarmPhase?: SwarmPhaseSummary;
  accuracy?: AccuracyResult;
  overhead?: OverheadResult;
  scale?: ScaleResult | { error: string };
  ffmpegStartupPerSecond?: number;
  ramp?: RampResult[];
  machineAfter?: Machine;
  endedAt?: string;
}

/** Writes the JSON, then prints the machine line and the table on stdout. */
export function writeOutput(options: BenchOptions, results: BenchResults, rows: Row[]): void {
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`);
  const before = results.machineBefore;
  const after = results.machineAfter ?? before;
  process.stdout.write(
    `\n${before.cores} × ${before.cpuModel}, ${before.memoryGiB} GiB, Linux ${before.kernel}, Node ${before.node}; ` +
      `profile ${options.profile}, log level ${options.logLevel}; load average before ${before.loadavg.join(' ')}, after ${after.loadavg.join(' ')}\n\n`,
  );
  process.stdout.write('| measure | result | target | met |\n|---|---|---|---|\n');
  for (const row of rows) process.stdout.write(`| ${row.join(' | ')} |\n`);
  process.stdout.write(`\nraw numbers: ${options.out}\n`);
}
