import { accessSync, constants, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type OriginSpec, parseDurationMs, TAP_NETWORK } from '../../config/index.js';
import { type OwnedProcess, requireBinary, runForOutput, tailFile } from '../../system/index.js';
import { OriginStartError } from '../errors.js';
import { getProfile, playlistPath } from '../generator.js';
import type { OriginDriver, RunningOrigin, StartOriginOptions } from '../types.js';
import {
  OriginProcesses,
  urlHost,
  type WaitStrategy,
  waitForAll,
  waitForHttpOk,
  waitForMetric,
  waitForPlaylist,
} from '../wait/index.js';
import { ensureDebianGuestImage, type GuestImage, readImageVersions } from './image.js';
import { chooseAccel, kvmNeedsProbe, probeKvmBoot } from './kvm.js';
import { claimVmPorts, type VmPorts } from './ports.js';
import { guestKernelCmdline, qemuArgs, seedForwards } from './qemu-args.js';
import { qmpCommand } from './qmp.js';

export { ensureDebianGuestImage, type GuestImage } from './image.js';
export { guestKernelCmdline, type HostForward, qemuArgs, seedForwards } from './qemu-args.js';
export { qmpCommand } from './qmp.js';

export type VmOriginSpec = Extract<OriginSpec, { kind: 'vm' }>;

export interface VmStartOptions extends StartOriginOptions {
  /** Progress of a guest image build (default: stderr). */
  onProgress?: (line: string) => void;
  /** Extra guest kernel parameters (tests break the guest on purpose with these). */
  extraKernelArgs?: string[];
  /** How long the guest may take to power off after QMP system_powerdown. Default 30 s (TCG on a busy host). */
  powerOffGraceMs?: number;
}

type Accel = 'kvm' | 'tcg';

/** One VM being started: what was decided before the boot, and the process that runs it. */
interface VmBoot {
  spec: VmOriginSpec;
  env: NodeJS.ProcessEnv;
  /** The Nix runner command given instead of QEMU. */
  useRunner: boolean;
  /** QEMU's binary (not with a runner). */
  qemu: string | undefined;
  image: GuestImage | undefined;
  ports: VmPorts;
  /** The guest kernel command line. */
  append: string;
  processes: OriginProcesses;
  consoleLog: string;
  qemuLogFile: string;
  qmpSocket: string;
  /** The QEMU (or runner) running now. */
  current?: OwnedProcess;
}

/**
 * Boots the origin VM: QEMU from a kernel/initrd/disk (default: the Debian guest of
 * nix/debian, built if missing), or a given runner command (the Nix microvm runner). Forwards
 * bind `spec.hostAddress` (127.0.0.1); host ports are checked before QEMU starts. Resolves once
 * /health, the playlist (>= minSegments) and both exporters answer through the forwards.
 * Phases: ports → kernel command line → image → boot (with the KVM probe) → ready → described.
 */
export async function startVmOrigin(
  spec: VmOriginSpec,
  options: VmStartOptions = {},
): Promise<RunningOrigin> {
  const env = options.env ?? process.env;
  const profile = getProfile(spec.profile);
  const useRunner = spec.runner !== undefined;
  const qemu = useRunner
    ? undefined
    : requireBinary('qemu-system-x86_64', 'qemu-system-x86', 'the vm origin', env);
  const ports = await claimVmPorts(spec, env);
  // Fail on a bad SSH key before any build or boot.
  const append = guestKernelCmdline({
    profile: profile.name,
    network: spec.network,
    ...(spec.sshPublicKey ? { sshPublicKey: spec.sshPublicKey } : {}),
    ...(options.extraKernelArgs ? { extra: options.extraKernelArgs } : {}),
  });
  const image = useRunner ? undefined : await resolveGuestImage(spec, options, env);

  const processes = new OriginProcesses('vm', {
    private: true,
    ...(options.logDir ? { logDir: options.logDir } : {}),
  });
  const { dir, logDir } = processes.workspace;
  const boot: VmBoot = {
    spec,
    env,
    useRunner,
    qemu,
    image,
    ports,
    append,
    processes,
    consoleLog: join(logDir, 'console.log'),
    qemuLogFile: join(logDir, 'qemu.log'),
    qmpSocket: join(dir, 'qmp.sock'),
  };
  const stopWith = (powerOffGraceMs: number) => processes.stop(() => powerOff(boot, powerOffGraceMs));
  try {
    const accel = await bootVm(boot, options);
    const host = spec.network === 'user' ? urlHost(spec.hostAddress) : TAP_NETWORK.vmAddress;
    const base = `http://${host}:${ports.http}`;
    const streamUrl = `${base}/${playlistPath(profile)}`;
    const exporters = {
      nginx: `http://${host}:${ports.nginxExporter}/metrics`,
      node: `http://${host}:${ports.nodeExporter}/metrics`,
    };
    await waitForGuest(boot, base, streamUrl, exporters, options.signal);
    return {
      kind: 'vm',
      streamUrl,
      exporters,
      logs: useRunner ? { console: boot.consoleLog } : { console: boot.consoleLog, qemu: boot.qemuLogFile },
      versions: await vmVersions(boot, accel),
      profile: profile.name,
      ports: hostPorts(ports),
      status: () => processes.status(),
      stop: () => stopWith(options.powerOffGraceMs ?? 30_000),
    };
  } catch (error) {
    // A failed start: stop the guest hard (a hung guest would not answer the power button anyway).
    const consoleTail = error instanceof OriginStartError ? '' : await tailFile(boot.consoleLog, 30);
    await stopWith(2000);
    if (consoleTail && !(error instanceof OriginStartError)) {
      throw new OriginStartError(`vm origin: ${(error as Error).message}`, {
        kind: 'vm',
        logTail: consoleTail,
        logFile: 'the serial console',
      });
    }
    throw error;
  }
}

/** The image given in the spec (checked readable), or the Debian guest, built if missing. */
async function resolveGuestImage(
  spec: VmOriginSpec,
  options: VmStartOptions,
  env: NodeJS.ProcessEnv,
): Promise<GuestImage> {
  const image = spec.image
    ? { ...spec.image, versions: readImageVersions(spec.image.disk) }
    : await ensureDebianGuestImage({
        env,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
  for (const [field, path] of Object.entries({
    kernel: image.kernel,
    initrd: image.initrd,
    disk: image.disk,
  })) {
    if (path === undefined) continue;
    try {
      accessSync(path, constants.R_OK);
    } catch {
      throw new OriginStartError(`vm origin: image.${field} ${path} cannot be read`, {
        kind: 'vm',
        part: 'image',
      });
    }
  }
  return image;
}

/**
 * Starts QEMU (or the runner). Under `accel: auto` with KVM and no verdict yet for this host
 * boot, KVM gets a short probe, then the guest boots again under TCG if it printed nothing.
 * Returns the accelerator the running guest uses.
 */
async function bootVm(boot: VmBoot, options: VmStartOptions): Promise<Accel> {
  const accel = chooseAccel(boot.spec.accel);
  launch(boot, accel);
  if (boot.useRunner || !kvmNeedsProbe(boot.spec.accel, accel)) return accel;
  const probed = boot.current as OwnedProcess;
  const why = await probeKvmBoot(probed, boot.consoleLog);
  if (why === undefined) return accel;
  (options.onProgress ?? ((line: string) => process.stderr.write(`${line}\n`)))(
    `[vm] KVM ${why}: booting with TCG (software emulation) instead`,
  );
  // The probe's exit (KVM QEMU can abort on its own) is not a problem of the origin.
  await boot.processes.retire(probed, 1000);
  launch(boot, 'tcg');
  return 'tcg';
}

/** One QEMU (or runner) process, its output logged; the console log starts empty. */
function launch(boot: VmBoot, accel: Accel): void {
  const { spec, ports, consoleLog } = boot;
  rmSync(consoleLog, { force: true });
  let file: string;
  let args: string[];
  if (boot.useRunner) {
    [file, ...args] = spec.runner as [string, ...string[]];
  } else {
    file = boot.qemu as string;
    const image = boot.image as GuestImage;
    args = qemuArgs({
      accel,
      kernel: image.kernel,
      ...(image.initrd ? { initrd: image.initrd } : {}),
      disk: image.disk,
      memoryMiB: spec.memoryMiB,
      cpus: spec.cpus,
      append: boot.append,
      network:
        spec.network === 'user'
          ? { mode: 'user', forwards: seedForwards(spec.hostAddress, ports) }
          : { mode: 'tap', tapDevice: TAP_NETWORK.tap },
      consoleLogPath: consoleLog,
      ...(ports.console !== undefined
        ? { consoleTcp: { hostAddress: spec.hostAddress, port: ports.console } }
        : {}),
      qmpSocketPath: boot.qmpSocket,
    });
  }
  boot.current = boot.processes.start(boot.useRunner ? 'runner' : 'qemu', file, args, {
    env: boot.env,
    cwd: boot.processes.workspace.dir,
    // The runner prints the guest console on its stdout: that is the console log then.
    logFile: boot.useRunner ? consoleLog : boot.qemuLogFile,
    shownLog: { label: 'console', file: consoleLog },
    logCommand: true,
  });
}

/** Until /health, the playlist and both exporters answer through the forwards; QEMU dying fails it at once. */
async function waitForGuest(
  boot: VmBoot,
  base: string,
  streamUrl: string,
  exporters: { nginx: string; node: string },
  signal: AbortSignal | undefined,
): Promise<void> {
  const logFile = boot.consoleLog;
  const strategies: WaitStrategy[] = [
    waitForHttpOk(`${base}/health`, { logFile }),
    waitForPlaylist(streamUrl, { minSegments: boot.spec.minSegments, logFile }),
    waitForMetric(exporters.nginx, 'nginx_up', { equals: 1, logFile }),
    waitForMetric(exporters.node, 'node_network_receive_bytes_total{device="lo"}', { logFile }),
  ];
  await waitForAll(strategies, {
    timeoutMs: parseDurationMs(boot.spec.readyTimeout),
    kind: 'vm',
    // Under TCG each HTTP answer can take a while on a loaded host.
    attemptTimeoutMs: 5000,
    pollIntervalMs: 500,
    tailLines: 30,
    watch: boot.processes.watched(),
    ...(signal ? { signal } : {}),
  });
}

/** The ACPI power button: the guest's init stops its services and powers off (~3 s idle, more under load). */
async function powerOff(boot: VmBoot, graceMs: number): Promise<void> {
  const vm = boot.current;
  if (boot.useRunner || !vm?.running) return;
  const asked = await qmpCommand(boot.qmpSocket, 'system_powerdown', 5000).then(
    () => true,
    () => false,
  );
  // An unref'd grace timer: once QEMU is gone nothing may keep Node alive for the rest of it.
  if (asked) await Promise.race([vm.exited, sleep(graceMs, undefined, { ref: false })]);
}

async function vmVersions(boot: VmBoot, accel: Accel): Promise<Record<string, string>> {
  const versions: Record<string, string> = { ...(boot.image?.versions ?? {}) };
  if (boot.qemu) {
    const qemuVersion = /version (\S+)/.exec(
      await runForOutput(boot.qemu, ['--version']).catch(() => ''),
    )?.[1];
    if (qemuVersion) versions.qemu = qemuVersion;
  }
  versions.accel = boot.useRunner ? 'runner' : accel;
  return versions;
}

function hostPorts(ports: VmPorts): Record<string, number> {
  const named: Record<string, number> = {
    http: ports.http,
    nginxExporter: ports.nginxExporter,
    nodeExporter: ports.nodeExporter,
  };
  if (ports.ssh !== undefined) named.ssh = ports.ssh;
  if (ports.console !== undefined) named.console = ports.console;
  return named;
}

export const driver: OriginDriver<VmOriginSpec> = {
  kind: 'vm',
  start: startVmOrigin,
};
