import type { RunResult } from 'hls-swarm/vitest';
import { expect, loadTest, scenario } from 'hls-swarm/vitest';

/*
 * ABR: one nginx origin serving a master playlist with three variants (480p, 360p, 240p),
 * booted once for the file; two scenarios pick the highest and the lowest variant. Both must
 * hold the same latency/error gate, and the highest must really pull more bytes per second
 * (averaged over each swarm's run).
 */
loadTest.override({
  originSpec: { kind: 'nginx', profile: 'abr', port: 0, nginxExporterPort: 0, nodeExporterPort: 0 },
});

const runs = new Map<string, RunResult>();
const swarm = { clients: 5, rampRate: 5, duration: '20s', warmup: '4s', metricsPort: 0 } as const;
const slo = {
  request_errors: 'rate<0.01',
  segment_duration: 'p(95)<2s',
  startup_time: { threshold: 'p(95)<10s', window: 'whole' },
};

scenario('highest variant', { swarm: { ...swarm, variant: 'highest' }, slo }, (run) => {
  runs.set('highest', run);
});

scenario('lowest variant', { swarm: { ...swarm, variant: 'lowest' }, slo }, (run) => {
  const highest = runs.get('highest');
  expect(highest, 'the highest-variant scenario runs first').toBeDefined();
  const highBytesPerSecond = highest?.report.swarm?.throughputBytesPerSecond ?? 0;
  const lowBytesPerSecond = run.report.swarm?.throughputBytesPerSecond ?? 0;
  // 480p at 1200 kb/s vs 240p at 400 kb/s (plus audio, playlists and ffmpeg's start-up
  // probing): measured 2.1-2.6x here; the gate asks for 1.5x.
  expect(highBytesPerSecond).toBeGreaterThan(1.5 * lowBytesPerSecond);
});
