import { GUEST_PORTS, TAP_NETWORK } from '../../config/index.js';

/*
 * The QEMU command line of the Debian guest (DESIGN.md, "Facts measured for the VM"): q35,
 * virtio disk and NIC, the kernel booted directly with its initrd, `-snapshot` so the cached
 * disk is never written, `restrict=on` so a user-mode guest reaches nothing but its forwards,
 * the serial console to a file (a TCP console stalls the guest once a client leaves), QMP on
 * a unix socket for a clean power-off. Pure: returns arguments; nothing is started here.
 */

export interface HostForward {
  /** Address the host side binds; 127.0.0.1 unless the user asked otherwise. */
  hostAddress: string;
  hostPort: number;
  guestPort: number;
}

export interface QemuBootOptions {
  accel: 'kvm' | 'tcg';
  kernel: string;
  initrd?: string;
  disk: string;
  memoryMiB: number;
  cpus: number;
  /** Kernel command line (see guestKernelCmdline). */
  append: string;
  network: { mode: 'user'; forwards: HostForward[] } | { mode: 'tap'; tapDevice: string };
  consoleLogPath: string;
  /** Serial console on TCP as well (off by default). */
  consoleTcp?: { hostAddress: string; port: number };
  qmpSocketPath: string;
}

/** hostfwd=tcp:ADDR:HOST-:GUEST for each forward (IPv6 addresses in brackets). */
export function hostForwardArgs(forwards: HostForward[]): string {
  return forwards
    .map((forward) => {
      const address = forward.hostAddress.includes(':') ? `[${forward.hostAddress}]` : forward.hostAddress;
      return `hostfwd=tcp:${address}:${forward.hostPort}-:${forward.guestPort}`;
    })
    .join(',');
}

export function qemuArgs(options: QemuBootOptions): string[] {
  const args = [
    '-name',
    'hls-origin-vm',
    '-accel',
    options.accel,
    '-M',
    'q35',
    // qemu64 is what the boot times in DESIGN.md were measured with under TCG.
    '-cpu',
    options.accel === 'kvm' ? 'host' : 'qemu64',
    '-m',
    String(options.memoryMiB),
    '-smp',
    String(options.cpus),
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    // A guest kernel panic (panic=1 in the cmdline) ends QEMU instead of rebooting forever.
    '-no-reboot',
    '-kernel',
    options.kernel,
  ];
  if (options.initrd) args.push('-initrd', options.initrd);
  args.push(
    '-append',
    options.append,
    '-drive',
    `file=${options.disk},format=raw,if=none,id=disk0,cache=unsafe`,
    '-device',
    'virtio-blk-pci,drive=disk0',
    '-snapshot',
  );
  if (options.network.mode === 'user') {
    const forwards = hostForwardArgs(options.network.forwards);
    args.push('-netdev', `user,id=net0,restrict=on${forwards ? `,${forwards}` : ''}`);
  } else {
    args.push('-netdev', `tap,id=net0,ifname=${options.network.tapDevice},script=no,downscript=no`);
  }
  args.push('-device', 'virtio-net-pci,netdev=net0');
  if (options.consoleTcp) {
    // ttyS0 on TCP for a human, with every byte also logged to the file (chardev logfile=).
    // Note: after a client connects and leaves, the guest console can stall (DESIGN.md).
    const host = options.consoleTcp.hostAddress;
    args.push(
      '-chardev',
      `socket,id=console0,host=${host},port=${options.consoleTcp.port},server=on,wait=off,logfile=${options.consoleLogPath}`,
    );
  } else {
    args.push('-chardev', `file,id=console0,path=${options.consoleLogPath}`);
  }
  args.push('-serial', 'chardev:console0');
  args.push('-qmp', `unix:${options.qmpSocketPath},server=on,wait=off`, '-monitor', 'none');
  return args;
}

export interface GuestCmdlineOptions {
  profile: string;
  network: 'user' | 'tap';
  /** SSH public key line; SSH stays off in the guest without it. */
  sshPublicKey?: string;
  /** Extra kernel parameters (tests use this to break the guest on purpose). */
  extra?: string[];
}

/** Linux's x86 command line limit (COMMAND_LINE_SIZE). */
export const KERNEL_CMDLINE_MAX_BYTES = 2048;

export function guestKernelCmdline(options: GuestCmdlineOptions): string {
  const parts = [
    'root=/dev/vda',
    'rw',
    'rootfstype=ext4',
    'console=ttyS0',
    // Kernel messages on a TCG serial console cost boot time: warnings and worse only.
    'loglevel=4',
    'panic=1',
    'init=/usr/sbin/hls-init',
    `hls.profile=${options.profile}`,
    `hls.net=${options.network}`,
  ];
  if (options.network === 'tap') {
    const prefix = TAP_NETWORK.subnet.split('/')[1];
    parts.push(`hls.ip=${TAP_NETWORK.vmAddress}/${prefix}`, `hls.gw=${TAP_NETWORK.gateway}`);
  }
  if (options.sshPublicKey) {
    const key = options.sshPublicKey.trim();
    if (!/^(ssh-|ecdsa-|sk-)[\w@.-]+ [A-Za-z0-9+/=]+( [^\n]*)?$/.test(key)) {
      throw new RangeError(
        'sshPublicKey: expected one OpenSSH public key line such as "ssh-ed25519 AAAA… me@host"',
      );
    }
    parts.push(`hls.ssh_key=${Buffer.from(key).toString('base64')}`);
  }
  parts.push(...(options.extra ?? []));
  const cmdline = parts.join(' ');
  if (Buffer.byteLength(cmdline) >= KERNEL_CMDLINE_MAX_BYTES) {
    throw new RangeError(
      `The guest kernel command line is ${Buffer.byteLength(cmdline)} bytes (limit ${KERNEL_CMDLINE_MAX_BYTES}); use a shorter sshPublicKey (ed25519).`,
    );
  }
  return cmdline;
}

/** Forwards of the seed (host 17080→17080, 17113→9113, 17100→9100, 17122→22 only with SSH). */
export function seedForwards(
  hostAddress: string,
  ports: { http: number; nginxExporter: number; nodeExporter: number; ssh?: number },
): HostForward[] {
  const forwards: HostForward[] = [
    { hostAddress, hostPort: ports.http, guestPort: GUEST_PORTS.http },
    { hostAddress, hostPort: ports.nginxExporter, guestPort: GUEST_PORTS.nginxExporter },
    { hostAddress, hostPort: ports.nodeExporter, guestPort: GUEST_PORTS.nodeExporter },
  ];
  if (ports.ssh !== undefined)
    forwards.push({ hostAddress, hostPort: ports.ssh, guestPort: GUEST_PORTS.ssh });
  return forwards;
}
