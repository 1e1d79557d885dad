// What the generator-health gauges read on this machine, to choose the saturation guard's
// defaults (src/config/schema.ts generatorSchema): a quiet run of N viewers against nginx, and
// the same run with the viewers confined to a cgroup holding QUOTA % of one core beside two CPU
// hogs (src/runner/test/cpu-starvation.ts). Both with onSaturation 'warn', so the figures are
// reported whatever they are. Needs root (cgroup). Prints one JSON line per run.
// Run: node --import tsx bench/generator-health.ts [clients=50] [duration=30s] [quotaPercent=5] [warmup=3s]
// (hundreds of viewers need a warm-up that covers their start-up: 30s for 300 on 2 cores)
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { interpolatedPercentileInPlace } from '../src/metrics/index.js';
import { runScenario } from '../src/runner/index.js';
import { confineViewers, starveCpu } from '../src/runner/test/cpu-starvation.js';

const clients = Number(process.argv[2] ?? 50);
const duration = process.argv[3] ?? '30s';
const quotaPercent = Number(process.argv[4] ?? 5);
const warmup = process.argv[5] ?? '3s';

async function measure(label: 'quiet' | 'starved') {
  const starvation = label === 'starved' ? starveCpu({ quotaPercent, hogs: 2 }) : undefined;
  try {
    const result = await runScenario(
      {
        name: `generator health ${label}`,
        origin: { kind: 'nginx', profile: 'tiny', port: 0, nginxExporterPort: 0, nodeExporterPort: 0 },
        swarm: { clients, rampRate: 25, duration, warmup, metricsPort: 0 },
        generator: { onSaturation: 'warn' },
      },
      {
        reportFile: join(tmpdir(), `hls-swarm-bench-generator-health-${label}.json`),
        ...(starvation ? { actions: [confineViewers(starvation)] } : {}),
      },
    );
    const segment = result.report.swarm?.distributions.segmentDurationSeconds;
    const steadyP95 = (metric: string) => {
      const window = result.window;
      if (!window || window.steadyStartMs === null) return null;
      const data = result.metrics?.window(metric, {}, window.steadyStartMs, window.endMs);
      return data?.type === 'trend' && data.count > 0 ? interpolatedPercentileInPlace(data.values, 95) : null;
    };
    console.log(
      JSON.stringify({
        label,
        clients,
        duration,
        warmup,
        ...(starvation ? { quotaPercentOfOneCore: quotaPercent } : {}),
        machine: `${cpus().length} CPUs ${cpus()[0]?.model}`,
        loadavg1: loadavg()[0],
        verdict: result.verdict,
        generator: result.report.generator,
        wholeRunSegmentDurationP95Seconds: segment?.p95,
        steadySegmentDurationP95Seconds: steadyP95('segment_duration'),
        steadySegmentTtfbP95Seconds: steadyP95('segment_ttfb'),
        steadyNginxRequestTimeP95Seconds: steadyP95('nginx_request_time'),
      }),
    );
  } finally {
    await starvation?.stop();
  }
}

await measure('quiet');
await measure('starved');
