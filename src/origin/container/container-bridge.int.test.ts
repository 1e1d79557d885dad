import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnOwned } from '../../system/index.js';
import { engineEndpoint, engineHasUsableBridge, engineRequest } from './engine.js';
import { ensureOfflineBaseImage, provideDockerEngine, type TestDockerEngine } from './test/docker-engine.js';

/*
 * The container origin where a normal engine runs: mapped ports on 127.0.0.1 through the
 * engine's bridge. So that the host network stays untouched, our dockerd runs in a network
 * namespace made for this test (docker0 and the port proxies exist only there) and the origin
 * and its viewer run in it too (test/bridge-origin.ts under nsenter).
 */

const netns = `hls-swarm-ctr-${process.pid}`;
let engine: TestDockerEngine | undefined;
let netnsMade = false;
let hostHadDocker0 = false;

function hostHasDocker0(): boolean {
  try {
    execFileSync('ip', ['link', 'show', 'docker0'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  hostHadDocker0 = hostHasDocker0();
  execFileSync('ip', ['netns', 'add', netns]);
  netnsMade = true;
  execFileSync('ip', ['netns', 'exec', netns, 'ip', 'link', 'set', 'lo', 'up']);
  engine = await provideDockerEngine({ netns, cacheName: 'docker-netns' });
  await ensureOfflineBaseImage(engine.dockerHost);
}, 600_000);

afterAll(async () => {
  await engine?.stop();
  if (netnsMade) execFileSync('ip', ['netns', 'del', netns]);
  expect(engine?.leftoverPids() ?? []).toEqual([]);
}, 120_000);

describe('container origin on an engine with a bridge', () => {
  it('auto picks the bridge, publishes the seed ports on 127.0.0.1 only, serves and stops cleanly', async () => {
    const endpoint = engineEndpoint({ DOCKER_HOST: engine?.dockerHost });
    expect(await engineHasUsableBridge(endpoint)).toBe(true);

    const script = fileURLToPath(new URL('./test/bridge-origin.ts', import.meta.url));
    const child = spawnOwned(
      'nsenter',
      [`--net=/run/netns/${netns}`, process.execPath, '--import', 'tsx', script],
      {
        env: { ...process.env, DOCKER_HOST: engine?.dockerHost },
        extendEnv: false,
        stdin: 'ignore',
        stdout: 'pipe',
        stderr: 'pipe',
        timeout: 240_000,
      },
    );
    const exit = await child.exited;
    const result = await child.subprocess;
    expect(exit.exitCode, `bridge-origin failed:\n${String(result.stderr).slice(-3000)}`).toBe(0);
    const seen = JSON.parse(String(result.stdout).trim().split('\n').pop() as string);

    expect(seen.networkMode).toBe('bridge');
    expect(seen.networkLine).toBe('network: bridge');
    // The seed's contract: nginx on 17080, exporters on 17113 and 17100 — bound to 127.0.0.1 only.
    expect(seen.streamUrl).toBe('http://127.0.0.1:17080/stream.m3u8');
    expect(seen.exporters).toEqual({
      nginx: 'http://127.0.0.1:17113/metrics',
      node: 'http://127.0.0.1:17100/metrics',
    });
    expect(seen.portBindings).toEqual({
      '17080/tcp': [{ HostIp: '127.0.0.1', HostPort: '17080' }],
      '9113/tcp': [{ HostIp: '127.0.0.1', HostPort: '17113' }],
      '9100/tcp': [{ HostIp: '127.0.0.1', HostPort: '17100' }],
    });
    expect(seen.playlistStatus).toBe(200);
    expect(seen.segmentStatus).toBe(200);
    expect(seen.segmentBytes).toBeGreaterThan(1000);
    expect(seen.viewerRunning).toBe(true);
    expect(seen.segmentsSeen).toBeGreaterThanOrEqual(3);
    expect(seen.nginxUp).toEqual([1]);
    expect(seen.loBytes).toHaveLength(1);
    expect(seen.healthy).toBe(true);
    expect(seen.remaining).toEqual([]);

    // Our docker0 exists only inside the namespace.
    expect(hostHasDocker0()).toBe(hostHadDocker0);
    const all = JSON.parse(
      (await engineRequest(endpoint, 'GET', '/containers/json?all=1')).body,
    ) as unknown[];
    expect(all).toEqual([]);
  });
});
