// The swarm engine's benchmark (NOT a test): real nginx + live generator on loopback, real ffmpeg
// viewers. Prints one markdown table (pasted into BENCHMARKS.md) and writes the raw numbers as JSON.
//
//   node --import tsx bench/swarm.ts [--clients 300] [--seconds 60] [--scale 1000] [--scale-seconds 60]
//        [--parts overhead,accuracy,scale,ramp] [--profile default] [--timed-viewers 50]
//        [--log-level trace] [--out reports/bench-swarm.json]
//
// 1. overhead: N viewers under hls-swarm and N bare ffmpeg (same flags, shell loop) side by
//    side, at the same time against the same origin; CPU = utime+stime from /proc over the same
//    steady window (Node + its viewers vs sh + its ffmpegs); Node RSS sampled every second (peak).
// 2. accuracy: the swarm's segment/manifest counts and bytes vs nginx's JSON access log, for
//    requests that started inside the steady window (nginx start = msec - request_time).
// 3. scale: S viewers; playback speed windows (>= 10 s) after ramp + warmup: mean and minimum.
// 4. ramp: achieved start rate (first to last spawn) at 10, 50 and 100 viewers/s.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { originSchema, type SwarmSpec, swarmSchema } from '../src/config/index.js';
import { parseAccessLog } from '../src/metrics/index.js';
import { type RunningOrigin, startOrigin } from '../src/origin/index.js';
import {
  buildClientCommand,
  detectFfmpeg,
  isTimedViewer,
  type PlaybackSample,
  type RequestRecord,
  shellQuote,
  startSwarm,
} from '../src/swarm/index.js';
import { ownProcessGroup, releaseProcessGroup, spawnOwned } from '../src/system/index.js';
import { TOOL_VERSION } from '../src/version.js';

const CLOCK_TICKS_PER_SECOND = 100;
/** Below this much available memory a swarm phase stops itself (about 100 viewers' worth). */
const MIN_AVAILABLE_MIB = 1536;

function memAvailableMiB(): number {
  const match = /MemAvailable:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'));
  return Math.round(Number(match?.[1] ?? 0) / 1024);
}
// Live viewers start three segments back and catch up faster than real time: the first window
// after the ramp is not steady playback. 20 s covers the catch-up of a 2 s-segment stream.
const WARMUP_MS = 20_000;

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '300' },
    seconds: { type: 'string', default: '60' },
    scale: { type: 'string', default: '1000' },
    'scale-seconds': { type: 'string', default: '60' },
    'ramp-rate': { type: 'string', default: '50' },
    'scale-ramp-rate': { type: 'string', default: '25' },
    'log-level': { type: 'string', default: 'trace' },
    'timed-viewers': { type: 'string', default: '50' },
    parts: { type: 'string', default: 'overhead,accuracy,scale,ramp' },
    profile: { type: 'string', default: 'default' },
    out: { type: 'string', default: 'reports/bench-swarm.json' },
  },
});
const clients = Number(values.clients);
const windowSeconds = Number(values.seconds);
const scaleClients = Number(values.scale);
const scaleSeconds = Number(values['scale-seconds']);
const rampRate = Number(values['ramp-rate']);
const scaleRampRate = Number(values['scale-ramp-rate']);
const logLevel = values['log-level'] as SwarmSpec['logLevel'];
const timedViewers = values['timed-viewers'] === 'all' ? 'all' : Number(values['timed-viewers']);
const parts = new Set((values.parts as string).split(','));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** PIDs of processes in process group `pgid` named `comm` (or any name). */
function groupMembers(pgid: number, comm?: string): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,comm='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, group, name]) => Number(group) === pgid && (!comm || name === comm))
    .map(([pid]) => Number(pid));
}

/** Sum of CPU seconds over PIDs; those that vanished count what they had at the first reading. */
function cpuSnapshot(pids: Iterable<number>): Map<number, number> {
  const snapshot = new Map<number, number>();
  for (const pid of pids) {
    const seconds = cpuSecondsOf(pid);
    if (seconds !== undefined) snapshot.set(pid, seconds);
  }
  return snapshot;
}

function cpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, end] of after) total += end - (before.get(pid) ?? 0);
  return total;
}

function nodeCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

function machine() {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    freeMemoryGiB: Number((freemem() / 2 ** 30).toFixed(1)),
    loadavg: loadavg().map((value) => Number(value.toFixed(2))),
    kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(),
    node: process.version,
  };
}

/** CPU of one viewer in % of a core, e.g. '0.105 %' ('-' for none). */
function perViewer(cpuSeconds: number, viewers: number, windowSeconds: number): string {
  return viewers > 0 ? `${((cpuSeconds / viewers / windowSeconds) * 100).toFixed(3)} %` : '-';
}

function pctDiff(measured: number, reference: number): number {
  return reference === 0 ? (measured === 0 ? 0 : 100) : ((measured - reference) / reference) * 100;
}

function specFor(count: number, durationSeconds: number, rate = rampRate): SwarmSpec {
  return swarmSchema.parse({
    clients: count,
    rampRate: rate,
    duration: `${durationSeconds}s`,
    metricsPort: 0,
    logLevel,
    timedViewers,
  });
}

interface SwarmPhase {
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
  /** Compact per-request facts for the accuracy check (only when `keepRequests`). */
  requests: { kind: RequestRecord['kind']; startMs: number; bytes: number; timed: boolean }[];
  playback: PlaybackSample[];
  restarts: number;
  droppedLines: number;
  rampSeconds: number;
}

/** Runs a swarm of `count` viewers: ramp, warmup, then a steady window of `seconds` measured. */
async function swarmPhase(
  origin: RunningOrigin,
  count: number,
  seconds: number,
  rate = rampRate,
  keepRequests = false,
  windowHooks?: { start(): void; end(): void },
): Promise<SwarmPhase> {
  const rampSeconds = count / rate;
  // Long enough for a slow ramp; the phase stops the swarm itself once its window is measured.
  const spec = specFor(count, Math.ceil(rampSeconds * 4 + WARMUP_MS / 1000 + seconds + 60), rate);
  const swarm = await startSwarm({ url: origin.streamUrl, spec, log });
  const pids = new Set<number>();
  const requests: SwarmPhase['requests'] = [];
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

/**
 * The same viewers without hls-swarm, run side by side with the swarm: a shell loop starting
 * ffmpeg with the same arguments (client ids from `firstId`, so nginx's log tells the fleets
 * apart), its output going nowhere. `startWindow`/`endWindow` read its CPU over exactly the
 * swarm's steady window.
 *
 * Layout matters on this kernel (sched_autogroup_enabled=1: CFS shares CPU between sessions):
 * 'group' is a plain loop, every ffmpeg in the shell's one session; 'session' starts each with
 * `setsid`, in its own session as hls-swarm does (each viewer is its own process group there).
 */
async function startBareFleet(
  origin: RunningOrigin,
  count: number,
  firstId: number,
  layout: 'group' | 'session',
) {
  const capabilities = await detectFfmpeg();
  const spec = specFor(firstId + count, 60);
  const pidFile = `/tmp/hls-swarm-bench-bare-${process.pid}-${layout}.pids`;
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
    lines.push(`sleep ${(1 / rampRate).toFixed(3)}`);
  }
  lines.push('wait');
  const script = `/tmp/hls-swarm-bench-bare-${process.pid}-${layout}.sh`;
  writeFileSync(script, `${lines.join('\n')}\n`);
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
  let before = new Map<number, number>();
  let result = { layout, clients: count, running: 0, cpuSeconds: 0, windowSeconds: 0 };
  let windowStartMs = 0;
  return {
    startWindow() {
      before = cpuSnapshot(members());
      windowStartMs = Date.now();
    },
    endWindow() {
      const after = cpuSnapshot(members());
      result = {
        layout,
        clients: count,
        running: layout === 'group' ? groupMembers(shell.pid, 'ffmpeg').length : after.size,
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

type Tally = { manifest: { count: number; bytes: number }; segment: { count: number; bytes: number } };

/**
 * The swarm's counts and bytes against nginx's access log, for the swarm's own viewers (user
 * agent client-<id>, id < clients): over the whole run, and over the steady window by request
 * start. Untimed viewers stamp a request when their log is polled (up to 1 s late), which moves
 * a few requests across the window's edges; the whole run has no edges but the stop, where the
 * few requests in flight are cut (nginx logs them, the swarm does not count them).
 */
function accuracy(phase: SwarmPhase, accessLogPath: string) {
  const empty = (): Tally => ({ manifest: { count: 0, bytes: 0 }, segment: { count: 0, bytes: 0 } });
  const inWindow = (startMs: number) => startMs >= phase.windowStartMs && startMs < phase.windowEndMs;
  const scopes = {
    wholeRun: { swarm: empty(), nginx: empty() },
    wholeRunTimedViewers: { swarm: empty(), nginx: empty() },
    steadyWindow: { swarm: empty(), nginx: empty() },
    steadyWindowTimedViewers: { swarm: empty(), nginx: empty() },
  };
  const add = (tally: Tally, kind: string, bytes: number) => {
    if (kind !== 'manifest' && kind !== 'segment') return;
    tally[kind].count++;
    tally[kind].bytes += bytes;
  };
  for (const record of phase.requests) {
    add(scopes.wholeRun.swarm, record.kind, record.bytes);
    if (record.timed) add(scopes.wholeRunTimedViewers.swarm, record.kind, record.bytes);
    if (!inWindow(record.startMs)) continue;
    add(scopes.steadyWindow.swarm, record.kind, record.bytes);
    if (record.timed) add(scopes.steadyWindowTimedViewers.swarm, record.kind, record.bytes);
  }
  // The product's own access-log parser and URL classifier: both sides count by the same rule.
  for (const entry of parseAccessLog(readFileSync(accessLogPath, 'utf8'), Date.now())) {
    const client = /\/client-(\d+)$/.exec(entry.userAgent ?? '');
    if (!client || Number(client[1]) >= phase.clients) continue;
    const bytes = entry.bodyBytesSent ?? 0;
    add(scopes.wholeRun.nginx, entry.kind, bytes);
    const timed = isTimedViewer(Number(client[1]), timedViewers, phase.clients);
    if (timed) add(scopes.wholeRunTimedViewers.nginx, entry.kind, bytes);
    if (!inWindow(entry.atMs - entry.requestTimeSeconds * 1000)) continue;
    add(scopes.steadyWindow.nginx, entry.kind, bytes);
    if (timed) add(scopes.steadyWindowTimedViewers.nginx, entry.kind, bytes);
  }
  const diff = ({ swarm, nginx }: { swarm: Tally; nginx: Tally }) => ({
    segmentCount: pctDiff(swarm.segment.count, nginx.segment.count),
    segmentBytes: pctDiff(swarm.segment.bytes, nginx.segment.bytes),
    manifestCount: pctDiff(swarm.manifest.count, nginx.manifest.count),
    manifestBytes: pctDiff(swarm.manifest.bytes, nginx.manifest.bytes),
  });
  return Object.fromEntries(
    Object.entries(scopes).map(([name, scope]) => [name, { ...scope, diffPercent: diff(scope) }]),
  ) as Record<keyof typeof scopes, { swarm: Tally; nginx: Tally; diffPercent: ReturnType<typeof diff> }>;
}

function playbackStats(phase: SwarmPhase) {
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

async function rampPhase(origin: RunningOrigin, rate: number, count: number, ffmpegPath?: string) {
  const plannedSeconds = count / rate;
  // Room for a ramp four times slower than planned; stopped as soon as every viewer started.
  const spec = specFor(count, Math.ceil(plannedSeconds * 4 + 5), rate);
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

async function main() {
  const results: Record<string, unknown> = { startedAt: new Date().toISOString(), machineBefore: machine() };
  log(`machine: ${JSON.stringify(results.machineBefore)}`);
  const origin = await startOrigin(
    originSchema.parse({ kind: 'nginx', port: 0, profile: values.profile, exporters: false }),
  );
  log(`origin: ${origin.streamUrl} (profile ${values.profile}), access log ${origin.accessLog}`);
  const rows: string[][] = [];
  try {
    if (parts.has('overhead') || parts.has('accuracy')) {
      // Two bare fleets (both layouts, see startBareFleet) run beside the swarm, all at once.
      const bareFleets = parts.has('overhead')
        ? [
            await startBareFleet(origin, clients, clients, 'group'),
            await startBareFleet(origin, clients, clients * 2, 'session'),
          ]
        : [];
      let swarm: SwarmPhase;
      try {
        swarm = await swarmPhase(origin, clients, windowSeconds, rampRate, parts.has('accuracy'), {
          start: () => {
            for (const fleet of bareFleets) fleet.startWindow();
          },
          end: () => {
            for (const fleet of bareFleets) fleet.endWindow();
          },
        });
      } finally {
        results.bareFleets = await Promise.all(bareFleets.map((fleet) => fleet.stop()));
      }
      results.swarmPhase = { ...swarm, requests: swarm.requests.length, playback: playbackStats(swarm) };
      log(`swarm phase: ${JSON.stringify(results.swarmPhase)}`);
      if (parts.has('accuracy') && origin.accessLog) {
        const acc = accuracy(swarm, origin.accessLog);
        results.accuracy = acc;
        log(`accuracy: ${JSON.stringify(acc)}`);
        const ok = (diff: number) => (Math.abs(diff) <= 1 ? 'yes' : 'NO');
        const scopeNames = {
          wholeRun: 'whole run',
          wholeRunTimedViewers: 'whole run, timed viewers only',
          steadyWindow: `${windowSeconds}s steady window`,
          steadyWindowTimedViewers: `${windowSeconds}s steady window, timed viewers only`,
        } as const;
        for (const [scope, label] of Object.entries(scopeNames) as [keyof typeof scopeNames, string][]) {
          const { swarm: ours, nginx, diffPercent: d } = acc[scope];
          rows.push([
            `accuracy: ${clients} viewers, ${label}`,
            `segments swarm ${ours.segment.count} / nginx ${nginx.segment.count} (${d.segmentCount.toFixed(2)} %), bytes ${d.segmentBytes.toFixed(2)} %; manifests ${ours.manifest.count} / ${nginx.manifest.count} (${d.manifestCount.toFixed(2)} %), bytes ${d.manifestBytes.toFixed(2)} %`,
            'within 1 %',
            ok(Math.max(...Object.values(d).map(Math.abs))),
          ]);
        }
      }
      if (parts.has('overhead')) {
        const bares = results.bareFleets as {
          layout: string;
          cpuSeconds: number;
          windowSeconds: number;
          running: number;
        }[];
        log(`bare fleets: ${JSON.stringify(bares)}`);
        const swarmRate = swarm.cpuSeconds / swarm.windowSeconds;
        const overhead: Record<string, unknown> = { swarmCpuPerSecond: swarmRate };
        for (const bare of bares) {
          const bareRate = bare.cpuSeconds / bare.windowSeconds;
          const ratio = swarmRate / bareRate;
          overhead[bare.layout] = { bareCpuPerSecond: bareRate, ratio };
          rows.push([
            `overhead: CPU, ${clients} viewers vs a bare fleet, ${bare.layout === 'group' ? 'plain shell loop (one session)' : 'setsid per ffmpeg (as hls-swarm)'}`,
            `hls-swarm ${(swarmRate * 100).toFixed(1)} % of a core (Node ${((swarm.nodeCpuSeconds / swarm.windowSeconds) * 100).toFixed(1)} %, ffmpeg ${((swarm.viewersCpuSeconds / swarm.windowSeconds) * 100).toFixed(1)} %; per viewer: timed ${perViewer(swarm.timedViewersCpuSeconds, swarm.timedViewers, swarm.windowSeconds)}, untimed ${perViewer(swarm.viewersCpuSeconds - swarm.timedViewersCpuSeconds, swarm.clients - swarm.timedViewers, swarm.windowSeconds)}, bare ${perViewer(bare.cpuSeconds, bare.running, bare.windowSeconds)}) vs bare ${(bareRate * 100).toFixed(1)} %: ratio ${ratio.toFixed(3)}`,
            '<= 1.10',
            ratio <= 1.1 ? 'yes' : 'NO',
          ]);
        }
        results.overhead = overhead;
        rows.push([
          'overhead: Node RSS (peak)',
          `${swarm.nodeRssPeakMiB.toFixed(0)} MiB`,
          '<= 200 MB',
          swarm.nodeRssPeakMiB * 1.048576 <= 200 ? 'yes' : 'NO',
        ]);
      }
    }
    if (parts.has('scale')) {
      let scale: SwarmPhase | undefined;
      try {
        scale = await swarmPhase(origin, scaleClients, scaleSeconds, scaleRampRate);
      } catch (error) {
        rows.push([
          `scale: ${scaleClients} viewers`,
          `not measured: ${(error as Error).message}`,
          'mean >= 0.99, no viewer < 0.9',
          'NO',
        ]);
        results.scale = { error: (error as Error).message };
      }
      if (scale) {
        const playback = playbackStats(scale);
        results.scale = {
          clients: scaleClients,
          rampSeconds: scale.rampSeconds,
          restarts: scale.restarts,
          droppedLines: scale.droppedLines,
          nodeRssPeakMiB: scale.nodeRssPeakMiB,
          nodeCpuPerSecond: scale.nodeCpuSeconds / scale.windowSeconds,
          viewersCpuPerSecond: scale.viewersCpuSeconds / scale.windowSeconds,
          playback,
        };
        log(`scale: ${JSON.stringify(results.scale)}`);
        rows.push([
          `scale: ${scaleClients} viewers, ${scaleSeconds}s after ramp+${WARMUP_MS / 1000}s`,
          `restarts ${scale.restarts}, dropped lines ${scale.droppedLines}; mean speed ${playback.meanSpeed.toFixed(4)} over ${playback.windows} windows of ${playback.clientsSampled} viewers; min window ${playback.minWindowSpeed.toFixed(3)}, min viewer mean ${playback.minClientMeanSpeed.toFixed(3)}; ${playback.windowsBelow0_9} windows / ${playback.clientsBelow0_9} viewers < 0.9; Node ${((scale.nodeCpuSeconds / scale.windowSeconds) * 100) | 0} % CPU, RSS ${scale.nodeRssPeakMiB.toFixed(0)} MiB`,
          'mean >= 0.99, no viewer < 0.9',
          playback.meanSpeed >= 0.99 && playback.clientsBelow0_9 === 0 ? 'yes' : 'NO',
        ]);
      }
    }
    if (parts.has('ramp')) {
      // The ceiling ffmpeg itself sets: how many can start per second on this machine at all.
      const startupCount = 50;
      const startupBegan = Date.now();
      const loop = spawnOwned(
        'sh',
        ['-c', `for i in $(seq ${startupCount}); do ffmpeg -hide_banner -version >/dev/null & done; wait`],
        { stdio: 'ignore', buffer: false },
      );
      await loop.exited;
      const startupPerSecond = startupCount / ((Date.now() - startupBegan) / 1000);
      results.ffmpegStartupPerSecond = startupPerSecond;
      rows.push([
        'ramp ceiling: ffmpeg start-up',
        `${startupCount} × 'ffmpeg -version' started at once finish at ${startupPerSecond.toFixed(1)}/s (~0.1 CPU-s each: 215 shared libraries)`,
        '(context)',
        '-',
      ]);
      const ramps = [];
      const standIn = standInFfmpeg();
      for (const [label, binary] of [
        ['ffmpeg', undefined],
        ['stand-in', standIn],
      ] as const) {
        for (const rate of [10, 50, 100]) {
          const result = { binary: label, ...(await rampPhase(origin, rate, rate * 4, binary)) };
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
      results.ramp = ramps;
      rmSync(dirname(standIn), { recursive: true, force: true });
    }
  } finally {
    await origin.stop();
  }
  results.machineAfter = machine();
  results.endedAt = new Date().toISOString();
  mkdirSync(dirname(values.out as string), { recursive: true });
  writeFileSync(values.out as string, `${JSON.stringify(results, null, 2)}\n`);
  const before = results.machineBefore as ReturnType<typeof machine>;
  const after = results.machineAfter as ReturnType<typeof machine>;
  process.stdout.write(
    `\n${before.cores} × ${before.cpuModel}, ${before.memoryGiB} GiB, Linux ${before.kernel}, Node ${before.node}; ` +
      `profile ${values.profile}, log level ${logLevel}; load average before ${before.loadavg.join(' ')}, after ${after.loadavg.join(' ')}\n\n`,
  );
  process.stdout.write('| measure | result | target | met |\n|---|---|---|---|\n');
  for (const row of rows) process.stdout.write(`| ${row.join(' | ')} |\n`);
  process.stdout.write(`\nraw numbers: ${values.out}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
