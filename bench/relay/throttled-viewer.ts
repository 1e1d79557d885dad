// Runs inside the viewer namespace of bench/relay-throttled.sh (NOT a test): the measuring relay
// on the namespace's loopback, one ffmpeg viewer through it for N seconds over the throttled
// link, then the same segments fetched again directly and through the relay, one after the
// other. Compares (1) each relayed request's download time with nginx's own $request_time for
// it, and (2) relayed vs direct downloads of the same segments; prints the results as JSON.
//
//   node --import tsx bench/relay/throttled-viewer.ts <stream url> <seconds> <nginx access log> <out.json> <rate bit/s>
// nginx's $request_time is not ground truth on a slow link (it ends when the last byte enters
// the kernel: docs/swarm-measurement.md), so each download is also set against its wire time,
// body bytes × 8 / the tbf rate.
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { MeasuringRelay, type RelayRecord } from '../../src/swarm/relay/index.js';
import { findBinary, nearestRankPercentile, spawnOwned } from '../../src/system/index.js';

const [url = '', secondsText = '30', accessLog = '', out = '', rateText = '1500000'] = process.argv.slice(2);
const seconds = Number(secondsText);
const rateBitsPerSecond = Number(rateText);

interface AccessEntry {
  msec: number;
  request: string;
  status: number;
  body_bytes_sent: number;
  request_time: number;
}

/** Within 5 ms or 5 %: the bound for timings that measure the same download. */
function agrees(a: number, b: number): boolean {
  const diff = Math.abs(a - b);
  return diff <= 0.005 || diff <= 0.05 * Math.max(a, b);
}

async function directDownload(target: string): Promise<{ ttfb: number; duration: number; bytes: number }> {
  const start = performance.now();
  const response = await request(target);
  const ttfb = (performance.now() - start) / 1000;
  let bytes = 0;
  let last = performance.now();
  for await (const chunk of response.body) {
    bytes += (chunk as Buffer).length;
    last = performance.now();
  }
  return { ttfb, duration: (last - start) / 1000, bytes };
}

async function main(): Promise<void> {
  const relay = await MeasuringRelay.start({ timeoutMs: 15_000 });
  const records: RelayRecord[] = [];
  relay.on('request', (record) => records.push(record));
  const ffmpeg = findBinary('ffmpeg') ?? 'ffmpeg';
  const cpuBefore = process.cpuUsage();
  const viewer = spawnOwned(
    ffmpeg,
    [
      ...['-hide_banner', '-nostdin', '-loglevel', 'error', '-rw_timeout', '15000000'],
      ...['-i', relay.urlFor(0, url), '-map', '0', '-c', 'copy', '-t', String(seconds), '-f', 'null', '-'],
    ],
    { graceMs: 2000, stdio: 'ignore' },
  );
  const stopAt = setTimeout(() => void viewer.stop(), (seconds + 20) * 1000);
  await viewer.exited;
  clearTimeout(stopAt);
  const cpu = process.cpuUsage(cpuBefore);
  const relayedBytes = records.reduce((sum, record) => sum + record.bytes, 0);

  // (1) Each relayed request against nginx's line for it (same URL, in order).
  const log = readFileSync(accessLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AccessEntry);
  const pending = new Map<string, AccessEntry[]>();
  for (const entry of log) {
    const path = entry.request.split(' ')[1] ?? '';
    pending.set(path, [...(pending.get(path) ?? []), entry]);
  }
  const pairs: { path: string; relay: number; nginx: number; bytes: number }[] = [];
  for (const record of [...records].sort((a, b) => a.startMs - b.startMs)) {
    const path = new URL(record.url).pathname;
    const entry = pending.get(path)?.shift();
    if (!entry || record.durationMicros === undefined || !path.endsWith('.ts')) continue;
    pairs.push({ path, relay: record.durationMicros / 1e6, nginx: entry.request_time, bytes: record.bytes });
  }

  // (2) The last segments again: direct, then through the relay, alternately.
  const segments = [...new Set(records.filter((r) => r.url.endsWith('.ts')).map((r) => r.url))].slice(-5);
  const sideBySide: { url: string; direct: number; relayed: number; bytes: number }[] = [];
  for (const segment of segments) {
    const direct = await directDownload(segment);
    const before = records.length;
    const through = await directDownload(relay.urlFor(1, segment));
    const record = records.slice(before).find((r) => r.clientId === 1);
    if (record?.durationMicros !== undefined && direct.bytes === through.bytes)
      sideBySide.push({
        url: segment,
        direct: direct.duration,
        relayed: record.durationMicros / 1e6,
        bytes: direct.bytes,
      });
  }
  await relay.close();

  const differences = pairs.map((pair) => Math.abs(pair.relay - pair.nginx));
  const wire = (bytes: number) => (bytes * 8) / rateBitsPerSecond;
  const ratios = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return {
      min: sorted[0] ?? 0,
      p50: nearestRankPercentile(sorted, 50),
      p90: nearestRankPercentile(sorted, 90),
      max: sorted.at(-1) ?? 0,
    };
  };
  const result = {
    url,
    seconds,
    requests: records.length,
    segmentsCompared: pairs.length,
    agreeWithNginx: pairs.filter((pair) => agrees(pair.relay, pair.nginx)).length,
    differenceMs: {
      p50:
        nearestRankPercentile(
          [...differences].sort((a, b) => a - b),
          50,
        ) * 1000,
      p95:
        nearestRankPercentile(
          [...differences].sort((a, b) => a - b),
          95,
        ) * 1000,
      max: Math.max(...differences) * 1000,
    },
    meanSegmentSeconds: { relay: mean(pairs.map((p) => p.relay)), nginx: mean(pairs.map((p) => p.nginx)) },
    relayOverWire: ratios(pairs.map((p) => p.relay / wire(p.bytes))),
    nginxOverWire: ratios(pairs.map((p) => p.nginx / wire(p.bytes))),
    sideBySideRelayedOverDirect: ratios(sideBySide.map((p) => p.relayed / p.direct)),
    sideBySide,
    sideBySideAgree: sideBySide.filter((pair) => agrees(pair.relayed, pair.direct)).length,
    relayCpuSecondsPerMbit: (cpu.user + cpu.system) / 1e6 / ((relayedBytes * 8) / 1e6),
    relayedMbit: (relayedBytes * 8) / 1e6,
    pairs,
  };
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
}

function mean(values: number[]): number {
  return values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : 0;
}

await main();
