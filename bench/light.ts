// Light viewers' benchmark (NOT a test): N light viewers held against the native nginx origin
// (real generator, loopback) for T seconds, then checked against nginx's access log.
//
//   node --import tsx bench/light.ts [--help] [--viewers 200] [--seconds 30] [--ramp-rate 200]
//        [--warmup 6] [--profile tiny] [--variant highest] [--validate] [--out reports/bench-light.json]
//
// Prints, over the steady window (after the ramp and a warm-up): Node CPU % of one core (user +
// system, process.cpuUsage), peak RSS, event-loop delay p99 (monitorEventLoopDelay, 10 ms
// resolution), the light scheduler's lateness p99 (due → run), requests/s, nginx's own CPU %,
// stalls and viewer errors. Then accuracy over the whole run: request counts and bytes vs
// nginx's JSON access log (viewers' User-Agent `…/light-<id>`), and each request's download
// time vs nginx's $request_time, matched one to one (viewer, path, order).

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { originSchema } from '../src/config/index.js';
import { parseAccessLog } from '../src/metrics/index.js';
import { startOrigin } from '../src/origin/index.js';
import { LightFleet, type LightRequestRecord, type LightVariantPolicy } from '../src/swarm/light/index.js';
import { nearestRankPercentile } from '../src/system/index.js';
import { positiveNumberFlag, runBench } from './cli.js';
import { cpuDelta, cpuSnapshot, groupMembers, log, machine, nodeCpuSeconds, sleep } from './swarm/proc.js';

const USAGE = `Light viewers' benchmark (not a test): N light viewers against native nginx on loopback.

  node --import tsx bench/light.ts [--viewers 200] [--seconds 30] [--ramp-rate 200] [--warmup 6] [--connections 1024]
       [--url URL --access-log FILE] [--first-id 0] [--link-kbit R]
       [--profile tiny] [--variant highest] [--validate] [--out reports/bench-light.json]
`;

/**
 * The run's request records, kept for the accuracy check in typed arrays with interned paths:
 * a million record objects would make V8's old space (and its mark-compact pauses) grow with the
 * run, which would measure the benchmark's bookkeeping instead of the viewers.
 */
class CompactRecords {
  count = 0;
  clientId = new Int32Array(1 << 16);
  pathIndex = new Int32Array(1 << 16);
  bytes = new Float64Array(1 << 16);
  durationMicros = new Float64Array(1 << 16);
  cutByStop = new Uint8Array(1 << 16);
  readonly paths: string[] = [];
  private readonly pathIds = new Map<string, number>();

  push(record: LightRequestRecord): void {
    if (this.count === this.clientId.length) this.grow();
    const path = new URL(record.url).pathname;
    let id = this.pathIds.get(path);
    if (id === undefined) {
      id = this.paths.push(path) - 1;
      this.pathIds.set(path, id);
    }
    const i = this.count++;
    this.clientId[i] = record.clientId;
    this.pathIndex[i] = id;
    this.bytes[i] = record.bytes ?? 0;
    this.durationMicros[i] = record.durationMicros ?? Number.NaN;
    this.cutByStop[i] = record.cutByStop ? 1 : 0;
  }

  private grow(): void {
    const size = this.clientId.length * 2;
    const grown = <T extends Int32Array | Float64Array | Uint8Array>(array: T, make: (n: number) => T): T => {
      const next = make(size);
      next.set(array);
      return next;
    };
    this.clientId = grown(this.clientId, (n) => new Int32Array(n));
    this.pathIndex = grown(this.pathIndex, (n) => new Int32Array(n));
    this.bytes = grown(this.bytes, (n) => new Float64Array(n));
    this.durationMicros = grown(this.durationMicros, (n) => new Float64Array(n));
    this.cutByStop = grown(this.cutByStop, (n) => new Uint8Array(n));
  }
}

function options() {
  const { values } = parseArgs({
    options: {
      help: { type: 'boolean' },
      viewers: { type: 'string', default: '200' },
      seconds: { type: 'string', default: '30' },
      'ramp-rate': { type: 'string', default: '200' },
      connections: { type: 'string', default: '1024' },
      url: { type: 'string' },
      'first-id': { type: 'string', default: '0' },
      'link-kbit': { type: 'string' },
      'access-log': { type: 'string' },
      warmup: { type: 'string', default: '6' },
      profile: { type: 'string', default: 'tiny' },
      variant: { type: 'string', default: 'highest' },
      validate: { type: 'boolean', default: false },
      out: { type: 'string', default: 'reports/bench-light.json' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const number = (name: 'viewers' | 'seconds' | 'ramp-rate' | 'warmup' | 'connections') =>
    positiveNumberFlag(values, name, USAGE);
  return {
    viewers: Math.round(number('viewers')),
    seconds: number('seconds'),
    rampRate: number('ramp-rate'),
    connections: Math.round(number('connections')),
    /** An origin already running (e.g. in a throttled network namespace) instead of starting nginx. */
    url: values.url,
    accessLog: values['access-log'],
    /** Viewer ids start here: several bench processes against one origin keep apart in its log. */
    firstId: Math.max(0, Math.round(Number(values['first-id']) || 0)),
    /** The origin is behind a link of this rate: segment download ÷ wire time (bytes × 8 ÷ rate). */
    linkKbit: values['link-kbit'] === undefined ? undefined : Number(values['link-kbit']),
    warmupSeconds: number('warmup'),
    profile: values.profile as string,
    variant: values.variant as LightVariantPolicy,
    validate: values.validate as boolean,
    out: values.out as string,
  };
}

function summary(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (value: number) => Number(value.toFixed(3));
  return {
    count: sorted.length,
    p50: round(nearestRankPercentile(sorted, 50)),
    p95: round(nearestRankPercentile(sorted, 95)),
    p99: round(nearestRankPercentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? 0),
  };
}

const pct = (measured: number, reference: number) =>
  reference === 0 ? (measured === 0 ? 0 : 100) : ((measured - reference) / reference) * 100;

async function main(): Promise<void> {
  const opts = options();
  const machineBefore = machine();
  log(`machine: ${JSON.stringify(machineBefore)}`);
  if ((opts.url === undefined) !== (opts.accessLog === undefined)) {
    process.stderr.write(
      `--url and --access-log go together (the origin's nginx JSON access log)\n\n${USAGE}`,
    );
    process.exit(2);
  }
  const origin =
    opts.url === undefined
      ? await startOrigin(
          originSchema.parse({ kind: 'nginx', port: 0, profile: opts.profile, exporters: false }),
        )
      : undefined;
  const streamUrl = origin?.streamUrl ?? (opts.url as string);
  const accessLog = origin?.accessLog ?? (opts.accessLog as string);
  const nginxPid = origin?.status().processes.find((process) => process.name === 'nginx')?.pid;
  log(`origin: ${streamUrl} (${origin ? `profile ${opts.profile}, nginx pid ${nginxPid}` : 'given'})`);
  const fleet = new LightFleet({
    url: streamUrl,
    variant: opts.variant,
    validateSegments: opts.validate,
    connectionsPerOrigin: opts.connections,
  });
  const records = new CompactRecords();
  const errorsByCode: Record<string, number> = {};
  let stalls = 0;
  let startups = 0;
  // Segments per variant (bandwidth) in the steady window, and abr switches: what a policy settled on.
  let inWindow = false;
  const segmentsByVariant: Record<string, number> = {};
  let variantSwitches = 0;
  fleet.on('request', (record) => {
    records.push(record);
    if (inWindow && record.kind === 'segment') {
      const key = String(record.variantBandwidth ?? 'unknown');
      segmentsByVariant[key] = (segmentsByVariant[key] ?? 0) + 1;
    }
  });
  fleet.on('variantSwitch', () => variantSwitches++);
  let rebufferSeconds = 0;
  fleet.on('rebuffer', (event) => {
    if (inWindow) rebufferSeconds += event.durationSeconds;
  });
  fleet.on('viewerError', (error) => {
    errorsByCode[error.code] = (errorsByCode[error.code] ?? 0) + 1;
  });
  fleet.on('stall', () => stalls++);
  // Connections opened and closed: a player keeps its connection, so churn here is a limit hit.
  const connections = { opened: 0, closed: 0, open: 0, peakOpen: 0 };
  fleet.http.agent.on('connect', () => {
    connections.opened++;
    connections.open++;
    connections.peakOpen = Math.max(connections.peakOpen, connections.open);
  });
  fleet.http.agent.on('disconnect', () => {
    connections.closed++;
    connections.open--;
  });
  fleet.on('startup', () => startups++);
  const fleetStartedMs = Date.now();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  try {
    // The ramp runs on the fleet's own scheduler: one timer for starts and playback alike.
    for (let i = 0; i < opts.viewers; i++)
      fleet.scheduler.after((i / opts.rampRate) * 1000, () => fleet.start(opts.firstId + i));
    await sleep((opts.viewers / opts.rampRate + opts.warmupSeconds) * 1000);
    log(`ramp + warm-up done: ${fleet.active} viewers active, ${startups} started`);

    // Steady window.
    const nginxPids = nginxPid ? groupMembers(nginxPid) : [];
    const nginxBefore = cpuSnapshot(nginxPids);
    const cpuBefore = nodeCpuSeconds();
    const requestsBefore = records.count;
    const stallsBefore = stalls;
    const connectionsBefore = { ...connections };
    const cpuUsageBefore = process.cpuUsage();
    const windowStartMs = Date.now();
    const switchesBefore = variantSwitches;
    inWindow = true;
    loopDelay.reset();
    fleet.scheduler.latenessMs(true);
    let peakRssMiB = 0;
    const endAt = Date.now() + opts.seconds * 1000;
    while (Date.now() < endAt) {
      peakRssMiB = Math.max(peakRssMiB, process.memoryUsage.rss() / 2 ** 20);
      await sleep(Math.min(1000, endAt - Date.now()));
    }
    const windowSeconds = (Date.now() - windowStartMs) / 1000;
    const steady = {
      viewers: fleet.active,
      windowSeconds: Number(windowSeconds.toFixed(1)),
      nodeCpuPercentOfOneCore: Number((((nodeCpuSeconds() - cpuBefore) / windowSeconds) * 100).toFixed(1)),
      nginxCpuPercentOfOneCore: Number(
        ((cpuDelta(nginxBefore, cpuSnapshot(nginxPids)) / windowSeconds) * 100).toFixed(1),
      ),
      peakRssMiB: Math.round(peakRssMiB),
      eventLoopDelayP99Ms: Number((loopDelay.percentile(99) / 1e6).toFixed(2)),
      eventLoopDelayMaxMs: Number((loopDelay.max / 1e6).toFixed(2)),
      schedulerLatenessMs: fleet.scheduler.latenessMs(true),
      requestsPerSecond: Number(((records.count - requestsBefore) / windowSeconds).toFixed(1)),
      stallsInWindow: stalls - stallsBefore,
      variantSwitchesInWindow: variantSwitches - switchesBefore,
      // Stall time of the stalls that ended in the window, over the viewers' wall time there.
      rebufferRatioInWindow: Number((rebufferSeconds / (opts.viewers * windowSeconds)).toFixed(4)),
      segmentsByVariantBandwidth: { ...segmentsByVariant },
      nodeCpuUserSystemPercent: ((usage) => [
        Number((usage.user / 1e4 / windowSeconds).toFixed(1)),
        Number((usage.system / 1e4 / windowSeconds).toFixed(1)),
      ])(process.cpuUsage(cpuUsageBefore)),
      connections: {
        openAtEnd: connections.open,
        peakOpen: connections.peakOpen,
        openedInWindow: connections.opened - connectionsBefore.opened,
        closedInWindow: connections.closed - connectionsBefore.closed,
      },
    };
    log(`steady: ${JSON.stringify(steady)}`);
    await fleet.close();
    loopDelay.disable();

    // Accuracy over the whole run (the close waited for every request to end; nginx logs at the end).
    await sleep(500);
    const logEntries = parseAccessLog(readFileSync(accessLog, 'utf8'), Date.now()).filter(
      // This run's light viewers only (a given origin's log may hold earlier runs).
      (entry) => {
        const id = Number(/\/light-(\d+)$/.exec(entry.userAgent ?? '')?.[1] ?? -1);
        return id >= opts.firstId && id < opts.firstId + opts.viewers && entry.atMs >= fleetStartedMs - 1000;
      },
    );
    const tally = { swarm: { count: 0, bytes: 0 }, nginx: { count: 0, bytes: 0 } };
    tally.swarm.count = records.count;
    for (let i = 0; i < records.count; i++) tally.swarm.bytes += records.bytes[i] as number;
    const byKey = new Map<string, typeof logEntries>();
    for (const entry of logEntries) {
      tally.nginx.count++;
      tally.nginx.bytes += entry.bodyBytesSent ?? 0;
      const key = `${/light-(\d+)$/.exec(entry.userAgent ?? '')?.[1]} ${entry.uri}`;
      const list = byKey.get(key);
      if (list) list.push(entry);
      else byKey.set(key, [entry]);
    }
    const differenceMs: number[] = [];
    const overWire: number[] = [];
    const nginxOverWire: number[] = [];
    let unmatched = 0;
    let within5msOr5pct = 0;
    for (let i = 0; i < records.count; i++) {
      const entry = byKey
        .get(`${records.clientId[i]} ${records.paths[records.pathIndex[i] as number]}`)
        ?.shift();
      if (!entry) {
        unmatched++;
        continue;
      }
      const durationMicros = records.durationMicros[i] as number;
      if (Number.isNaN(durationMicros) || records.cutByStop[i] === 1) continue;
      const oursMs = durationMicros / 1000;
      const nginxMs = entry.requestTimeSeconds * 1000;
      differenceMs.push(oursMs - nginxMs);
      // Segments only: a playlist is too small for its wire time to mean anything.
      if (opts.linkKbit && /\.(ts|m4s|mp4)$/.test(records.paths[records.pathIndex[i] as number] ?? '')) {
        const wireMs = ((records.bytes[i] as number) * 8) / opts.linkKbit;
        overWire.push(oursMs / wireMs);
        nginxOverWire.push(nginxMs / wireMs);
      }
      if (Math.abs(oursMs - nginxMs) <= Math.max(5, 0.05 * nginxMs)) within5msOr5pct++;
    }
    const accuracy = {
      requests: tally,
      countDiffPercent: Number(pct(tally.swarm.count, tally.nginx.count).toFixed(3)),
      bytesDiffPercent: Number(pct(tally.swarm.bytes, tally.nginx.bytes).toFixed(3)),
      unmatchedRecords: unmatched,
      downloadMinusRequestTimeMs: summary(differenceMs),
      within5msOr5percent: Number(((within5msOr5pct / Math.max(1, differenceMs.length)) * 100).toFixed(2)),
      ...(opts.linkKbit
        ? {
            segmentDownloadOverWire: { min: Math.min(...overWire), ...summary(overWire) },
            nginxRequestTimeOverWire: { min: Math.min(...nginxOverWire), ...summary(nginxOverWire) },
          }
        : {}),
    };
    log(`accuracy: ${JSON.stringify(accuracy)}`);
    const results = {
      startedAt: new Date(windowStartMs).toISOString(),
      options: opts,
      machine: machineBefore,
      steady,
      accuracy,
      errorsByCode,
      stallsTotal: stalls,
      startups,
      playlistCache: { hits: fleet.playlists.hits, misses: fleet.playlists.misses },
    };
    mkdirSync(dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, `${JSON.stringify(results, null, 2)}\n`);
    const rows: [string, string][] = [
      [
        'light viewers held',
        `${steady.viewers} (${opts.profile}, ${opts.variant}, ${opts.seconds} s window)`,
      ],
      ['Node CPU (% of one core)', `${steady.nodeCpuPercentOfOneCore}`],
      ['nginx CPU (% of one core)', `${steady.nginxCpuPercentOfOneCore}`],
      ['Node peak RSS', `${steady.peakRssMiB} MiB`],
      ['event-loop delay p99 / max', `${steady.eventLoopDelayP99Ms} / ${steady.eventLoopDelayMaxMs} ms`],
      [
        'scheduler lateness p50 / p99 / max',
        `${steady.schedulerLatenessMs.p50.toFixed(2)} / ${steady.schedulerLatenessMs.p99.toFixed(2)} / ${steady.schedulerLatenessMs.max.toFixed(2)} ms`,
      ],
      ['requests/s', `${steady.requestsPerSecond}`],
      ['stalls in window / viewer errors', `${steady.stallsInWindow} / ${JSON.stringify(errorsByCode)}`],
      ['count / bytes vs nginx log', `${accuracy.countDiffPercent} % / ${accuracy.bytesDiffPercent} %`],
      [
        'download − $request_time p50 / p95 / p99',
        `${accuracy.downloadMinusRequestTimeMs.p50} / ${accuracy.downloadMinusRequestTimeMs.p95} / ${accuracy.downloadMinusRequestTimeMs.p99} ms`,
      ],
      ['within 5 ms or 5 % of $request_time', `${accuracy.within5msOr5percent} %`],
    ];
    process.stdout.write(
      `\n| measure | result |\n|---|---|\n${rows.map(([a, b]) => `| ${a} | ${b} |`).join('\n')}\n`,
    );
  } finally {
    loopDelay.disable();
    await fleet.close();
    await origin?.stop();
  }
}

runBench(main);
