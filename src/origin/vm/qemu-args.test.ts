import { describe, expect, it } from 'vitest';
import { DEFAULT_PORTS } from '../../config/index.js';
import {
  guestKernelCmdline,
  hostForwardArgs,
  KERNEL_CMDLINE_MAX_BYTES,
  qemuArgs,
  seedForwards,
} from './qemu-args.js';

const base = {
  accel: 'tcg' as const,
  kernel: '/img/vmlinuz',
  initrd: '/img/initrd.img',
  disk: '/img/disk.ext4',
  memoryMiB: 1024,
  cpus: 2,
  append: 'root=/dev/vda',
  consoleLogPath: '/tmp/x/console.log',
  qmpSocketPath: '/tmp/x/qmp.sock',
};

function valueAfter(args: string[], flag: string): string[] {
  return args.flatMap((arg, index) => (arg === flag ? [args[index + 1] as string] : []));
}

describe('qemuArgs', () => {
  it('user mode: the seed forwards on 127.0.0.1, restrict=on, -snapshot, console to a file, QMP socket', () => {
    const forwards = seedForwards('127.0.0.1', {
      http: DEFAULT_PORTS.originHttp,
      nginxExporter: DEFAULT_PORTS.nginxExporter,
      nodeExporter: DEFAULT_PORTS.nodeExporter,
    });
    const args = qemuArgs({ ...base, network: { mode: 'user', forwards } });
    expect(valueAfter(args, '-netdev')).toEqual([
      'user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:17080-:17080,hostfwd=tcp:127.0.0.1:17113-:9113,hostfwd=tcp:127.0.0.1:17100-:9100',
    ]);
    expect(args).toContain('-snapshot');
    expect(args).toContain('-no-reboot');
    expect(valueAfter(args, '-accel')).toEqual(['tcg']);
    expect(valueAfter(args, '-cpu')).toEqual(['qemu64']);
    expect(valueAfter(args, '-chardev')).toEqual(['file,id=console0,path=/tmp/x/console.log']);
    expect(valueAfter(args, '-serial')).toEqual(['chardev:console0']);
    expect(valueAfter(args, '-qmp')).toEqual(['unix:/tmp/x/qmp.sock,server=on,wait=off']);
    expect(valueAfter(args, '-initrd')).toEqual(['/img/initrd.img']);
    expect(valueAfter(args, '-drive')[0]).toMatch(/^file=\/img\/disk\.ext4,format=raw,if=none,id=disk0/);
  });

  it('SSH forward only when asked, host side on the given address', () => {
    const forwards = seedForwards('127.0.0.1', { http: 1, nginxExporter: 2, nodeExporter: 3, ssh: 4 });
    expect(hostForwardArgs(forwards)).toContain('hostfwd=tcp:127.0.0.1:4-:22');
    expect(hostForwardArgs(seedForwards('::1', { http: 1, nginxExporter: 2, nodeExporter: 3 }))).toContain(
      'hostfwd=tcp:[::1]:1-:17080',
    );
  });

  it('TCP console only when given: socket chardev that still logs to the file', () => {
    const args = qemuArgs({
      ...base,
      network: { mode: 'user', forwards: [] },
      consoleTcp: { hostAddress: '127.0.0.1', port: 17022 },
    });
    expect(valueAfter(args, '-chardev')).toEqual([
      'socket,id=console0,host=127.0.0.1,port=17022,server=on,wait=off,logfile=/tmp/x/console.log',
    ]);
    expect(valueAfter(args, '-netdev')).toEqual(['user,id=net0,restrict=on']);
  });

  it('TAP mode: the seed tap device, no forwards; KVM uses the host CPU', () => {
    const args = qemuArgs({ ...base, accel: 'kvm', network: { mode: 'tap', tapDevice: 'hlstap0' } });
    expect(valueAfter(args, '-netdev')).toEqual(['tap,id=net0,ifname=hlstap0,script=no,downscript=no']);
    expect(valueAfter(args, '-cpu')).toEqual(['host']);
  });
});

describe('guestKernelCmdline', () => {
  it('boots the shell init with the profile and network mode', () => {
    const cmdline = guestKernelCmdline({ profile: 'tiny', network: 'user' });
    expect(cmdline.split(' ')).toEqual(
      expect.arrayContaining([
        'root=/dev/vda',
        'console=ttyS0',
        'init=/usr/sbin/hls-init',
        'hls.profile=tiny',
        'hls.net=user',
      ]),
    );
    expect(cmdline).not.toContain('hls.ssh_key');
  });

  it('TAP mode carries the seed address and gateway', () => {
    expect(guestKernelCmdline({ profile: 'default', network: 'tap' })).toContain(
      'hls.ip=10.177.0.10/24 hls.gw=10.177.0.1',
    );
  });

  it('passes an SSH key base64-encoded and rejects what is not a public key', () => {
    const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests me@host';
    const cmdline = guestKernelCmdline({ profile: 'tiny', network: 'user', sshPublicKey: key });
    const encoded = /hls\.ssh_key=(\S+)/.exec(cmdline)?.[1] ?? '';
    expect(Buffer.from(encoded, 'base64').toString()).toBe(key);
    expect(() => guestKernelCmdline({ profile: 'tiny', network: 'user', sshPublicKey: 'hunter2' })).toThrow(
      /sshPublicKey/,
    );
    const huge = `ssh-rsa ${'A'.repeat(KERNEL_CMDLINE_MAX_BYTES)}`;
    expect(() => guestKernelCmdline({ profile: 'tiny', network: 'user', sshPublicKey: huge })).toThrow(
      /limit 2048/,
    );
  });
});
