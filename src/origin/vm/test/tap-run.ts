/*
 * Runs INSIDE a network namespace (vm-tap.int.test.ts starts it with `ip netns exec`): boots the
 * vm origin in TAP mode (tap hlstap0 on bridge hlsbr0, guest 10.177.0.10), runs 2 viewers for
 * 10 s against the guest's address, reads both exporters there, stops, and prints one line
 * `RESULT <json>` for the test to check. Image files come as argv[2] (JSON).
 */
import { originSchema, swarmSchema } from '../../../config/index.js';
import { startSwarm } from '../../../swarm/index.js';
import { findSamples } from '../../wait/index.js';
import { startVmOrigin, type VmOriginSpec } from '../index.js';

const image = JSON.parse(process.argv[2] ?? '{}') as { kernel: string; initrd?: string; disk: string };
const startedMs = Date.now();
const origin = await startVmOrigin(
  originSchema.parse({
    kind: 'vm',
    profile: 'tiny',
    network: 'tap',
    accel: 'tcg',
    readyTimeout: '240s',
    image,
  }) as VmOriginSpec,
);
const readyMs = Date.now() - startedMs;
try {
  const swarm = await startSwarm({
    url: origin.streamUrl,
    spec: swarmSchema.parse({ clients: 2, rampRate: 5, duration: '10s', metricsPort: 0 }),
  });
  const snapshot = await swarm.done;
  const nginxMetrics = await (await fetch(origin.exporters.nginx as string)).text();
  const nodeMetrics = await (await fetch(origin.exporters.node as string)).text();
  const result = {
    readyMs,
    streamUrl: origin.streamUrl,
    exporters: origin.exporters,
    segmentsOk: snapshot.requests.segment.ok,
    segmentsFailed: snapshot.requests.segment.failed,
    nginxUp: findSamples(nginxMetrics, 'nginx_up'),
    nodeLoopback: findSamples(nodeMetrics, 'node_network_receive_bytes_total{device="lo"}').length,
    qemuPid: origin.status().processes[0]?.pid,
  };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
} finally {
  await origin.stop();
}
