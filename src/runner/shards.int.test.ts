import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { parseAccessLog } from '../metrics/index.js';
import { useTinyNginxOrigin } from '../origin/test/tiny-nginx.js';
import { type HtmlReport, readReportFile, reportSchema } from '../report/index.js';
import { nearestRankPercentile, spawnOwned } from '../system/index.js';
import { alive, waitUntil } from '../system/test/processes.js';
import { mergeShardReports, runScenario } from './index.js';
import { recordViewerPids } from './test/viewer-pids.js';
import type { RunResult } from './types.js';

/*
 * Shards end to end: one nginx origin, three shards of one scenario run at once (in this
 * process, as three CI jobs would run them on three hosts), aligned on a common start time;
 * then `hls-swarm merge`. The merged counts must equal nginx's access log, the merged
 * percentiles the percentiles of every shard's raw values (HDR precision), and the gate must
 * see the whole fleet (clients_active summed over shards).
 */

const CLI = fileURLToPath(new URL('../cli/main.ts', import.meta.url));
const SHARDS = 3;
const CLIENTS = 6;

const tinyOrigin = useTinyNginxOrigin();

function scenarioFor(url: string) {
  return {
    name: 'sharded smoke',
    origin: { kind: 'external', url },
    swarm: { clients: CLIENTS, rampRate: 6, duration: '14s', warmup: '2s', metricsPort: 0 },
    slo: {
      request_errors: 'rate<0.05',
      segment_duration: 'p(95)<5s',
      // Each shard runs 2 viewers: only the merged fleet reaches 6.
      clients_active: { threshold: 'max>=6', window: 'whole' },
    },
    generator: { capacityCheck: 'off' },
  } as const;
}

async function cli(args: string[]) {
  const child = spawnOwned(process.execPath, ['--import', 'tsx', CLI, ...args], {
    stdout: 'pipe',
    stderr: 'pipe',
    timeout: 60_000,
  });
  const result = await child.subprocess;
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Every raw value of a trend over a whole run's store. */
function rawValues(run: RunResult, name: string): number[] {
  const data = run.metrics?.window(name, {}, 0, Number.MAX_SAFE_INTEGER);
  return data?.type === 'trend' ? [...data.values] : [];
}

describe('shards and merge', () => {
  let dir: string;
  let runs: RunResult[];
  let shardPaths: string[];
  let shardReports: { path: string; report: HtmlReport }[];
  const viewerPids: number[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hls-swarm-shards-'));
    const startAtMs = Date.now() + 8000;
    runs = await Promise.all(
      Array.from({ length: SHARDS }, (_, index) =>
        runScenario(scenarioFor(tinyOrigin().streamUrl), {
          shard: { index, count: SHARDS },
          startAtMs,
          reportDir: dir,
          testPath: { fileStem: 'shards', testSlug: 'sharded-smoke' },
          actions: [recordViewerPids(viewerPids)],
        }),
      ),
    );
    shardPaths = runs.map((run) => run.reportPath);
    shardReports = await Promise.all(
      shardPaths.map(async (path) => ({ path, report: await readReportFile(path) })),
    );
  }, 120_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('each shard runs its slice of the viewers from the common start and writes a shard report', async () => {
    expect(shardPaths).toEqual(
      [0, 1, 2].map((index) => join(dir, 'shards', `sharded-smoke.shard-${index}-of-${SHARDS}.json`)),
    );
    for (const [index, { report }] of shardReports.entries()) {
      expect(reportSchema.safeParse(report).success).toBe(true);
      expect(report.shard).toMatchObject({
        index,
        count: SHARDS,
        viewers: `id % 3 == ${index}`,
        plannedClients: 2,
        scrapesOrigin: index === 0,
      });
      expect(report.shard?.startLateMs).toBeGreaterThanOrEqual(0);
      expect(report.swarm?.clientsStarted).toBe(2);
    }
    // nginx saw every viewer id once per shard slice: id i mod 3 from shard i.
    const ids = new Set(
      parseAccessLog(readFileSync(tinyOrigin().accessLog as string, 'utf8'), Date.now())
        .map((entry) => /\/client-(\d+)$/.exec(entry.userAgent ?? '')?.[1])
        .filter((id): id is string => id !== undefined)
        .map(Number),
    );
    expect([...ids].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
    await waitUntil(() => viewerPids.every((pid) => !alive(pid)), 10_000);
    expect(viewerPids.length).toBeGreaterThanOrEqual(CLIENTS);
    expect(viewerPids.filter(alive)).toEqual([]);
  });

  test('the merged report: counts equal nginx’s log, percentiles are the pooled values’, the gate sees the whole fleet', () => {
    const merged = mergeShardReports(shardReports);
    expect(merged.verdict, merged.reason).toBe('pass');
    expect(merged.shards).toMatchObject({ count: SHARDS, missing: [], allowMissing: false });
    expect(merged.shards?.merged.map((entry) => entry.index)).toEqual([0, 1, 2]);
    const fleet = merged.thresholds.find((entry) => entry.metric === 'clients_active');
    expect(fleet?.observed).toBe(CLIENTS);
    expect(merged.swarm?.clientsStarted).toBe(CLIENTS);

    const log = parseAccessLog(readFileSync(tinyOrigin().accessLog as string, 'utf8'), Date.now());
    const segments = log.filter(
      (entry) => entry.kind === 'segment' && /\/client-\d+$/.test(entry.userAgent ?? ''),
    );
    const manifests = log.filter(
      (entry) => entry.kind === 'manifest' && /\/client-\d+$/.test(entry.userAgent ?? ''),
    );
    expect(merged.swarm?.requests.manifest.total).toBe(manifests.length);
    expect(merged.swarm?.requests.segment.total).toBe(segments.length);
    expect(merged.swarm?.requests.segment.total).toBe(
      shardReports.reduce((sum, { report }) => sum + (report.swarm?.requests.segment.total ?? 0), 0),
    );

    for (const [trend, field] of [
      ['segment_duration', 'segmentDurationSeconds'],
      ['segment_ttfb', 'segmentTtfbSeconds'],
    ] as const) {
      const pooled = Float64Array.from(runs.flatMap((run) => rawValues(run, trend))).sort();
      const summary = merged.swarm?.distributions[field];
      expect(summary?.count).toBe(pooled.length);
      for (const q of [50, 95, 99] as const) {
        const exact = nearestRankPercentile(pooled, q);
        const got = summary?.[`p${q}`] as number;
        // HDR: 3 significant digits, recorded in whole microseconds.
        expect(Math.abs(got - exact)).toBeLessThanOrEqual(exact * 0.001 + 1e-6);
      }
    }
  });

  test('hls-swarm merge: a folder of shard reports gates; a missing shard fails unless --allow-missing', async () => {
    const out = join(dir, 'merged');
    const all = await cli(['merge', join(dir, 'shards'), '--out-dir', out]);
    expect(all.exitCode, all.stderr).toBe(0);
    expect(all.stdout).toContain('merged 3 of 3 shards');
    const merged = reportSchema.parse(
      JSON.parse(await readFile(join(out, 'shards', 'sharded-smoke.json'), 'utf8')),
    );
    expect(merged.verdict).toBe('pass');
    expect(await readFile(join(out, 'shards', 'sharded-smoke.html'), 'utf8')).toContain('sharded smoke');

    // The same shards judged with another scenario's thresholds (--scenario): a bound no real
    // download meets fails the merged gate, exit 1.
    const strict = join(dir, 'strict.json');
    await writeFile(
      strict,
      JSON.stringify({ ...scenarioFor(tinyOrigin().streamUrl), slo: { segment_duration: 'p(95)<1ms' } }),
    );
    const rejudged = await cli([
      'merge',
      join(dir, 'shards'),
      '--scenario',
      strict,
      '--out',
      join(dir, 'strict-merged.json'),
    ]);
    expect(rejudged.exitCode).toBe(1);
    expect(rejudged.stdout).toContain('1 strict threshold failed: segment_duration p(95)<1ms');

    const partial = join(dir, 'partial');
    await mkdir(partial, { recursive: true });
    for (const path of shardPaths.slice(0, 2))
      await copyFile(path, join(partial, path.split('/').at(-1) as string));
    const missing = await cli(['merge', partial, '--out', join(dir, 'partial.json')]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stdout).toContain('shard 2/3 has no report');
    const allowed = await cli(['merge', partial, '--out', join(dir, 'partial.json'), '--allow-missing']);
    expect(allowed.stdout).toContain('merged without: shard 2/3 has no report');
    const partialReport = reportSchema.parse(JSON.parse(await readFile(join(dir, 'partial.json'), 'utf8')));
    expect(partialReport.shards?.missing).toEqual([2]);
    // 4 of 6 viewers: the fleet threshold fails, and the exit code says so.
    expect(partialReport.verdict).toBe('fail');
    expect(allowed.exitCode).toBe(1);
  });

  test('merge refuses reports that do not belong together, naming the files', async () => {
    expect(() => mergeShardReports([shardReports[0] as never, shardReports[0] as never])).toThrow(
      `shard 0/3 appears twice: ${shardPaths[0]} and ${shardPaths[0]}`,
    );
    const other = structuredClone(shardReports[1]) as { path: string; report: HtmlReport };
    other.path = join(dir, 'other.json');
    (other.report.shard as { count: number }).count = 4;
    expect(() => mergeShardReports([shardReports[0] as never, other])).toThrow(
      `${other.path} is shard 1/4, ${shardPaths[0]} is 0/3: every shard of a run must be given the same N`,
    );
    const notShard = join(dir, 'plain.json');
    const plain = structuredClone(shardReports[0]?.report) as HtmlReport;
    delete plain.shard;
    await writeFile(notShard, JSON.stringify(plain));
    const refused = await cli(['merge', notShard]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain(`${notShard} is not a shard report (it has no "shard" section)`);
  });
});

test('a shard of a scenario that boots its own origin is refused before anything starts', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hls-swarm-shards-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  await expect(
    runScenario(
      { name: 'own origin', origin: { kind: 'python', profile: 'tiny', port: 0 }, swarm: { clients: 2 } },
      { shard: { index: 1, count: 2 }, reportDir: dir },
    ),
  ).rejects.toThrow(
    "origin.kind: shard 1/2 needs the origin every shard loads: kind 'external' with its url (got 'python'",
  );
});
