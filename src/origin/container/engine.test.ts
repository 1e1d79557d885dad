import { describe, expect, it } from 'vitest';
import {
  applyTestcontainersDefaults,
  DEFAULT_DOCKER_HOST,
  engineEndpoint,
  parseDockerHost,
} from './engine.js';

describe('parseDockerHost', () => {
  it('reads unix sockets (local) and tcp endpoints', () => {
    expect(parseDockerHost('unix:///run/podman/podman.sock')).toEqual({
      dockerHost: 'unix:///run/podman/podman.sock',
      socketPath: '/run/podman/podman.sock',
      local: true,
    });
    expect(parseDockerHost('tcp://127.0.0.1:2375')).toMatchObject({
      host: '127.0.0.1',
      port: 2375,
      local: true,
    });
    expect(parseDockerHost('tcp://build-host:2376')).toMatchObject({
      host: 'build-host',
      port: 2376,
      local: false,
    });
  });

  it('defaults to /var/run/docker.sock and names DOCKER_HOST when it cannot read it', () => {
    expect(engineEndpoint({}).dockerHost).toBe(DEFAULT_DOCKER_HOST);
    expect(() => parseDockerHost('ssh://me@host')).toThrow(/DOCKER_HOST/);
  });
});

describe('applyTestcontainersDefaults', () => {
  it('disables Ryuk and pins the host to 127.0.0.1 for a local engine', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(applyTestcontainersDefaults(parseDockerHost('unix:///tmp/d.sock'), env).sort()).toEqual([
      'TESTCONTAINERS_HOST_OVERRIDE',
      'TESTCONTAINERS_RYUK_DISABLED',
    ]);
    expect(env).toEqual({ TESTCONTAINERS_RYUK_DISABLED: 'true', TESTCONTAINERS_HOST_OVERRIDE: '127.0.0.1' });
  });

  it('never overrides what the user set, and leaves the host alone for a remote engine', () => {
    const env: NodeJS.ProcessEnv = { TESTCONTAINERS_RYUK_DISABLED: 'false' };
    applyTestcontainersDefaults(parseDockerHost('tcp://build-host:2375'), env);
    expect(env).toEqual({ TESTCONTAINERS_RYUK_DISABLED: 'false' });
  });
});
