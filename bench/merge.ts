// Merging shard reports (NOT a test): time and memory of `hls-swarm merge` for N shards of V
// viewers each over a run of S seconds, and of exporting one shard's store at the end of its run.
//
//   node --import tsx bench/merge.ts <a real shard report.json> [--shards 16] [--viewers 1000] [--seconds 600]
//
// A real shard report (from `hls-swarm run --shard`) is the template; its `shard.data` is
// replaced by a store with the series a shard of V viewers records over S seconds of a 2 s
// segment stream: per viewer and second 0.5 segment and 0.5 playlist request (TTFB and download
// trends, the error rate), playback speed every 10 s, and the swarm's gauges once a second.
// The values follow a fixed long-tailed spread (1 ms – 3 s), so histograms hold realistic
// bucket counts. Prints one JSON line; run it alone on the machine.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { exportMergeable, MetricStore } from '../src/metrics/index.js';
import { readReportFile } from '../src/report/index.js';
import { mergeShardReports } from '../src/runner/index.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    shards: { type: 'string', default: '16' },
    viewers: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '600' },
  },
});
const template = positionals[0];
if (!template) {
  process.stderr.write(
    'usage: node --import tsx bench/merge.ts <shard report.json> [--shards 16] [--viewers 1000] [--seconds 600]\n',
  );
  process.exit(2);
}
const shards = Number(values.shards);
const viewers = Number(values.viewers);
const seconds = Number(values.seconds);
const T0 = Math.floor(Date.now() / 1000) * 1000;

function spread(n: number): number {
  const base = 0.001 + ((n * 7919) % 997) / 997 / 4; // 1–250 ms
  return n % 97 === 0 ? base * 12 : base; // a tail to 3 s
}

function shardStore(shard: number): MetricStore {
  const store = new MetricStore();
  store.declare('http_errors', 'counter', T0);
  let n = shard * 7;
  for (let second = 0; second < seconds; second++) {
    for (let viewer = 0; viewer < viewers; viewer++) {
      // Half the viewers fetch a segment and a playlist in this second, the other half next.
      if ((viewer + second) % 2 !== 0) continue;
      const atMs = T0 + second * 1000 + ((viewer * 37) % 1000);
      n++;
      store.addTrend('segment_ttfb', {}, atMs, spread(n) / 10);
      store.addTrend('segment_duration', {}, atMs, spread(n));
      store.addTrend('manifest_ttfb', {}, atMs, spread(n + 1) / 20);
      store.addTrend('manifest_duration', {}, atMs, spread(n + 1) / 10);
      const failed = n % 500 === 0;
      store.addRate('request_errors', { kind: 'segment' }, atMs, failed);
      store.addRate('request_errors', { kind: 'manifest' }, atMs, false);
      if (failed) store.incrementCounter('http_errors', { status: '503', kind: 'segment' }, atMs);
      if (second % 10 === 0) store.addTrend('playback_speed', {}, atMs, 0.98 + (n % 5) / 100);
    }
    store.addGauge('clients_active', {}, T0 + second * 1000 + 250, viewers);
    store.addGauge('stalled_clients', {}, T0 + second * 1000 + 250, 0);
    store.addGauge('throughput', {}, T0 + second * 1000 + 250, viewers * 112_000);
  }
  return store;
}

const base = await readReportFile(template);
if (!base.shard) throw new Error(`${template} is not a shard report`);
const dir = await mkdtemp(join(tmpdir(), 'hls-swarm-bench-merge-'));
let exportMs = 0;
let bytes = 0;
const paths: string[] = [];
for (let index = 0; index < shards; index++) {
  const store = shardStore(index);
  const started = performance.now();
  const data = exportMergeable(store);
  exportMs = Math.max(exportMs, performance.now() - started);
  const report = {
    ...base,
    shard: {
      ...base.shard,
      index,
      count: shards,
      plannedClients: viewers,
      window: { startMs: T0, steadyStartMs: T0 + 60_000, endMs: T0 + seconds * 1000 },
      data,
    },
  };
  const text = JSON.stringify(report);
  bytes = Math.max(bytes, text.length);
  const path = join(dir, `bench.shard-${index}-of-${shards}.json`);
  await writeFile(path, text);
  paths.push(path);
}
// The merge is synchronous: the kernel's peak RSS (maxRSS) is read before and after it.
const peakBeforeMergeKiB = process.resourceUsage().maxRSS;
const rssBeforeMerge = process.memoryUsage().rss;
const started = performance.now();
const files = [];
for (const path of paths) files.push({ path, report: await readReportFile(path) });
const readMs = performance.now() - started;
const merged = mergeShardReports(files);
const totalMs = performance.now() - started;
const peakAfterMergeKiB = process.resourceUsage().maxRSS;
await rm(dir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({
    shards,
    viewersPerShard: viewers,
    seconds,
    shardReportMiB: +(bytes / 2 ** 20).toFixed(1),
    exportOneShardMs: Math.round(exportMs),
    mergeReadMs: Math.round(readMs),
    mergeTotalMs: Math.round(totalMs),
    rssBeforeMergeMiB: Math.round(rssBeforeMerge / 2 ** 20),
    peakRssBeforeMergeMiB: Math.round(peakBeforeMergeKiB / 1024),
    peakRssAfterMergeMiB: Math.round(peakAfterMergeKiB / 1024),
    segments: merged.swarm?.distributions.segmentDurationSeconds.count,
    segmentP95: merged.swarm?.distributions.segmentDurationSeconds.p95,
    verdict: merged.verdict,
  })}\n`,
);
