import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originSchema, swarmSchema } from '../../config/index.js';
import { startSwarm } from '../../swarm/index.js';
import { findFreePort, isPortListening, PortInUseError } from '../../system/index.js';
import { alive } from '../../system/test/processes.js';
import { OriginStartError } from '../errors.js';
import type { RunningOrigin } from '../types.js';
import { findSamples } from '../wait/index.js';
import { ensureDebianGuestImage, type GuestImage, startVmOrigin, type VmOriginSpec } from './index.js';

/*
 * The real thing: the Debian guest (built, or reused from /var/cache/hls-swarm) booted under QEMU
 * (TCG here: KVM guests do not boot on these machines) through the driver on free ports, 2
 * viewers for 20 s through the forward, both exporters read through theirs, the generator's lines
 * found on the serial console log, a clean stop, and no QEMU left. A cold image build adds 1-7
 * minutes (once per machine); a warm run takes about 2 minutes on a loaded 2-core host.
 */

/** The image as a scenario gives it (kernel, initrd, disk). */
function imageFiles(): { kernel: string; initrd?: string; disk: string } {
  return { kernel: image.kernel, ...(image.initrd ? { initrd: image.initrd } : {}), disk: image.disk };
}

function vmSpec(overrides: Record<string, unknown> = {}): VmOriginSpec {
  return originSchema.parse({
    kind: 'vm',
    profile: 'tiny',
    port: 0,
    readyTimeout: '180s',
    ...overrides,
  }) as VmOriginSpec;
}

/** QEMU processes whose parent is this test worker (spawnOwned children). */
function ourQemuPids(): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid=,stat=,comm='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(
      ([, ppid, stat, comm]) =>
        Number(ppid) === process.pid && comm?.startsWith('qemu-system') && !stat?.startsWith('Z'),
    )
    .map(([pid]) => Number(pid));
}

let image: GuestImage;

beforeAll(async () => {
  const started = Date.now();
  image = await ensureDebianGuestImage({ onProgress: (line) => console.log(line) });
  console.log(`guest image ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${image.disk}`);
}, 900_000);

describe('vm origin (Debian guest under QEMU)', () => {
  let blocker: Server | undefined;

  afterAll(async () => {
    await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
    expect(ourQemuPids()).toEqual([]);
  });

  it('names a busy forwarded port before QEMU starts', async () => {
    blocker = createServer();
    const busyPort = await new Promise<number>((resolve) => {
      blocker?.listen({ port: 0, host: '127.0.0.1' }, () => {
        const address = blocker?.address();
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
    const attempt = startVmOrigin(
      vmSpec({ port: busyPort, nginxExporterPort: 0, nodeExporterPort: 0, image: imageFiles() }),
    );
    await expect(attempt).rejects.toBeInstanceOf(PortInUseError);
    await expect(attempt).rejects.toThrow(
      new RegExp(`127\\.0\\.0\\.1:${busyPort} \\(vm origin HTTP forward`),
    );
    expect(ourQemuPids()).toEqual([]);
  });

  it('runs a given runner command (the Nix runner) and fails fast with its output when it exits', async () => {
    const ports = [await findFreePort(), await findFreePort(), await findFreePort()];
    const started = Date.now();
    const attempt = startVmOrigin(
      vmSpec({
        runner: ['sh', '-c', 'echo "microvm runner: cannot open /dev/kvm"; exit 3'],
        port: ports[0],
        nginxExporterPort: ports[1],
        nodeExporterPort: ports[2],
      }),
    );
    const error = await attempt.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OriginStartError);
    expect((error as Error).message).toContain('runner exited with code 3 before the origin was ready');
    expect((error as Error).message).toContain('microvm runner: cannot open /dev/kvm');
    expect(Date.now() - started).toBeLessThan(20_000);
    // The runner's forwards are fixed in Nix: free ports cannot be chosen for it.
    await expect(startVmOrigin(vmSpec({ runner: ['true'] }))).rejects.toThrow(/ports cannot be 0/);
  });

  it('a guest that never becomes healthy fails at readyTimeout with the console tail, and QEMU is gone', async () => {
    const started = Date.now();
    // A bogus init (the last init= wins): cat waits on the console forever, so nothing ever serves.
    const attempt = startVmOrigin(vmSpec({ image: imageFiles(), accel: 'tcg', readyTimeout: '20s' }), {
      extraKernelArgs: ['init=/usr/bin/cat'],
    });
    const error = await attempt.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OriginStartError);
    const message = (error as Error).message;
    expect(message).toMatch(/vm origin: not ready after 20 s/);
    expect(message).toMatch(/HTTP http:\/\/127\.0\.0\.1:\d+\/health/);
    // The console tail: firmware, kernel and initramfs lines, but no init of ours.
    expect(message).toMatch(/--- last lines of .*console\.log ---\n(?!\(empty\))/);
    expect(message).not.toContain('hls-init: ready to serve');
    expect(Date.now() - started).toBeLessThan(90_000);
    expect(ourQemuPids()).toEqual([]);
  }, 120_000);

  it('no QEMU survives its Node process being SIGKILLed (within 5 s): ports and workspace freed', async () => {
    const ports = [await findFreePort(), await findFreePort(), await findFreePort()];
    const script = fileURLToPath(new URL('./test/boot-and-hold.ts', import.meta.url));
    const owner: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', script, JSON.stringify(imageFiles()), JSON.stringify(ports)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const line = await new Promise<string>((resolve, reject) => {
      let buffer = '';
      owner.stdout?.on('data', (data: Buffer) => {
        buffer += data.toString();
        if (buffer.includes('\n')) resolve(buffer.slice(0, buffer.indexOf('\n')));
      });
      owner.once('exit', (code) => reject(new Error(`VM owner exited early (code ${code})`)));
    });
    const started = JSON.parse(line) as { qemuPid: number; ports: number[]; workspace: string };
    expect(alive(started.qemuPid)).toBe(true);
    expect(existsSync(started.workspace)).toBe(true);
    owner.kill('SIGKILL');
    const killedAt = Date.now();
    while (Date.now() - killedAt < 5000 && (alive(started.qemuPid) || existsSync(started.workspace))) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(alive(started.qemuPid)).toBe(false);
    expect(existsSync(started.workspace)).toBe(false);
    for (const port of started.ports) expect(await isPortListening(port)).toBe(false);
  }, 90_000);

  describe('booted', () => {
    let origin: RunningOrigin;
    let qemuPid: number;

    beforeAll(async () => {
      const started = Date.now();
      origin = await startVmOrigin(vmSpec({ image: imageFiles() }), {
        onProgress: (line) => console.log(line),
      });
      console.log(
        `vm origin ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${origin.versions.accel})`,
      );
      qemuPid = origin.status().processes[0]?.pid ?? -1;
    }, 300_000);

    afterAll(async () => {
      await origin?.stop();
    }, 120_000);

    it('serves the stream through 127.0.0.1 forwards and reports the guest versions', () => {
      expect(origin.kind).toBe('vm');
      expect(origin.streamUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/stream\.m3u8$/);
      expect(origin.exporters.nginx).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(origin.exporters.node).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(origin.profile).toBe('tiny');
      expect(origin.versions.ffmpeg).toMatch(/5\.1/);
      expect(origin.versions.nginx).toMatch(/^1\.22/);
      expect(origin.versions.qemu).toMatch(/^\d+\.\d+/);
      expect(origin.status()).toMatchObject({ healthy: true, problems: [] });
      expect(qemuPid).toBeGreaterThan(0);
      expect(ourQemuPids()).toEqual([qemuPid]);
    });

    it('2 viewers for 20 s receive segments through the forwarded port', async () => {
      const spec = swarmSchema.parse({ clients: 2, rampRate: 5, duration: '20s', metricsPort: 0 });
      const swarm = await startSwarm({ url: origin.streamUrl, spec });
      const snapshot = await swarm.done;
      expect(snapshot.clientsStarted).toBe(2);
      // 2 s segments for 20 s: each viewer fetches several (its live start alone fetches 3).
      expect(snapshot.requests.segment.ok).toBeGreaterThanOrEqual(2 * 5);
      expect(snapshot.requests.segment.bytes).toBeGreaterThan(0);
      expect(snapshot.requests.manifest.ok).toBeGreaterThanOrEqual(2 * 3);
      expect(snapshot.clientsActive).toBe(0);
    }, 90_000);

    it('exposes both exporters through their forwards (nginx_up 1, node metrics with loopback)', async () => {
      const nginxMetrics = await (await fetch(origin.exporters.nginx as string)).text();
      expect(findSamples(nginxMetrics, 'nginx_up')).toEqual([1]);
      const accepted = findSamples(nginxMetrics, 'nginx_connections_accepted');
      expect(accepted[0]).toBeGreaterThan(0);
      const nodeMetrics = await (await fetch(origin.exporters.node as string)).text();
      expect(findSamples(nodeMetrics, 'node_network_receive_bytes_total{device="lo"}').length).toBe(1);
      // The guest NIC carried the viewers' traffic out: more than the 20 s of a 250 kb/s stream x 2 / 4.
      const transmitted = findSamples(nodeMetrics, 'node_network_transmit_bytes_total').reduce(
        (a, b) => a + b,
        0,
      );
      expect(transmitted).toBeGreaterThan(300_000);
      expect(findSamples(nodeMetrics, 'node_cpu_seconds_total').length).toBeGreaterThan(0);
    });

    it("logs the generator's lines (and the init's) on the serial console log", () => {
      const console = readFileSync(origin.logs.console as string, 'utf8');
      expect(console).toContain('hls-init: network user:');
      expect(console).toContain('hls-init: starting generator (profile tiny)');
      expect(console).toMatch(
        /generator: \[hls @ 0x[0-9a-f]+\] \[info\] Opening '\/var\/hls\/seg_\d+\.ts\.tmp' for writing/,
      );
      expect(console).toContain('nginx-exporter: ');
    });

    it('stops with a clean guest power-off and leaves no QEMU behind', async () => {
      const consolePath = origin.logs.console as string;
      const consoleBefore = readFileSync(consolePath, 'utf8');
      expect(consoleBefore).not.toContain('power button');
      const started = Date.now();
      // Read the console while stopping: stop() removes the temporary folder at the end.
      let consoleAtPowerOff = '';
      const watcher = setInterval(() => {
        try {
          consoleAtPowerOff = readFileSync(consolePath, 'utf8');
        } catch {}
      }, 100);
      await origin.stop();
      clearInterval(watcher);
      console.log(`vm origin stopped in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      expect(consoleAtPowerOff).toContain('hls-init: power button: shutting down');
      expect(alive(qemuPid)).toBe(false);
      expect(ourQemuPids()).toEqual([]);
      expect(origin.status().processes[0]?.running).toBe(false);
      // A requested stop is not a problem.
      expect(origin.status().healthy).toBe(true);
    }, 120_000);
  });
});
