import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { originSchema, parseWith, swarmSchema } from '../../config/index.js';
import { type RunningOrigin, startOrigin } from '../../origin/index.js';
import { type SwarmHandle, startSwarm } from '../../swarm/index.js';
import { liveFfmpeg } from '../../swarm/runtime/test/processes.js';
import { findFreePort, type OwnedProcess, spawnOwned } from '../../system/index.js';
import {
  alive,
  groupMembers,
  listeningPorts,
  taggedLeftovers,
  waitUntil,
} from '../../system/test/processes.js';
import { run as prometheusConfig } from './prometheus-config.js';

/*
 * The generated configuration in a real Prometheus (Debian's /usr/bin/prometheus, never its
 * service): three swarms of two ffmpeg viewers each, as three shards, against a native nginx
 * origin with its exporters. Prometheus finds the shards through the file_sd file the command
 * writes, sums hls_swarm_clients_active to 6, labels the shards 0, 1 and 2, and answers every
 * query of the Grafana dashboard. Everything binds 127.0.0.1; everything stops by its owner.
 */

const SHARDS = 3;
const VIEWERS_PER_SHARD = 2;
const TAG = `prometheus-config-${process.pid}-${Date.now()}`;
const env = { ...process.env, HLS_SWARM_TEST_TAG: TAG };
const main = fileURLToPath(new URL('../main.ts', import.meta.url));

let origin: RunningOrigin | undefined;
let originPids: number[] = [];
const swarms: SwarmHandle[] = [];
const viewerPids = new Set<number>();
const ports: number[] = [];
let prometheus: OwnedProcess | undefined;
let prometheusLog = '';
let prometheusUrl = '';
let dir = '';

interface QueryResult {
  metric: Record<string, string>;
  value: [number, string];
}

/** An instant query through Prometheus's HTTP API; its status and result vector. */
async function query(promql: string): Promise<{ status: string; error?: string; result: QueryResult[] }> {
  const response = await request(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await response.body.json()) as {
    status: string;
    error?: string;
    data?: { result: QueryResult[] };
  };
  return { status: body.status, error: body.error, result: body.data?.result ?? [] };
}

/** The single value of `promql`, or undefined while it has none (or Prometheus does not answer yet). */
async function scalarOf(promql: string): Promise<number | undefined> {
  try {
    const { result } = await query(promql);
    return result.length === 1 ? Number(result[0]?.value[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function stopEverything(): Promise<void> {
  await prometheus?.stop();
  await Promise.all(swarms.map((swarm) => swarm.stop()));
  await origin?.stop();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hls-swarm-prometheus-'));
  origin = await startOrigin(parseWith(originSchema, { kind: 'nginx', port: 0, profile: 'tiny' }, 'test'), {
    env,
  });
  originPids = origin.status().processes.map((process) => process.pid as number);
  ports.push(...Object.values(origin.ports ?? {}));
  for (let shard = 0; shard < SHARDS; shard++) {
    const metricsPort = await findFreePort();
    const swarm = await startSwarm({
      url: origin.streamUrl,
      spec: swarmSchema.parse({ clients: VIEWERS_PER_SHARD, rampRate: 10, duration: '5m', metricsPort }),
      env,
    });
    swarm.on('clientStarted', (event) => viewerPids.add(event.pid));
    swarms.push(swarm);
    ports.push(metricsPort);
  }
});

afterAll(async () => {
  await stopEverything();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('hls-swarm prometheus-config in a real Prometheus', () => {
  it('a bad target exits 2 with the message and the usage, no stack trace', () => {
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', main, 'prometheus-config', '--shard', 'localhost:99999'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'hls-swarm prometheus-config: --shard: port 99999 in "localhost:99999" is out of range (1-65535)',
    );
    expect(result.stderr).toContain('Usage: hls-swarm prometheus-config');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe('');
  });

  it('promtool accepts the static and the file_sd configurations', async () => {
    const nginx = new URL(origin?.exporters.nginx as string).host;
    const node = new URL(origin?.exporters.node as string).host;
    const shards = swarms.map((swarm) => new URL(swarm.metricsUrl).host);
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const staticArgs = shards.flatMap((shard) => ['--shard', shard]);
      const out = join(dir, 'static.yml');
      expect(await prometheusConfig([...staticArgs, '--nginx', nginx, '--node', node, '--out', out])).toBe(0);
      await writeFile(join(dir, 'shards.txt'), `${shards.join('\n')}\n`);
      const fileSdArgs = ['--shards-file', join(dir, 'shards.txt'), '--nginx', nginx, '--node', node];
      expect(await prometheusConfig([...fileSdArgs, '--out', join(dir, 'prometheus.yml')])).toBe(0);
    } finally {
      vi.restoreAllMocks();
    }
    for (const file of ['static.yml', 'prometheus.yml']) {
      const check = spawnSync('promtool', ['check', 'config', join(dir, file)], { encoding: 'utf8' });
      expect(`${check.stdout}${check.stderr}`).toContain('SUCCESS');
      expect(check.status).toBe(0);
    }
    expect(JSON.parse(await readFile(join(dir, 'prometheus-shards.json'), 'utf8'))).toEqual(
      shards.map((shard, index) => ({ targets: [shard], labels: { shard: String(index) } })),
    );
  });

  it('Prometheus scrapes the three shards through file_sd: 6 viewers, shards 0, 1 and 2', async () => {
    const port = await findFreePort();
    ports.push(port);
    prometheusUrl = `http://127.0.0.1:${port}`;
    prometheus = spawnOwned(
      '/usr/bin/prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { env, graceMs: 5000 },
    );
    prometheus.subprocess.stderr?.on('data', (chunk: Buffer) => {
      prometheusLog = `${prometheusLog}${chunk.toString()}`.slice(-8000);
    });

    const wanted = SHARDS * VIEWERS_PER_SHARD;
    let active: number | undefined;
    const reached = await waitUntil(
      async () => {
        active = await scalarOf('sum(hls_swarm_clients_active)');
        return active === wanted;
      },
      60_000,
      500,
    );
    process.stdout.write(`prometheus: sum(hls_swarm_clients_active) = ${active}\n`);
    expect(reached, `sum(hls_swarm_clients_active) was ${active}; prometheus log:\n${prometheusLog}`).toBe(
      true,
    );

    const up = await query('up{job="hls-swarm"}');
    expect(up.status).toBe('success');
    const byShard = up.result
      .map((series) => ({
        shard: series.metric.shard,
        instance: series.metric.instance,
        up: series.value[1],
      }))
      .sort((a, b) => Number(a.shard) - Number(b.shard));
    process.stdout.write(`prometheus: up{job="hls-swarm"} = ${JSON.stringify(byShard)}\n`);
    expect(byShard).toEqual(
      swarms.map((swarm, index) => ({
        shard: String(index),
        instance: new URL(swarm.metricsUrl).host,
        up: '1',
      })),
    );
    const perShard = await query('sum by (shard) (hls_swarm_clients_active)');
    expect(
      Object.fromEntries(perShard.result.map((series) => [series.metric.shard, Number(series.value[1])])),
    ).toEqual({ 0: VIEWERS_PER_SHARD, 1: VIEWERS_PER_SHARD, 2: VIEWERS_PER_SHARD });
    // The exporters' first scrapes may land after the shards' (targets are spread over the interval).
    let exporters: string[] = [];
    await waitUntil(
      async () => {
        exporters = (await query('up{job=~"nginx|node"}')).result
          .map((series) => `${series.metric.job}=${series.value[1]}`)
          .sort();
        return exporters.length === 2;
      },
      15_000,
      500,
    );
    expect(exporters).toEqual(['nginx=1', 'node=1']);
  });

  it('every query of the Grafana dashboard is valid PromQL here, and the main panels have data', async () => {
    expect(prometheus?.running).toBe(true);
    const dashboard = JSON.parse(
      await readFile(new URL('../../../docs/grafana/hls-swarm.json', import.meta.url), 'utf8'),
    ) as { panels: { title: string; targets?: { expr: string }[] }[] };
    // Grafana's variables as Grafana would fill them: all shards, a 1 min rate window.
    const fill = (expr: string) =>
      expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '5m').replaceAll('$shard', '.*');
    // The segment p95 needs two scrapes with downloads in its window: wait for it (bounded).
    const p95 = fill(
      'histogram_quantile(0.95, sum by (le) (rate(hls_swarm_segment_duration_seconds_bucket{shard=~"$shard"}[$__rate_interval])))',
    );
    let segmentP95: number | undefined;
    await waitUntil(
      async () => {
        segmentP95 = await scalarOf(p95);
        return segmentP95 !== undefined && Number.isFinite(segmentP95);
      },
      30_000,
      1000,
    );
    process.stdout.write(`prometheus: segment download p95 = ${segmentP95} s\n`);
    expect(segmentP95).toBeGreaterThan(0);
    // Rates need two scrapes of each target in their window; the exporters' may come later.
    for (const promql of [
      'sum by (kind, status) (rate(hls_swarm_requests_total{shard=~"$shard"}[$__rate_interval]))',
      'histogram_quantile(0.95, sum by (le) (rate(hls_swarm_segment_ttfb_seconds_bucket{shard=~"$shard"}[$__rate_interval])))',
      'sum by (instance) (nginx_connections_active{job="nginx"})',
      'sum by (instance) (rate(nginx_connections_accepted{job="nginx"}[$__rate_interval])) - sum by (instance) (rate(nginx_connections_handled{job="nginx"}[$__rate_interval]))',
      '1 - sum by (instance) (rate(node_cpu_seconds_total{job="node",mode="idle"}[$__rate_interval])) / sum by (instance) (rate(node_cpu_seconds_total{job="node"}[$__rate_interval]))',
    ]) {
      const hasData = await waitUntil(async () => (await query(fill(promql))).result.length > 0, 15_000, 500);
      expect(hasData, promql).toBe(true);
    }

    const empty: string[] = [];
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) {
        const answer = await query(fill(target.expr));
        expect(answer, `${panel.title}: ${target.expr}`).toMatchObject({ status: 'success' });
        if (answer.result.length === 0) empty.push(`${panel.title}: ${target.expr}`);
      }
    }
    const total = dashboard.panels.flatMap((panel) => panel.targets ?? []).length;
    process.stdout.write(
      `prometheus: ${total} dashboard queries, ${empty.length} without series:\n  ${empty.join('\n  ')}\n`,
    );
    // Only labelled error and exit counters may be empty on a healthy run (no error, no exit yet).
    for (const line of empty)
      expect(line).toMatch(/hls_swarm_http_errors_total|hls_swarm_client_exits_total/);
  });

  it('stops Prometheus, the swarms and the origin by their owners: nothing is left', async () => {
    const prometheusPid = prometheus?.pid as number;
    expect(viewerPids.size).toBe(SHARDS * VIEWERS_PER_SHARD);
    await stopEverything();
    expect(prometheus?.running).toBe(false);
    expect(await waitUntil(() => !alive(prometheusPid), 5000)).toBe(true);
    expect(liveFfmpeg(viewerPids)).toEqual([]);
    expect(groupMembers(originPids)).toEqual([]);
    expect(await taggedLeftovers(TAG)).toEqual([]);
    expect(await listeningPorts(ports)).toEqual([]);
  });
});
