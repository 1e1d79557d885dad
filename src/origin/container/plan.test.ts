import { describe, expect, it } from 'vitest';
import { OriginStartError } from '../errors.js';
import { generatorArgs, getProfile } from '../generator.js';
import { CONTAINER_PATHS, decideNetworkMode, planContainerOrigin } from './plan.js';

describe('decideNetworkMode', () => {
  it('auto maps ports when the engine has a bridge, and uses host networking when it has none', () => {
    expect(decideNetworkMode('auto', true).mode).toBe('bridge');
    expect(decideNetworkMode('auto', false).mode).toBe('host');
    expect(decideNetworkMode('auto', false).reason).toMatch(/no 'bridge' network/);
  });

  it('host is host whatever the engine has', () => {
    expect(decideNetworkMode('host', true).mode).toBe('host');
    expect(decideNetworkMode('host', false).mode).toBe('host');
  });

  it('bridge without a bridge network is an error that says what to do', () => {
    expect(decideNetworkMode('bridge', true).mode).toBe('bridge');
    expect(() => decideNetworkMode('bridge', false)).toThrow(OriginStartError);
    expect(() => decideNetworkMode('bridge', false)).toThrow(/network: 'host' or 'auto'/);
  });
});

describe('planContainerOrigin', () => {
  it('with host networking, every server listens on 127.0.0.1 at the host ports the driver chose', () => {
    const plan = planContainerOrigin({
      profile: 'tiny',
      network: 'host',
      hostPorts: { http: 27080, nginxExporter: 27113, nodeExporter: 27100 },
    });
    expect(plan.listen).toEqual({
      http: '127.0.0.1:27080',
      nginxExporter: '127.0.0.1:27113',
      nodeExporter: '127.0.0.1:27100',
    });
    expect(plan.exposedPorts).toEqual([]);
    expect(plan.env).toMatchObject({
      HLS_HTTP_PORT: '27080',
      HLS_NGINX_EXPORTER_LISTEN: '127.0.0.1:27113',
      HLS_NODE_EXPORTER_LISTEN: '127.0.0.1:27100',
      HLS_ROOT: CONTAINER_PATHS.root,
      HLS_PROFILE: 'tiny',
    });
    const nginxConf = plan.files.find((file) => file.target.endsWith('/nginx.conf'))?.content ?? '';
    expect(nginxConf).toMatch(/listen 127\.0\.0\.1:27080 /);
    expect(nginxConf).toContain(`root "${CONTAINER_PATHS.root}/"`);
    expect(nginxConf).toContain(`access_log "${CONTAINER_PATHS.accessLog}"`);
    expect(plan.playlistPath).toBe('stream.m3u8');
  });

  it('hands the container the same generator arguments the native origin runs, one per line', () => {
    for (const profile of ['tiny', 'abr'] as const) {
      const plan = planContainerOrigin({
        profile,
        network: 'host',
        hostPorts: { http: 1, nginxExporter: 2, nodeExporter: 3 },
      });
      const argsFile = plan.files.find((file) => file.target === `${CONTAINER_PATHS.confDir}/generator.args`);
      expect(argsFile?.content.split('\n').slice(0, -1)).toEqual(
        generatorArgs(getProfile(profile), CONTAINER_PATHS.root),
      );
    }
  });

  it('host networking needs concrete ports', () => {
    expect(() =>
      planContainerOrigin({
        profile: 'tiny',
        network: 'host',
        hostPorts: { http: 0, nginxExporter: 2, nodeExporter: 3 },
      }),
    ).toThrow(/concrete http port/);
  });

  it('with a bridge, servers listen on the guest ports and are published (0 = the engine picks)', () => {
    const plan = planContainerOrigin({
      profile: 'abr',
      network: 'bridge',
      hostPorts: { http: 17080, nginxExporter: 0, nodeExporter: 0 },
    });
    expect(plan.listen.http).toBe('0.0.0.0:17080');
    expect(plan.containerPorts).toEqual({ http: 17080, nginxExporter: 9113, nodeExporter: 9100 });
    expect(plan.exposedPorts).toEqual([
      { container: 17080, host: 17080 },
      { container: 9113, host: 0 },
      { container: 9100, host: 0 },
    ]);
    expect(plan.env.HLS_NGINX_EXPORTER_LISTEN).toBe('0.0.0.0:9113');
    expect(plan.playlistPath).toBe('master.m3u8');
  });
});
