import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAP_NETWORK } from '../../config/index.js';
import { spawnOwned } from '../../system/index.js';
import { packageRoot } from './image.js';
import { ensureDebianGuestImage, type GuestImage } from './index.js';

/*
 * TAP mode, ONLY inside a fresh network namespace: the bridge (hlsbr0, 10.177.0.1/24), the tap
 * (hlstap0), QEMU and the viewers all live in it (src/origin/vm/test/tap-run.ts runs there via
 * `ip netns exec`); the host namespace never sees hlsbr0 or a 10.177.0.0/24 address. The
 * namespace is deleted afterwards.
 */
const root = packageRoot();
const netns = `hls-vm-tap-${process.pid}`;
const tapScript = (name: string) => join(root, 'nix/tap', name);
let image: GuestImage;

function hostHasBridge(): boolean {
  try {
    execFileSync('ip', ['link', 'show', TAP_NETWORK.bridge], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  image = await ensureDebianGuestImage({ onProgress: (line) => console.log(line) });
  execFileSync(tapScript('setup.sh'), ['--netns', netns], { stdio: 'inherit' });
}, 900_000);

afterAll(() => {
  execFileSync(tapScript('teardown.sh'), ['--netns', netns], { stdio: 'inherit' });
  expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(netns);
});

describe('vm origin in TAP mode (inside a network namespace)', () => {
  it('the TAP scripts set up and check the bridge in the namespace only', () => {
    expect(execFileSync(tapScript('check.sh'), ['--netns', netns], { encoding: 'utf8' })).toContain(
      'TAP network ok',
    );
    expect(hostHasBridge()).toBe(false);
    // Without a namespace argument the scripts refuse to guess.
    expect(() => execFileSync(tapScript('check.sh'), [], { stdio: 'ignore' })).toThrow();
  });

  it('boots the guest at 10.177.0.10, serves 2 viewers and both exporters there, then stops', async () => {
    const imageArg = JSON.stringify({
      kernel: image.kernel,
      ...(image.initrd ? { initrd: image.initrd } : {}),
      disk: image.disk,
    });
    const child = spawnOwned(
      'ip',
      [
        'netns',
        'exec',
        netns,
        process.execPath,
        '--import',
        'tsx',
        join(root, 'src/origin/vm/test/tap-run.ts'),
        imageArg,
      ],
      { cwd: root, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', buffer: false, graceMs: 40_000 },
    );
    let output = '';
    child.subprocess.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.subprocess.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const timer = setTimeout(() => void child.stop(5000), 330_000);
    const exit = await child.exited;
    clearTimeout(timer);
    const line = output.split('\n').find((text) => text.startsWith('RESULT '));
    expect(line, output.slice(-3000)).toBeDefined();
    expect(exit.exitCode, output.slice(-3000)).toBe(0);
    const result = JSON.parse((line as string).slice('RESULT '.length)) as {
      readyMs: number;
      streamUrl: string;
      exporters: { nginx: string; node: string };
      segmentsOk: number;
      segmentsFailed: number;
      nginxUp: number[];
      nodeLoopback: number;
      qemuPid: number;
    };
    console.log(`TAP guest ready in ${(result.readyMs / 1000).toFixed(1)} s`);
    expect(result.streamUrl).toBe(`http://${TAP_NETWORK.vmAddress}:17080/stream.m3u8`);
    expect(result.exporters).toEqual({
      nginx: `http://${TAP_NETWORK.vmAddress}:9113/metrics`,
      node: `http://${TAP_NETWORK.vmAddress}:9100/metrics`,
    });
    expect(result.segmentsOk).toBeGreaterThanOrEqual(2 * 3);
    expect(result.segmentsFailed).toBe(0);
    expect(result.nginxUp).toEqual([1]);
    expect(result.nodeLoopback).toBe(1);
    // The child stopped its VM: that QEMU is gone (and so is the child).
    expect(() => process.kill(result.qemuPid, 0)).toThrow();
    expect(hostHasBridge()).toBe(false);
  }, 360_000);
});
