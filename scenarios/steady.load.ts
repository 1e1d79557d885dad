import { scenario } from 'hls-swarm/vitest';

/*
 * Steady state: 50 viewers on the native nginx origin (with its nginx and node exporters)
 * for 60 s. Gates on viewer-side latency and errors, nginx's own request time from its access
 * log, and the origin host's CPU.
 *
 * CPU: node-exporter measures the whole host, and here the viewers, the origin and whatever
 * else runs on this shared 2-core machine are one host (it measured 100 % busy with other
 * work running). So the CPU bound is reported, not gated (`strict: false`), and the gate only
 * requires that CPU was measured at all. Against an origin on its own host (vm, container on
 * another machine, external with its node exporter), make the bound strict.
 *
 * Player QoE: no viewer may fail to start; rebuffering is reported (not gated) for the same
 * reason as CPU — on a shared 2-core runner a stall can be the runner's, not the origin's.
 */
scenario('50 viewers hold steady on nginx', {
  origin: { kind: 'nginx', profile: 'default', port: 0, nginxExporterPort: 0, nodeExporterPort: 0 },
  swarm: { clients: 50, rampRate: 10, duration: '60s', warmup: '5s', metricsPort: 0 },
  slo: {
    request_errors: 'rate<0.01',
    http_errors: 'count==0',
    segment_duration: ['p(95)<1s', 'p(99)<2s'],
    segment_ttfb: 'p(95)<500ms',
    manifest_duration: 'p(95)<500ms',
    nginx_request_time: 'p(95)<500ms',
    clients_active: 'min>=48',
    node_cpu_utilization: [{ threshold: 'avg<0.8', strict: false }, 'max<=1'],
    node_memory_utilization: 'max<0.95',
    video_start_failures: { threshold: 'count==0', window: 'whole' },
    rebuffer_ratio: { threshold: 'rate<0.01', strict: false },
  },
});
