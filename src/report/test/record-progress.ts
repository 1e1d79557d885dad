/*
 * Records the live progress updates the dashboard unit test (src/report/dashboard.test.ts)
 * renders, from a real run on this machine:
 *   node --import tsx src/report/test/record-progress.ts
 * An nginx origin (tiny profile, both exporters: origin CPU) behind a small relay that answers
 * 404 to every 4th segment request and 503 to every 7th (HTTP errors by status), 3 viewers for
 * 14 s, progress every 2 s, thresholds that hold, break and wait for the steady window.
 * Every update onProgress received goes to fixtures/progress/faulty-origin.json.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { originSchema } from '../../config/index.js';
import { startOrigin } from '../../origin/index.js';
import { runScenario } from '../../runner/index.js';
import type { ProgressUpdate } from '../index.js';

const OUT = fileURLToPath(new URL('./fixtures/progress/', import.meta.url));

/** Forwards to `target`, but fails every 4th (404) and 7th (503) segment request. */
async function startFaultyRelay(target: URL): Promise<{ url: string; close(): Promise<void> }> {
  let segments = 0;
  const server = createServer((incoming, outgoing) => {
    if (incoming.url?.endsWith('.ts')) {
      segments += 1;
      const status = segments % 4 === 0 ? 404 : segments % 7 === 0 ? 503 : 0;
      if (status) {
        outgoing.writeHead(status).end();
        return;
      }
    }
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: incoming.url,
        method: incoming.method,
        headers: incoming.headers,
      },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    upstream.on('error', () => outgoing.writeHead(502).end());
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function main(): Promise<void> {
  const origin = await startOrigin(
    originSchema.parse({
      kind: 'nginx',
      profile: 'tiny',
      port: 0,
      nginxExporterPort: 0,
      nodeExporterPort: 0,
    }),
  );
  const relay = await startFaultyRelay(new URL(origin.streamUrl));
  const dir = await mkdtemp(join(tmpdir(), 'hls-swarm-record-progress-'));
  const updates: ProgressUpdate[] = [];
  try {
    const run = await runScenario(
      {
        name: 'recorded faulty origin',
        origin: {
          kind: 'external',
          url: relay.url,
          exporters: {
            ...(origin.exporters.nginx ? { nginx: origin.exporters.nginx } : {}),
            ...(origin.exporters.node ? { node: origin.exporters.node } : {}),
          },
        },
        swarm: { clients: 3, rampRate: 3, duration: '14s', warmup: '4s', metricsPort: 0 },
        report: { progressInterval: '2s' },
        slo: {
          segment_duration: 'p(95)<3s',
          request_errors: 'rate<0.01',
          startup_time: { threshold: 'max<10s', window: 'whole' },
        },
      },
      {
        reportFile: join(dir, 'report.json'),
        keepOriginLogs: false,
        log: console.log,
        onProgress: (update) => updates.push(update),
      },
    );
    console.log(`verdict: ${run.verdict}; ${updates.length} progress updates`);
    await mkdir(OUT, { recursive: true });
    await writeFile(
      join(OUT, 'faulty-origin.json'),
      `${JSON.stringify({ recordedAt: new Date().toISOString(), updates }, null, 2)}\n`,
    );
  } finally {
    await relay.close();
    await origin.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
