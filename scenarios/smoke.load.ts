import { scenario } from 'hls-swarm/vitest';

/*
 * Smoke: the python origin with the tiny profile, a few viewers for ~20 s. A quick check that
 * the whole chain (origin → viewers → metrics → thresholds → report) works on this machine.
 */
scenario('smoke', {
  origin: { kind: 'python', profile: 'tiny', port: 0 },
  swarm: { clients: 3, rampRate: 3, duration: '20s', warmup: '4s', metricsPort: 0 },
  slo: {
    request_errors: 'rate<0.01',
    segment_duration: 'p(95)<2s',
    startup_time: { threshold: 'max<10s', window: 'whole' },
    clients_active: 'min>=3',
    // Player QoE (docs/metrics.md#player-qoe): every viewer started playing.
    video_start_failures: { threshold: 'count==0', window: 'whole' },
  },
});
