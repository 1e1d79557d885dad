import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { findFreePort } from '../system/index.js';
import { MetricsSampler, type SampleEvent } from './sampler.js';

// An in-process HTTP server serving recorded scrapes (fixtures/record/exporter-scrapes.sh)
// and the ways a target can go wrong.
const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/exporters/${name}`, import.meta.url), 'utf8');

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

async function serve(): Promise<{ base: string; hits: Map<string, number>; server: Server }> {
  const hits = new Map<string, number>();
  let nodeScrape = 0;
  server = createServer((req, res) => {
    hits.set(req.url ?? '', (hits.get(req.url ?? '') ?? 0) + 1);
    if (req.url === '/nginx')
      res.end(fixture(`nginx-exporter-${(hits.get('/nginx') as number) > 1 ? 2 : 1}.prom`));
    else if (req.url === '/node') res.end(fixture(`node-exporter-${nodeScrape++ % 2 === 0 ? 1 : 2}.prom`));
    else if (req.url === '/broken') {
      res.statusCode = 500;
      res.end('internal error');
    } else if (req.url === '/html') res.end('<html>oops</html>\n');
    else if (req.url === '/hang') {
      /* never answers */
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, hits, server };
}

const waitFor = async (condition: () => boolean, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('MetricsSampler', () => {
  it('scrapes each target on its interval, counts failures per target, and stops cleanly', {
    timeout: 30_000,
  }, async () => {
    const { base, hits, server: http } = await serve();
    const refusedPort = await findFreePort();
    const sampler = new MetricsSampler({
      spec: {
        swarmInterval: '100ms',
        exporterInterval: '100ms',
        scrapeTimeout: '1s',
        targets: [
          { name: 'broken', url: `${base}/broken`, interval: '100ms' },
          { name: 'html', url: `${base}/html`, interval: '100ms' },
          { name: 'hang', url: `${base}/hang`, interval: '100ms' },
          { name: 'refused', url: `http://user:secret@127.0.0.1:${refusedPort}/metrics`, interval: '100ms' },
        ],
      },
      origin: { exporters: { nginx: `${base}/nginx`, node: `${base}/node` } },
    });
    const events: SampleEvent[] = [];
    sampler.on('sample', (event) => events.push(event));
    sampler.start();
    await waitFor(() => {
      const health = sampler.scrapeHealth();
      return health.every((target) => target.attempts >= 3);
    }, 15_000);
    await sampler.stop();
    const attemptsAtStop = sampler.scrapeHealth().map((target) => target.attempts);

    const health = Object.fromEntries(sampler.scrapeHealth().map((target) => [target.name, target]));
    expect(health.nginx).toMatchObject({ role: 'nginx', failures: 0 });
    expect(health.node).toMatchObject({ role: 'node', failures: 0 });
    expect(health.broken?.lastError).toMatch(/HTTP 500/);
    expect(health.html?.lastError).toMatch(/malformed exposition/);
    expect(health.hang?.lastError).toMatch(/timed out after 1000 ms/);
    expect(health.refused?.lastError).toMatch(/ECONNREFUSED/);
    expect(health.refused?.url).not.toContain('secret');
    for (const name of ['broken', 'html', 'hang', 'refused'])
      expect(health[name]?.failures).toBe(health[name]?.attempts);

    expect(sampler.store.window('nginx_requests_per_second', {}, 0, Date.now())?.count).toBeGreaterThan(0);
    expect(sampler.store.window('node_cpu_utilization', {}, 0, Date.now())?.count).toBeGreaterThan(0);
    expect(events.some((event) => event.source === 'broken' && !event.ok)).toBe(true);
    expect(events.some((event) => event.source === 'nginx' && event.ok)).toBe(true);

    // After stop: no more scrapes, no open connections.
    const hitsAtStop = [...hits.values()].reduce((a, b) => a + b, 0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect([...hits.values()].reduce((a, b) => a + b, 0)).toBe(hitsAtStop);
    expect(sampler.scrapeHealth().map((target) => target.attempts)).toEqual(attemptsAtStop);
    const openConnections = () =>
      new Promise<number>((resolve) => http.getConnections((_, count) => resolve(count)));
    const deadline = Date.now() + 5000;
    while ((await openConnections()) > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await openConnections()).toBe(0);
  });

  it('rejects two targets with one name', () => {
    expect(
      () =>
        new MetricsSampler({
          spec: {
            swarmInterval: '1s',
            exporterInterval: '2s',
            scrapeTimeout: '1s',
            targets: [{ name: 'nginx', url: 'http://127.0.0.1:1/metrics', interval: '2s' }],
          },
          origin: { exporters: { nginx: 'http://127.0.0.1:2/metrics' } },
        }),
    ).toThrow(/"nginx" is used twice/);
  });
});
