/*
 * Records the report fixtures the report unit tests read, from real runs on this machine:
 *   node --import tsx src/report/test/record-reports.ts
 * - pass.json:        python origin (tiny), 2 viewers, 10 s, thresholds that hold, one non-strict breach
 * - outage.json:      the same origin stopped at 8 s (action), error thresholds breaking
 * - interrupted.json: aborted by the caller's signal 8 s into a 60 s run
 * - baseline.json:    'recorded pass' again, with pass.json as its baseline (scenario `baseline:`)
 * - mixed.json:       2 ffmpeg + 4 light viewers (swarm.viewers), 10 s: the per-kind breakdown
 * `--only baseline` records baseline.json alone, against the pass.json already there;
 * `--only mixed` mixed.json alone.
 * Custom headers with secret-looking values are set so redaction is checked on real output.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ScenarioInput } from '../../config/index.js';
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

const passScenario: ScenarioInput = {
  ...base,
  name: 'recorded pass',
  slo: {
    request_errors: 'rate<0.05',
    segment_duration: ['p(95)<3s', { threshold: 'p(50)<0.01ms', strict: false }],
    startup_time: { threshold: 'max<10s', window: 'whole' },
  },
};

/** The pass scenario run again against pass.json (a path relative to the repository, as users write it). */
async function recordBaseline(dir: string): Promise<string> {
  const run = await runScenario(
    { ...passScenario, baseline: { report: relative(process.cwd(), join(OUT, 'pass.json')) } },
    { reportFile: join(dir, 'baseline.json'), keepOriginLogs: false, log: console.log },
  );
  await copyFile(run.reportPath, join(OUT, 'baseline.json'));
  return run.verdict;
}

/** The pass scenario's origin and thresholds with ffmpeg and light viewers side by side. */
async function recordMixed(dir: string): Promise<string> {
  const { clients: _clients, ...swarm } = base.swarm;
  const run = await runScenario(
    {
      ...passScenario,
      name: 'recorded mixed viewers',
      swarm: { ...swarm, viewers: { ffmpeg: 2, light: 4 }, rampRate: 6 },
    },
    { reportFile: join(dir, 'mixed.json'), keepOriginLogs: false, log: console.log },
  );
  await copyFile(run.reportPath, join(OUT, 'mixed.json'));
  return run.verdict;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string' } } });
  const dir = await mkdtemp(join(tmpdir(), 'hls-swarm-record-'));
  try {
    if (values.only === 'baseline') {
      console.log(`verdict: ${await recordBaseline(dir)}`);
      return;
    }
    if (values.only === 'mixed') {
      console.log(`verdict: ${await recordMixed(dir)}`);
      return;
    }
    const pass = await runScenario(passScenario, {
      reportFile: join(dir, 'pass.json'),
      keepOriginLogs: false,
      log: console.log,
    });
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
    const baseline = await recordBaseline(dir);
    const mixed = await recordMixed(dir);
    console.log(
      `verdicts: ${pass.verdict}, ${outage.verdict}, ${interrupted.verdict}, ${baseline}, ${mixed}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
