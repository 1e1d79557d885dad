/*
 * Test helper run as a separate Node process (vm.int.test.ts SIGKILLs it): starts the vm origin
 * on the given free ports, and as soon as its QEMU runs and forwards the HTTP port, prints one
 * JSON line { qemuPid, ports, workspace }; then waits to be killed.
 */
import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { originSchema } from '../../../config/index.js';
import { isPortListening } from '../../../system/index.js';
import { startVmOrigin, type VmOriginSpec } from '../index.js';

const image = JSON.parse(process.argv[2] ?? '{}') as { kernel: string; initrd?: string; disk: string };
const [http, nginxExporter, nodeExporter] = JSON.parse(process.argv[3] ?? '[]') as number[];
void startVmOrigin(
  originSchema.parse({
    kind: 'vm',
    profile: 'tiny',
    accel: 'tcg',
    readyTimeout: '300s',
    port: http,
    nginxExporterPort: nginxExporter,
    nodeExporterPort: nodeExporter,
    image,
  }) as VmOriginSpec,
).catch(() => {});

const deadline = Date.now() + 60_000;
while (Date.now() < deadline) {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid=,comm='], { encoding: 'utf8' });
  const qemu = out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find(([, ppid, comm]) => Number(ppid) === process.pid && comm?.startsWith('qemu-system'));
  if (qemu && (await isPortListening(http as number))) {
    const qemuPid = Number(qemu[0]);
    const workspace = readlinkSync(`/proc/${qemuPid}/cwd`);
    process.stdout.write(
      `${JSON.stringify({ qemuPid, ports: [http, nginxExporter, nodeExporter], workspace })}\n`,
    );
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
}
setInterval(() => {}, 1000);
