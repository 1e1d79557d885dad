import { isIP } from 'node:net';
import { type OriginSpec, parseDurationMs } from '../../config/index.js';
import { OriginStartError } from '../errors.js';
import type { OriginDriver, RunningOrigin, StartOriginOptions } from '../types.js';
import { type WaitStrategy, waitForAll, waitForPlaylist } from '../wait/index.js';
import { waitForResolvedPlaylist } from './resolved-playlist.js';

export { lookupTo, waitForResolvedPlaylist } from './resolved-playlist.js';

export type ExternalOriginSpec = Extract<OriginSpec, { kind: 'external' }>;

/** True for localhost, 127.0.0.0/8 and ::1 (what a load test may hit without allowRemote). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host.startsWith('::ffff:127.');
  return false;
}

/**
 * An origin someone else runs: nothing is started; ready once the playlist answers 200 with
 * at least `minSegments` segments. A host that is not loopback needs `allowRemote: true`
 * so nobody load-tests a production host by accident. With `resolve`, the readiness check
 * connects to that address (keeping the URL's Host header, as the viewers do) and the loopback
 * rule judges that address, not the URL's name; `headers` go with each readiness request.
 */
export async function startExternalOrigin(
  spec: ExternalOriginSpec,
  options: StartOriginOptions = {},
): Promise<RunningOrigin> {
  const url = new URL(spec.url);
  // Where each target really connects: the stream URL goes to `resolve` when it is set.
  const targets = [
    { host: spec.resolve ?? url.hostname, shown: spec.resolve ?? url.host, href: url.href },
    ...Object.values(spec.exporters).map((exporter) => {
      const target = new URL(exporter as string);
      return { host: target.hostname, shown: target.host, href: target.href };
    }),
  ];
  const remote = targets.find((target) => !isLoopbackHost(target.host));
  if (remote && !spec.allowRemote) {
    throw new OriginStartError(
      `external origin: ${remote.shown} is not a loopback address (from ${remote.href}). ` +
        'Load-testing a remote host must be explicit: set origin.allowRemote: true ' +
        '(CLI: --allow-remote) if you own that host and mean to load it.',
      { kind: 'external', part: 'url' },
    );
  }
  const strategies: WaitStrategy[] = [
    spec.resolve || spec.headers
      ? waitForResolvedPlaylist(url.href, {
          minSegments: spec.minSegments,
          ...(spec.resolve ? { resolve: spec.resolve } : {}),
          ...(spec.headers ? { headers: spec.headers } : {}),
        })
      : waitForPlaylist(url.href, { minSegments: spec.minSegments }),
  ];
  await waitForAll(strategies, {
    timeoutMs: parseDurationMs(spec.readyTimeout),
    kind: 'external',
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const exporters: RunningOrigin['exporters'] = {};
  if (spec.exporters.nginx) exporters.nginx = spec.exporters.nginx;
  if (spec.exporters.node) exporters.node = spec.exporters.node;
  return {
    kind: 'external',
    streamUrl: url.href,
    exporters,
    logs: {},
    versions: {},
    status: () => ({ healthy: true, processes: [], problems: [] }),
    stop: async () => {},
  };
}

export const driver: OriginDriver<ExternalOriginSpec> = {
  kind: 'external',
  start: startExternalOrigin,
};
