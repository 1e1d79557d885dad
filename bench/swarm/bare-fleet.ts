import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { RunningOrigin } from '../../src/origin/index.js';
import { buildClientCommand, detectFfmpeg, shellQuote } from '../../src/swarm/index.js';
import { ownProcessGroup, releaseProcessGroup, spawnOwned } from '../../src/system/index.js';
import { TOOL_VERSION } from '../../src/version.js';
import { type BenchOptions, type FleetLayout, specFor } from './options.js';
import { type CpuSnapshot, cpuDelta, cpuSnapshot, groupMembers, sleep } from './proc.js';

export interface BareFleetResult {
  layout: FleetLayout;
  clients: number;
  /** ffmpegs still running at the window's end. */
  running: number;
  cpuSeconds: number;
  windowSeconds: number;
}

export interface BareFleet {
  /** Resolves once every ffmpeg of the fleet runs (or after `timeoutMs`), with how many do. */
  allRunning(timeoutMs: number): Promise<number>;
  startWindow(): void;
  endWindow(): void;
  stop(): Promise<BareFleetResult>;
}

/**
 * The same viewers without hls-swarm, run side by side with the swarm: a shell loop starting
 * ffmpeg with the same arguments (client ids from `firstId`, so nginx's log tells the fleets
 * apart), its output going nowhere. `startWindow`/`endWindow` read its CPU over exactly the
 * swarm's steady window.
 *
 * Layout matters on this kernel (sched_autogroup_enabled=1: CFS shares CPU between sessions).
 */
export async function startBareFleet(
  origin: RunningOrigin,
  options: BenchOptions,
  count: number,
  firstId: number,
  layout: FleetLayout,
): Promise<BareFleet> {
  const pidFile = `/tmp/hls-swarm-bench-bare-${process.pid}-${layout}.pids`;
  const script = `/tmp/hls-swarm-bench-bare-${process.pid}-${layout}.sh`;
  writeFileSync(script, await fleetScript(origin, options, count, firstId, layout, pidFile));
  rmSync(pidFile, { force: true });
  const shell = spawnOwned('sh', [script], { stdio: 'ignore', buffer: false });
  // setsid viewers leave the shell's group: each is registered with the watchdog as it appears.
  const sessionPids = new Set<number>();
  const adopt = () => {
    let text = '';
    try {
      text = readFileSync(pidFile, 'utf8');
    } catch {}
    for (const pid of text.split('\n').filter(Boolean).map(Number)) {
      if (sessionPids.has(pid)) continue;
      sessionPids.add(pid);
      ownProcessGroup(pid);
    }
  };
  const adoption = layout === 'session' ? setInterval(adopt, 200) : undefined;
  const members = () => {
    if (layout === 'group') return groupMembers(shell.pid);
    adopt();
    return [...sessionPids];
  };
  let before: CpuSnapshot = new Map();
  let result: BareFleetResult = { layout, clients: count, running: 0, cpuSeconds: 0, windowSeconds: 0 };
  let windowStartMs = 0;
  const runningCount = () =>
    layout === 'group' ? groupMembers(shell.pid, 'ffmpeg').length : cpuSnapshot(members()).size;
  return {
    async allRunning(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let running = runningCount();
      while (running < count && Date.now() < deadline) {
        await sleep(500);
        running = runningCount();
      }
      return running;
    },
    startWindow() {
      before = cpuSnapshot(members());
      windowStartMs = Date.now();
    },
    endWindow() {
      const after = cpuSnapshot(members());
      result = {
        layout,
        clients: count,
        running: runningCount(),
        cpuSeconds: cpuDelta(before, after),
        windowSeconds: (Date.now() - windowStartMs) / 1000,
      };
    },
    async stop() {
      if (adoption) clearInterval(adoption);
      await shell.stop(5000);
      if (layout === 'session') {
        adopt();
        const signalAll = (signal: NodeJS.Signals) => {
          for (const pid of sessionPids)
            try {
              process.kill(-pid, signal);
            } catch {}
        };
        signalAll('SIGTERM');
        await sleep(3000);
        signalAll('SIGKILL');
        for (const pid of sessionPids) releaseProcessGroup(pid);
      }
      rmSync(script, { force: true });
      rmSync(pidFile, { force: true });
      return result;
    },
  };
}

/** The shell script: one ffmpeg per viewer at the swarm's ramp rate, output to /dev/null. */
async function fleetScript(
  origin: RunningOrigin,
  options: BenchOptions,
  count: number,
  firstId: number,
  layout: FleetLayout,
  pidFile: string,
): Promise<string> {
  const capabilities = await detectFfmpeg();
  const spec = specFor(options, firstId + count, 60);
  const lines = ['#!/bin/sh'];
  for (let id = firstId; id < firstId + count; id++) {
    const { file, args } = buildClientCommand({
      url: origin.streamUrl,
      clientId: id,
      spec,
      capabilities,
      toolVersion: TOOL_VERSION,
    });
    // Same flags, same fds: the log and progress go nowhere instead of to a parser.
    const command = `${[file, ...args].map(shellQuote).join(' ')} 2>/dev/null 3>/dev/null`;
    lines.push(layout === 'group' ? `${command} &` : `setsid ${command} & echo $! >> ${pidFile}`);
    lines.push(`sleep ${(1 / options.rampRate).toFixed(3)}`);
  }
  lines.push('wait');
  return `${lines.join('\n')}\n`;
}
