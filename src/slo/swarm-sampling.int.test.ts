import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originSchema, parseWith, swarmSchema } from '../config/index.js';
import { MetricsSampler } from '../metrics/index.js';
import { type RunningOrigin, startOrigin } from '../origin/index.js';
import { type RequestRecord, startSwarm } from '../swarm/index.js';
import { groupMembers, waitUntil } from '../system/test/processes.js';
import { compileSlo, evaluateThresholds } from './index.js';

/*
 * Real processes end to end: the nginx origin (tiny profile) with both exporters and its
 * JSON access log, two real ffmpeg viewers, and the sampler attached to the swarm's events
 * and scraping the swarm's /metrics. Checks that swarm trends are exact (every event value,
 * nothing else) and that the origin's view agrees.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function referencePercentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (q / 100) * (sorted.length - 1);
  const low = sorted[Math.floor(rank)] as number;
  const high = sorted[Math.ceil(rank)] as number;
  return low + (high - low) * (rank - Math.floor(rank));
}

describe('sampler attached to a real swarm and a real nginx origin', () => {
  let origin: RunningOrigin;
  const pgids: number[] = [];

  beforeAll(async () => {
    origin = await startOrigin(
      parseWith(
        originSchema,
        { kind: 'nginx', port: 0, nginxExporterPort: 0, nodeExporterPort: 0, profile: 'tiny' },
        'test',
      ),
    );
    pgids.push(...origin.status().processes.map((process) => process.pid as number));
  });

  afterAll(async () => {
    await origin?.stop();
    await waitUntil(() => groupMembers(pgids).length === 0, 10_000);
    expect(groupMembers(pgids)).toEqual([]);
  });

  it('records every request exactly, the swarm gauges, its /metrics and the origin view', async () => {
    const swarm = await startSwarm({
      url: origin.streamUrl,
      spec: swarmSchema.parse({ clients: 2, rampRate: 4, duration: '14s', metricsPort: 0 }),
    });
    const sampler = new MetricsSampler({
      spec: { swarmInterval: '500ms', exporterInterval: '1s', scrapeTimeout: '2s', targets: [] },
      swarmMetricsUrl: swarm.metricsUrl,
      origin,
      accessLogPollMs: 250,
    });
    const requests: RequestRecord[] = [];
    swarm.on('request', (record) => requests.push(record));
    swarm.on('clientStarted', (event) => pgids.push(event.pid));
    sampler.attachSwarm(swarm);
    const startMs = Date.now();
    sampler.start();
    await swarm.done;
    await sleep(1000); // the access log and the last scrapes catch up
    await sampler.stop();
    const endMs = Date.now();
    const store = sampler.store;

    const segmentTtfbs = requests
      .filter((r) => r.kind === 'segment' && r.ttfbSeconds !== undefined)
      .map((r) => r.ttfbSeconds as number);
    expect(segmentTtfbs.length).toBeGreaterThanOrEqual(4);
    const ttfb = store.window('segment_ttfb', {}, 0, Number.MAX_SAFE_INTEGER);
    expect(ttfb?.count).toBe(segmentTtfbs.length);
    const [p95] = evaluateThresholds(
      compileSlo({ segment_ttfb: { threshold: 'p(95)<5s', window: 'whole' } }),
      store,
      { startMs: startMs - 60_000, endMs: endMs + 60_000 },
    );
    expect(p95?.observed).toBe(referencePercentile(segmentTtfbs, 95));

    const results = evaluateThresholds(
      compileSlo({
        clients_active: [
          { threshold: 'max==2', window: 'whole' },
          { threshold: 'min>=0', window: 'whole' },
        ],
        request_errors: { threshold: 'rate<0.5', window: 'whole' },
        restarts: { threshold: 'count==0', window: 'whole' },
        'http_errors{status="500"}': { threshold: 'count==0', window: 'whole' },
        throughput: { threshold: 'max>0', window: 'whole' },
        startup_time: { threshold: 'count>=1', window: 'whole' },
        hls_swarm_clients_started_total: { threshold: 'count>=0', window: 'whole' },
        'nginx_request_time{kind="segment"}': { threshold: 'count>=1', window: 'whole' },
        nginx_connections_active: { threshold: 'max>=2', window: 'whole' },
        node_cpu_utilization: { threshold: 'max<1.01', window: 'whole' },
      }),
      store,
      { startMs, endMs },
    );
    for (const result of results)
      expect({
        metric: result.metric,
        expression: result.expression,
        ok: result.ok,
        message: result.message,
      }).toEqual({
        metric: result.metric,
        expression: result.expression,
        ok: true,
        message: result.message,
      });

    // The origin saw at least the segments the viewers completed (it also saw probes).
    const okSegments = requests.filter((r) => r.kind === 'segment' && r.ok).length;
    const served = store.window('nginx_request_time', { kind: 'segment' }, 0, Number.MAX_SAFE_INTEGER);
    expect(served?.count).toBeGreaterThanOrEqual(okSegments);

    const health = Object.fromEntries(sampler.scrapeHealth().map((target) => [target.name, target]));
    expect(Object.keys(health).sort()).toEqual(['nginx', 'node', 'swarm']);
    expect(health.nginx?.failures).toBe(0);
    expect(health.node?.failures).toBe(0);
    // The swarm's endpoint closes when the swarm ends: only scrapes after that may fail.
    expect(health.swarm?.attempts).toBeGreaterThan(health.swarm?.failures ?? 0);

    const series = sampler.timeseries(1000, startMs, endMs);
    expect(series.series.clients_active?.some((value) => value === 2)).toBe(true);
    expect(series.series.requests?.reduce<number>((sum, value) => sum + (value ?? 0), 0)).toBeGreaterThan(0);
  });
});
