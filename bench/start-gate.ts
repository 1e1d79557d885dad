// The start gate's benchmark (NOT a test): real nginx (tiny profile) + live generator on
// loopback, real ffmpeg viewers ramped at several rates through the start gate. Prints one
// markdown table (pasted into BENCHMARKS.md) and writes the raw numbers as JSON.
//
//   node --import tsx bench/start-gate.ts [--clients 600] [--rates 10,50,100,200] [--hold 10]
//        [--gate on|off] [--max-prepare 600s] [--max-starting N] [--viewer-nice N]
//        [--out reports/bench-start-gate.json]
//
// Per rate: the achieved start rate (releases, first to last, vs the target), the rate at which
// viewers' first segments completed, release lateness (planned start → released), the prepare
// phase (length, arrival rate at the gate, viewers waiting at t = 0), and Node's peak RSS.
// `--gate off` runs the same ramps with direct starts, for comparison.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { originSchema, swarmSchema } from '../src/config/index.js';
import { startOrigin } from '../src/origin/index.js';
import { startSwarm, summarize } from '../src/swarm/index.js';

interface RateResult {
  targetPerSecond: number;
  viewers: number;
  gate: boolean;
  /** (n − 1) / (last start − first start): releases with the gate, spawns without. */
  achievedStartsPerSecond: number;
  /** The same over first segments completed. */
  achievedFirstSegmentsPerSecond: number;
  startedViewers: number;
  latenessP50Ms: number;
  latenessP95Ms: number;
  latenessMaxMs: number;
  lateReleases: number;
  prepareSeconds: number;
  heldAtStart: number;
  arrivalRatePerSecond: number;
  prepareEnd: string;
  startupP95Seconds: number;
  nodeRssPeakMiB: number;
  /** Node's own CPU (user + system) over the swarm's run, as a share of one core. */
  nodeCpuShare: number;
  /** Node's event-loop delay over the run, p99 and max (ms). */
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  exits: Record<string, number>;
}

function ratePerSecond(times: number[]): number {
  if (times.length < 2) return 0;
  const sorted = [...times].sort((a, b) => a - b);
  const spanMs = (sorted.at(-1) as number) - (sorted[0] as number);
  return spanMs > 0 ? ((sorted.length - 1) * 1000) / spanMs : 0;
}

interface GateSettings {
  enabled: boolean;
  maxPrepare: string;
  maxStarting?: number;
  viewerNice?: number;
}

async function benchRate(
  url: string,
  rate: number,
  clients: number,
  holdSeconds: number,
  gateSettings: GateSettings,
) {
  const gate = gateSettings.enabled;
  const durationSeconds = Math.ceil(clients / rate) + holdSeconds;
  const spec = swarmSchema.parse({
    clients,
    rampRate: rate,
    duration: `${durationSeconds}s`,
    metricsPort: 0,
    startGate: {
      enabled: gateSettings.enabled,
      maxPrepare: gateSettings.maxPrepare,
      ...(gateSettings.maxStarting ? { maxStarting: gateSettings.maxStarting } : {}),
    },
    ...(gateSettings.viewerNice !== undefined ? { viewerNice: gateSettings.viewerNice } : {}),
  });
  let rssPeak = process.memoryUsage().rss;
  const rssTimer = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }, 1000);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const cpuBefore = process.cpuUsage();
  const wallBeforeMs = Date.now();
  const swarm = await startSwarm({ url, spec, log: (line) => console.error(`  ${line}`) });
  const starts: number[] = [];
  const firstSegments: number[] = [];
  swarm.on('clientStarted', (event) => {
    if (!event.restart) starts.push(event.atMs);
  });
  swarm.on('startup', (event) => firstSegments.push(event.atMs));
  const snapshot = await swarm.done;
  clearInterval(rssTimer);
  loopDelay.disable();
  const cpu = process.cpuUsage(cpuBefore);
  const lateness = snapshot.startGate?.releaseLatenessSeconds ?? summarize([]);
  const result: RateResult = {
    targetPerSecond: rate,
    viewers: clients,
    gate,
    achievedStartsPerSecond: ratePerSecond(starts),
    achievedFirstSegmentsPerSecond: ratePerSecond(firstSegments),
    startedViewers: starts.length,
    latenessP50Ms: lateness.p50 * 1000,
    latenessP95Ms: lateness.p95 * 1000,
    latenessMaxMs: lateness.max * 1000,
    lateReleases: snapshot.startGate?.lateReleases ?? 0,
    prepareSeconds: snapshot.startGate
      ? (snapshot.startGate.prepareEndedAtMs - snapshot.startGate.prepareStartedAtMs) / 1000
      : 0,
    heldAtStart: snapshot.startGate?.heldAtStart ?? 0,
    arrivalRatePerSecond: snapshot.startGate?.arrivalRatePerSecond ?? 0,
    prepareEnd: snapshot.startGate?.prepareEnd ?? '-',
    startupP95Seconds: snapshot.startupSeconds.p95,
    nodeRssPeakMiB: rssPeak / 1024 / 1024,
    nodeCpuShare: (cpu.user + cpu.system) / 1000 / Math.max(1, Date.now() - wallBeforeMs),
    eventLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    eventLoopDelayMaxMs: loopDelay.max / 1e6,
    exits: snapshot.exitCategories as Record<string, number>,
  };
  return result;
}

function table(results: RateResult[]): string {
  const rows = results.map((r) =>
    [
      `${r.targetPerSecond}/s`,
      r.gate ? 'on' : 'off',
      `${r.startedViewers}/${r.viewers}`,
      `${r.achievedStartsPerSecond.toFixed(1)}/s (${(r.achievedStartsPerSecond / r.targetPerSecond).toFixed(3)})`,
      `${r.achievedFirstSegmentsPerSecond.toFixed(1)}/s`,
      r.gate
        ? `${r.latenessP50Ms.toFixed(1)} / ${r.latenessP95Ms.toFixed(1)} / ${r.latenessMaxMs.toFixed(1)} ms`
        : '-',
      r.gate ? String(r.lateReleases) : '-',
      r.gate
        ? `${r.prepareSeconds.toFixed(1)} s, ${r.heldAtStart} waiting, ${r.arrivalRatePerSecond.toFixed(1)}/s, ${r.prepareEnd}`
        : '-',
      `${r.startupP95Seconds.toFixed(2)} s`,
      `${r.nodeRssPeakMiB.toFixed(0)} MiB`,
      `${(r.nodeCpuShare * 100).toFixed(1)} %`,
      `${r.eventLoopDelayP99Ms.toFixed(0)} / ${r.eventLoopDelayMaxMs.toFixed(0)} ms`,
    ].join(' | '),
  );
  return [
    '| target | gate | started | achieved start rate (ratio) | first segments | lateness p50 / p95 / max | late (>20 ms) | prepare | startup p95 | Node RSS peak | Node CPU | event-loop delay p99 / max |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '600' },
      rates: { type: 'string', default: '10,50,100,200' },
      hold: { type: 'string', default: '10' },
      gate: { type: 'string', default: 'on' },
      'max-prepare': { type: 'string', default: '600s' },
      'max-starting': { type: 'string' },
      'viewer-nice': { type: 'string' },
      out: { type: 'string', default: 'reports/bench-start-gate.json' },
    },
  });
  const clients = Number(values.clients);
  const rates = values.rates.split(',').map(Number);
  const gate = values.gate !== 'off';
  const origin = await startOrigin(
    originSchema.parse({
      kind: 'nginx',
      profile: 'tiny',
      port: 0,
      nginxExporterPort: 0,
      nodeExporterPort: 0,
    }),
  );
  const results: RateResult[] = [];
  try {
    for (const rate of rates) {
      console.error(
        `rate ${rate}/s, ${clients} viewers, gate ${gate ? 'on' : 'off'} (load ${loadavg()[0]?.toFixed(1)})`,
      );
      const settings: GateSettings = {
        enabled: gate,
        maxPrepare: values['max-prepare'],
        ...(values['max-starting'] ? { maxStarting: Number(values['max-starting']) } : {}),
        ...(values['viewer-nice'] ? { viewerNice: Number(values['viewer-nice']) } : {}),
      };
      results.push(await benchRate(origin.streamUrl, rate, clients, Number(values.hold), settings));
      // Let the host settle (viewers' sockets, page cache) between ramps.
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
  } finally {
    await origin.stop();
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB, Node ${process.version}`;
  console.log(`${machine}; ${new Date().toISOString()}\n`);
  console.log(table(results));
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify({ machine, results }, null, 2)}\n`);
}

await main();
