/*
 * Records the report fixtures the report unit tests read, from real runs on this machine:
 *   node --import tsx src/report/test/record-reports.ts
 * - pass.json:        python origin (tiny), 2 viewers, 10 s, thresholds that hold, one non-strict breach
 * - outage.json:      the same origin stopped at 8 s (action), error thresholds breaking
 * - interrupted.json: aborted by the caller's signal 8 s into a 60 s run
 * Custom headers with secret-looking values are set so redaction is checked on real output.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScenario } from '../../runner/index.js';

const OUT = fileURLToPath(new URL('./fixtures/', import.meta.url));

const base = {
  origin: { kind: 'python', profile: 'tiny', port: 0 },
  swarm: {
    clients: 2,
    rampRate: 2,
    duration: '10s',
    warmup: '2s',
    metricsPort: 0,
    headers: { Authorization: 'Bearer recorded-secret-token', 'X-Viewer': 'fixture' },
  },
  report: { progressInterval: '5s' },
} as const;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'hls-swarm-record-'));
  try {
    const pass = await runScenario(
      {
        ...base,
        name: 'recorded pass',
        slo: {
          request_errors: 'rate<0.05',
          segment_duration: ['p(95)<3s', { threshold: 'p(50)<0.01ms', strict: false }],
          startup_time: { threshold: 'max<10s', window: 'whole' },
        },
      },
      { reportFile: join(dir, 'pass.json'), keepOriginLogs: false, log: console.log },
    );
    await copyFile(pass.reportPath, join(OUT, 'pass.json'));

    const outage = await runScenario(
      {
        ...base,
        name: 'recorded outage',
        swarm: { ...base.swarm, duration: '16s', timeout: '3s' },
        slo: { request_errors: ['rate<0.01', { threshold: 'rate<0.5', window: '4s', strict: false }] },
      },
      {
        reportFile: join(dir, 'outage.json'),
        keepOriginLogs: false,
        log: console.log,
        actions: [{ name: 'stop origin', at: '8s', run: ({ origin }) => origin.stop() }],
      },
    );
    await copyFile(outage.reportPath, join(OUT, 'outage.json'));

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('recorded interruption')), 20_000);
    const interrupted = await runScenario(
      {
        ...base,
        name: 'recorded interruption',
        swarm: { ...base.swarm, duration: '60s' },
        slo: { request_errors: 'rate<0.05' },
      },
      {
        reportFile: join(dir, 'interrupted.json'),
        keepOriginLogs: false,
        log: console.log,
        signal: controller.signal,
      },
    );
    clearTimeout(timer);
    await copyFile(interrupted.reportPath, join(OUT, 'interrupted.json'));
    console.log(`verdicts: ${pass.verdict}, ${outage.verdict}, ${interrupted.verdict}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
