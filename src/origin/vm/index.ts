import {
  accessSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  GUEST_PORTS,
  type OriginSpec,
  parseDurationMs,
  resolvePort,
  TAP_NETWORK,
} from '../../config/index.js';
import {
  BoundedLogFile,
  claimPorts,
  type OwnedProcess,
  ownDirectory,
  releaseDirectory,
  requireBinary,
  runForOutput,
  spawnOwned,
  tailFile,
} from '../../system/index.js';
import { OriginStartError } from '../errors.js';
import { getProfile, playlistPath } from '../generator.js';
import type { OriginDriver, OriginProcessStatus, RunningOrigin, StartOriginOptions } from '../types.js';
import {
  urlHost,
  type WaitStrategy,
  waitForAll,
  waitForHttpOk,
  waitForMetric,
  waitForPlaylist,
} from '../wait/index.js';
import { ensureDebianGuestImage, type GuestImage, readImageVersions } from './image.js';
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

/** A KVM guest that prints nothing on its console within this time is taken as "KVM does not work here". */
const KVM_PROBE_MS = 15_000;
/*
 * Once KVM failed (or worked) to boot a guest, `accel: auto` remembers it: in this process, and
 * in the cache folder for the current boot of the host (keyed on its boot_id), so the 15 s probe
 * is paid once per machine boot, not once per test.
 */
let kvmBootsGuests: boolean | undefined = readKvmVerdict();

function kvmVerdictPath(): string {
  return join(process.env.HLS_SWARM_CACHE ?? '/var/cache/hls-swarm', 'kvm-verdict.json');
}

function hostBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

function readKvmVerdict(): boolean | undefined {
  try {
    const saved = JSON.parse(readFileSync(kvmVerdictPath(), 'utf8')) as {
      bootId?: string;
      kvmBootsGuests?: boolean;
    };
    return saved.bootId === hostBootId() && typeof saved.kvmBootsGuests === 'boolean'
      ? saved.kvmBootsGuests
      : undefined;
  } catch {
    return undefined;
  }
}

function rememberKvmVerdict(works: boolean): void {
  kvmBootsGuests = works;
  try {
    mkdirSync(dirname(kvmVerdictPath()), { recursive: true });
    writeFileSync(kvmVerdictPath(), `${JSON.stringify({ bootId: hostBootId(), kvmBootsGuests: works })}\n`);
  } catch {
    // Not writable: the verdict lives in this process only.
  }
}

function kvmAccessible(): boolean {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

interface VmProcess {
  process: OwnedProcess;
  /** Replaced on purpose (the KVM probe): its exit is not a problem. */
  retired?: boolean;
  log: BoundedLogFile;
  logFile: string;
  exitedAtMs?: number;
}

/**
 * Boots the origin VM: QEMU from a kernel/initrd/disk (default: the Debian guest of
 * nix/debian, built if missing), or a given runner command (the Nix microvm runner). Forwards
 * bind `spec.hostAddress` (127.0.0.1); host ports are checked before QEMU starts. Resolves once
 * /health, the playlist (>= minSegments) and both exporters answer through the forwards.
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

  // Ports first: a busy one is an error naming it, before anything starts.
  let ports: { http: number; nginxExporter: number; nodeExporter: number; ssh?: number; console?: number };
  if (spec.network === 'user') {
    const httpWanted = spec.port ?? resolvePort('originHttp', env);
    const otherDefault = (name: 'nginxExporter' | 'nodeExporter' | 'ssh') =>
      httpWanted === 0 ? 0 : resolvePort(name, env);
    const requests: Array<[number, string]> = [
      [httpWanted, `vm origin HTTP forward to guest ${GUEST_PORTS.http} (MICROVM_HTTP_PORT)`],
      [
        spec.nginxExporterPort ?? otherDefault('nginxExporter'),
        `vm nginx-exporter forward to guest ${GUEST_PORTS.nginxExporter} (MICROVM_METRICS_PORT)`,
      ],
      [
        spec.nodeExporterPort ?? otherDefault('nodeExporter'),
        `vm node-exporter forward to guest ${GUEST_PORTS.nodeExporter}`,
      ],
    ];
    if (spec.sshPublicKey)
      requests.push([spec.sshPort ?? otherDefault('ssh'), `vm SSH forward to guest ${GUEST_PORTS.ssh}`]);
    if (spec.consolePort !== undefined) requests.push([spec.consolePort, 'vm serial console (TCP)']);
    if (useRunner && requests.some(([port]) => port === 0)) {
      throw new OriginStartError(
        'vm origin: with `runner`, the forwards are fixed by the runner (the Nix config): ports cannot be 0',
        { kind: 'vm', part: 'port' },
      );
    }
    const claimed = await claimPorts(requests, spec.hostAddress);
    ports = {
      http: claimed[0] as number,
      nginxExporter: claimed[1] as number,
      nodeExporter: claimed[2] as number,
    };
    let next = 3;
    if (spec.sshPublicKey) ports.ssh = claimed[next++] as number;
    if (spec.consolePort !== undefined) ports.console = claimed[next++] as number;
  } else {
    ports = {
      http: GUEST_PORTS.http,
      nginxExporter: GUEST_PORTS.nginxExporter,
      nodeExporter: GUEST_PORTS.nodeExporter,
    };
    if (spec.consolePort !== undefined) {
      ports.console = (
        await claimPorts([[spec.consolePort, 'vm serial console (TCP)']], spec.hostAddress)
      )[0];
    }
  }
  // Fail on a bad SSH key before any build or boot.
  const cmdlineFor = () =>
    guestKernelCmdline({
      profile: profile.name,
      network: spec.network,
      ...(spec.sshPublicKey ? { sshPublicKey: spec.sshPublicKey } : {}),
      ...(options.extraKernelArgs ? { extra: options.extraKernelArgs } : {}),
    });
  const append = cmdlineFor();

  let image: GuestImage | undefined;
  if (!useRunner) {
    image = spec.image
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
  }

  const dir = mkdtempSync(join(tmpdir(), 'hls-swarm-vm-'));
  ownDirectory(dir);
  const logDir = options.logDir ?? join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const consoleLog = join(logDir, 'console.log');
  const qemuLogFile = join(logDir, 'qemu.log');
  const qmpSocket = join(dir, 'qmp.sock');
  const problems: string[] = [];
  let stopping = false;
  let current: VmProcess | undefined;

  const launch = (accel: 'kvm' | 'tcg'): VmProcess => {
    rmSync(consoleLog, { force: true });
    let file: string;
    let args: string[];
    if (useRunner) {
      const [command, ...rest] = spec.runner as string[];
      file = command as string;
      args = rest;
    } else {
      file = qemu as string;
      const activeImage = image as GuestImage;
      args = qemuArgs({
        accel,
        kernel: activeImage.kernel,
        ...(activeImage.initrd ? { initrd: activeImage.initrd } : {}),
        disk: activeImage.disk,
        memoryMiB: spec.memoryMiB,
        cpus: spec.cpus,
        append,
        network:
          spec.network === 'user'
            ? { mode: 'user', forwards: seedForwards(spec.hostAddress, ports) }
            : { mode: 'tap', tapDevice: TAP_NETWORK.tap },
        consoleLogPath: consoleLog,
        ...(ports.console !== undefined
          ? { consoleTcp: { hostAddress: spec.hostAddress, port: ports.console } }
          : {}),
        qmpSocketPath: qmpSocket,
      });
    }
    // The runner prints the guest console on its stdout: that is the console log then.
    const logFile = useRunner ? consoleLog : qemuLogFile;
    const log = new BoundedLogFile(logFile);
    log.write(`# ${new Date().toISOString()} ${file} ${args.join(' ')}\n`);
    const owned = spawnOwned(file, args, {
      env,
      extendEnv: false,
      cwd: dir,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      graceMs: 3000,
    });
    owned.subprocess.stdout?.on('data', (chunk: Buffer) => log.write(chunk));
    owned.subprocess.stderr?.on('data', (chunk: Buffer) => log.write(chunk));
    const entry: VmProcess = { process: owned, log, logFile };
    void owned.exited.then((exit) => {
      entry.exitedAtMs = Date.now();
      if (!stopping && !entry.retired) {
        const how =
          exit.signal !== undefined
            ? `was killed by ${exit.signal}`
            : exit.exitCode === undefined
              ? `could not be started (${file})`
              : `exited with code ${exit.exitCode}`;
        problems.push(
          `${useRunner ? 'runner' : 'qemu'} ${how} at ${new Date(entry.exitedAtMs).toISOString()} (console: ${consoleLog})`,
        );
      }
      setTimeout(() => log.close(), 200).unref();
    });
    current = entry;
    return entry;
  };

  const stopVm = async (graceMs: number): Promise<void> => {
    const entry = current;
    if (!entry?.process.running) return;
    if (!useRunner) {
      // The ACPI power button: the guest's init stops its services and powers off (~3 s idle, more under load).
      const asked = await qmpCommand(qmpSocket, 'system_powerdown', 5000).then(
        () => true,
        () => false,
      );
      if (asked) {
        // An unref'd grace timer: once QEMU is gone nothing may keep Node alive for the rest of it.
        await Promise.race([entry.process.exited, sleep(graceMs, undefined, { ref: false })]);
      }
    }
    await entry.process.stop(3000);
  };

  let stopped: Promise<void> | undefined;
  const stopWith = (powerOffGraceMs: number): Promise<void> => {
    stopped ??= (async () => {
      stopping = true;
      await stopVm(powerOffGraceMs);
      current?.log.close();
      rmSync(dir, { recursive: true, force: true });
      releaseDirectory(dir);
    })();
    return stopped;
  };
  const stop = () => stopWith(options.powerOffGraceMs ?? 30_000);

  try {
    let accel: 'kvm' | 'tcg' =
      spec.accel === 'auto' ? (kvmBootsGuests !== false && kvmAccessible() ? 'kvm' : 'tcg') : spec.accel;
    launch(accel);
    if (!useRunner && spec.accel === 'auto' && accel === 'kvm' && kvmBootsGuests === undefined) {
      // /dev/kvm can exist while guests hang before the first BIOS byte (nested virtualisation):
      // give KVM a short probe, then fall back to TCG.
      const probeEnd = Date.now() + KVM_PROBE_MS;
      while (Date.now() < probeEnd && current?.process.running && fileSize(consoleLog) === 0)
        await sleep(250);
      if (fileSize(consoleLog) === 0) {
        const failed = current as VmProcess;
        failed.retired = true;
        const why = failed.process.running
          ? `printed nothing in ${KVM_PROBE_MS / 1000} s`
          : `QEMU ${failed.process.exit?.signal ? `was killed by ${failed.process.exit.signal}` : 'exited'}`;
        (options.onProgress ?? ((line: string) => process.stderr.write(`${line}\n`)))(
          `[vm] KVM ${why}: booting with TCG (software emulation) instead`,
        );
        await failed.process.stop(1000);
        failed.log.close();
        // The probe's exit (KVM QEMU can abort on its own) is not a problem of the origin.
        problems.length = 0;
        rememberKvmVerdict(false);
        accel = 'tcg';
        launch(accel);
      } else {
        kvmBootsGuests = true;
        rememberKvmVerdict(true);
      }
    }

    const host = spec.network === 'user' ? urlHost(spec.hostAddress) : TAP_NETWORK.vmAddress;
    const base = `http://${host}:${ports.http}`;
    const streamUrl = `${base}/${playlistPath(profile)}`;
    const exporters = {
      nginx: `http://${host}:${ports.nginxExporter}/metrics`,
      node: `http://${host}:${ports.nodeExporter}/metrics`,
    };
    const strategies: WaitStrategy[] = [
      waitForHttpOk(`${base}/health`, { logFile: consoleLog }),
      waitForPlaylist(streamUrl, { minSegments: spec.minSegments, logFile: consoleLog }),
      waitForMetric(exporters.nginx, 'nginx_up', { equals: 1, logFile: consoleLog }),
      waitForMetric(exporters.node, 'node_network_receive_bytes_total{device="lo"}', { logFile: consoleLog }),
    ];
    const vmProcess = current as VmProcess;
    await waitForAll(strategies, {
      timeoutMs: parseDurationMs(spec.readyTimeout),
      kind: 'vm',
      // Under TCG each HTTP answer can take a while on a loaded host.
      attemptTimeoutMs: 5000,
      pollIntervalMs: 500,
      tailLines: 30,
      watch: [{ name: useRunner ? 'runner' : 'qemu', process: vmProcess.process, logFile: consoleLog }],
      ...(options.signal ? { signal: options.signal } : {}),
    });

    const versions: Record<string, string> = { ...(image?.versions ?? {}) };
    if (qemu) {
      const qemuVersion = /version (\S+)/.exec(await runForOutput(qemu, ['--version']).catch(() => ''))?.[1];
      if (qemuVersion) versions.qemu = qemuVersion;
    }
    versions.accel = useRunner ? 'runner' : accel;

    const hostPorts: Record<string, number> = {
      http: ports.http,
      nginxExporter: ports.nginxExporter,
      nodeExporter: ports.nodeExporter,
    };
    if (ports.ssh !== undefined) hostPorts.ssh = ports.ssh;
    if (ports.console !== undefined) hostPorts.console = ports.console;
    const logs: Record<string, string> = { console: consoleLog };
    if (!useRunner) logs.qemu = qemuLogFile;

    return {
      kind: 'vm',
      streamUrl,
      exporters,
      logs,
      versions,
      profile: profile.name,
      ports: hostPorts,
      status: () => {
        const entry = current as VmProcess;
        const exit = entry.process.exit;
        const processStatus: OriginProcessStatus = {
          name: useRunner ? 'runner' : 'qemu',
          ...(entry.process.pid > 0 ? { pid: entry.process.pid } : {}),
          running: entry.process.running,
          ...(exit?.exitCode !== undefined ? { exitCode: exit.exitCode } : {}),
          ...(exit?.signal !== undefined ? { signal: exit.signal } : {}),
          ...(entry.exitedAtMs !== undefined ? { exitedAtMs: entry.exitedAtMs } : {}),
          logFile: consoleLog,
        };
        return { healthy: problems.length === 0, processes: [processStatus], problems: [...problems] };
      },
      stop,
    };
  } catch (error) {
    // A failed start: stop the guest hard (a hung guest would not answer the power button anyway).
    const consoleTail = error instanceof OriginStartError ? '' : await tailFile(consoleLog, 30);
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

export const driver: OriginDriver<VmOriginSpec> = {
  kind: 'vm',
  start: startVmOrigin,
};
