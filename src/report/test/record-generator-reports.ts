/*
 * Records the saturated-generator report fixtures the report unit tests read, from real runs
 * on this machine (needs root: the viewers are starved in a test-owned cgroup beside a hog):
 *   node --import tsx src/report/test/record-generator-reports.ts
 * - inconclusive.json:    python origin (tiny), 3 viewers starved to 5 % of one core beside 2 hogs,
 *                         onSaturation 'inconclusive'; a latency and an error threshold
 * - saturated-warn.json:  the same with onSaturation 'warn'
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScenario } from '../../runner/index.js';
import { confineViewers, starveCpu } from '../../runner/test/cpu-starvation.js';

const OUT = fileURLToPath(new URL('./fixtures/', import.meta.url));

async function record(name: string, onSaturation: 'inconclusive' | 'warn', dir: string): Promise<string> {
  const starvation = starveCpu({ quotaPercent: 5, hogs: 2 });
  try {
    const result = await runScenario(
      {
        name: `recorded saturated generator (${onSaturation})`,
        origin: { kind: 'python', profile: 'tiny', port: 0 },
        swarm: { clients: 3, rampRate: 10, duration: '12s', warmup: '2s', metricsPort: 0 },
        slo: { segment_duration: 'p(95)<10s', http_errors: 'count==0' },
        generator: { onSaturation },
      },
      {
        reportFile: join(dir, `${name}.json`),
        keepOriginLogs: false,
        log: console.log,
        actions: [confineViewers(starvation)],
      },
    );
    await copyFile(result.reportPath, join(OUT, `${name}.json`));
    return result.verdict;
  } finally {
    await starvation.stop();
  }
}

const dir = await mkdtemp(join(tmpdir(), 'hls-swarm-record-'));
try {
  const verdicts = [
    await record('inconclusive', 'inconclusive', dir),
    await record('saturated-warn', 'warn', dir),
  ];
  console.log(`verdicts: ${verdicts.join(', ')}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
