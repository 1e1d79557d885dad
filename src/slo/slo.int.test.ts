import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originSchema, parseWith } from '../config/index.js';
import { MetricsSampler } from '../metrics/index.js';
import { playlistSegments, type RunningOrigin, startOrigin } from '../origin/index.js';
import { groupMembers, waitUntil } from '../system/test/processes.js';
import { compileSlo, evaluateThresholds, LiveSloMonitor, type SloAbort } from './index.js';

/*
 * Real processes: the nginx origin (generator, nginx with its JSON access log, nginx-exporter,
 * node-exporter), a bounded burst of HTTP traffic with undici on 127.0.0.1, the sampler and
 * the SLO engine over what it recorded.
 */

const INTERVAL = '500ms';
const INTERVAL_MS = 500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * GETs the playlist and its segments (ffmpeg-style Range) from `concurrency` loops until
 * `signal` aborts, `deadlineMs` passes or `maxRequests` were sent. Returns requests made.
 */
async function traffic(
  origin: RunningOrigin,
  options: { concurrency: number; deadlineMs: number; maxRequests: number; signal?: AbortSignal },
): Promise<number> {
  const agent = new Agent({ connections: options.concurrency });
  let sent = 0;
  const loop = async () => {
    while (sent < options.maxRequests && Date.now() < options.deadlineMs && !options.signal?.aborted) {
      sent++;
      const playlist = await request(origin.streamUrl, { dispatcher: agent });
      const text = await playlist.body.text();
      for (const segment of playlistSegments(text).slice(-2)) {
        if (sent >= options.maxRequests || options.signal?.aborted) break;
        sent++;
        const response = await request(new URL(segment, origin.streamUrl).href, {
          dispatcher: agent,
          headers: { range: 'bytes=0-' },
        });
        await response.body.dump({ limit: 10 * 1024 * 1024 });
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, loop));
  } finally {
    await agent.close();
  }
  return sent;
}

describe('SLO engine over a real nginx origin and its exporters', () => {
  let origin: RunningOrigin;
  let pgids: number[] = [];

  beforeAll(async () => {
    origin = await startOrigin(
      parseWith(
        originSchema,
        { kind: 'nginx', port: 0, nginxExporterPort: 0, nodeExporterPort: 0, profile: 'tiny' },
        'test',
      ),
    );
    pgids = origin.status().processes.map((process) => process.pid as number);
  });

  afterAll(async () => {
    await origin?.stop();
    await waitUntil(() => groupMembers(pgids).length === 0, 10_000);
    expect(groupMembers(pgids)).toEqual([]);
  });

  it('samples nginx, node and the access log; a threshold that must hold holds and one that must fail fails', async () => {
    expect(origin.exporters.nginx).toBeDefined();
    expect(origin.exporters.node).toBeDefined();
    expect(origin.accessLog).toBeDefined();
    const sampler = new MetricsSampler({
      spec: { swarmInterval: INTERVAL, exporterInterval: INTERVAL, scrapeTimeout: '2s', targets: [] },
      origin,
      accessLogPollMs: 200,
    });
    const startMs = Date.now();
    sampler.start();
    const sent = await traffic(origin, { concurrency: 3, deadlineMs: Date.now() + 5000, maxRequests: 3000 });
    // Let the last scrapes and the access log catch up; on an idle machine the request budget
    // can be spent in under 2 s, so keep sampling for at least 6.5 s in all (the checks below
    // want >= 5 one-second rows and >= 5 scrapes).
    await sleep(Math.max(1200, startMs + 6500 - Date.now()));
    await sampler.stop();
    const endMs = Date.now();
    expect(sent).toBeGreaterThan(10);

    const results = evaluateThresholds(
      compileSlo({
        nginx_connections_active: { threshold: 'value>0', window: 'whole' },
        node_cpu_utilization: [
          { threshold: 'max<1.01', window: 'whole' },
          { threshold: 'min>=0', window: 'whole' },
        ],
        node_memory_utilization: { threshold: 'value<1', window: 'whole' },
        nginx_requests_per_second: [
          { threshold: 'max>1', window: 'whole' },
          { threshold: 'max<0.001', window: 'whole' }, // must fail: there was traffic
        ],
        'node_network_transmit_bytes_per_second{device="lo"}': { threshold: 'max>0', window: 'whole' },
        'nginx_request_time{kind="segment"}': [
          { threshold: 'count>=1', window: 'whole' },
          { threshold: 'p(99)<5s', window: 'whole' },
        ],
        nginx_dropped_connections: { threshold: 'count==0', window: 'whole' },
        segment_ttfb: { threshold: 'p(95)<1', window: 'whole' }, // must fail: no swarm in this test
      }),
      sampler.store,
      { startMs, endMs },
    );
    const byKey = (metric: string, expression: string) =>
      results.find((result) => result.metric === metric && result.expression === expression);

    for (const result of results) {
      const mustFail = result.expression === 'max<0.001' || result.metric === 'segment_ttfb';
      expect({
        metric: result.metric,
        expression: result.expression,
        ok: result.ok,
        message: result.message,
      }).toEqual({
        metric: result.metric,
        expression: result.expression,
        ok: !mustFail,
        message: result.message,
      });
    }
    expect(byKey('nginx_requests_per_second', 'max<0.001')?.observed).toBeGreaterThan(1);
    expect(byKey('segment_ttfb', 'p(95)<1')?.message).toMatch(/does not exist/);
    const cpu = byKey('node_cpu_utilization', 'max<1.01');
    expect(cpu?.observed).toBeGreaterThan(0);
    expect(cpu?.samples).toBeGreaterThanOrEqual(3);

    const health = Object.fromEntries(sampler.scrapeHealth().map((target) => [target.name, target]));
    expect(health.nginx).toMatchObject({ failures: 0 });
    expect(health.node).toMatchObject({ failures: 0 });
    expect(health.nginx?.attempts).toBeGreaterThanOrEqual(5);
    expect(sampler.accessLogHealth()?.linesRead).toBeGreaterThan(10);

    const series = sampler.timeseries(1000);
    expect(series.atMs.length).toBeGreaterThanOrEqual(5);
    expect(series.series.nginx_requests_per_second?.some((value) => value !== null && value > 1)).toBe(true);
    expect(series.series.node_cpu_utilization?.some((value) => value !== null)).toBe(true);
  });

  it('abortOnFail fires at the sample that first shows the breach', async () => {
    const sampler = new MetricsSampler({
      spec: { swarmInterval: INTERVAL, exporterInterval: INTERVAL, scrapeTimeout: '2s', targets: [] },
      origin,
    });
    const compiled = compileSlo({
      nginx_requests_per_second: { threshold: 'value<20', abortOnFail: true, window: 'whole' },
      node_cpu_utilization: { threshold: 'max<1.01', abortOnFail: true, window: 'whole' }, // never breaks
    });
    const startMs = Date.now();
    const stopRun = new AbortController();
    let abort: SloAbort | undefined;
    const monitor = new LiveSloMonitor(compiled, sampler.store, {
      timeline: () => ({ startMs }),
      onAbort: (reason) => {
        abort = reason;
        stopRun.abort(reason.reason);
      },
      minCheckIntervalMs: 0,
    });
    monitor.attach(sampler);
    sampler.start();
    await sleep(4 * INTERVAL_MS); // quiet: only the exporter's own stub_status requests
    expect(abort).toBeUndefined();

    const burstStartMs = Date.now();
    const sent = await traffic(origin, {
      concurrency: 4,
      deadlineMs: burstStartMs + 15_000,
      maxRequests: 20_000,
      signal: stopRun.signal,
    });
    const burstEndMs = Date.now();
    await sampler.stop();
    monitor.detach();

    expect(abort).toBeDefined();
    const fired = abort as SloAbort;
    expect(fired.metric).toBe('nginx_requests_per_second');
    expect(fired.reason).toMatch(/abortOnFail: nginx_requests_per_second value<20 broke/);
    expect(fired.observed).toBeGreaterThanOrEqual(20);
    // The first scrape whose requests/s breaks the bound is the sample that aborted the run.
    const rps = sampler.store.seriesOf('nginx_requests_per_second')[0]?.data;
    let firstBreachMs: number | undefined;
    for (let index = 0; rps && index < rps.length; index++) {
      if (rps.valueAt(index) >= 20) {
        firstBreachMs = rps.timeAt(index);
        break;
      }
    }
    expect(firstBreachMs).toBeDefined();
    expect(fired.atMs - (firstBreachMs as number)).toBeGreaterThanOrEqual(0);
    expect(fired.atMs - (firstBreachMs as number)).toBeLessThan(INTERVAL_MS);
    // ...and the run (the burst) stopped soon after, not at its 15 s deadline.
    expect(burstEndMs - fired.atMs).toBeLessThan(3000);
    expect(fired.atMs - burstStartMs).toBeLessThan(5000);
    expect(sent).toBeGreaterThan(0);
  });
});
