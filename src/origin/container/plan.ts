import { GUEST_PORTS, type ProfileName } from '../../config/index.js';
import { OriginStartError } from '../errors.js';
import { generatorArgs, getProfile, playlistPath } from '../generator.js';
import { renderNginxConfig } from '../nginx/config.js';

/*
 * Pure planning of a container origin: which network mode, what the processes inside listen on,
 * which host ports the driver reaches them at, and the files and environment handed to the
 * image's entrypoint. The nginx config and the generator's arguments are rendered here by the
 * same TypeScript the native origin uses (src/origin/nginx/config.ts, src/origin/generator.ts)
 * and copied into the container at start, rather than baked into the image per profile: one
 * source of truth, ports that can be chosen at start time (host networking needs free host
 * ports), and no image rebuild when a profile or port changes.
 */

export type RequestedNetwork = 'auto' | 'host' | 'bridge';
export type ContainerNetworkMode = 'host' | 'bridge';

export interface NetworkDecision {
  mode: ContainerNetworkMode;
  reason: string;
}

/**
 * `auto` uses mapped ports when the engine has a usable `bridge` network, host networking
 * otherwise (e.g. dockerd started with --bridge=none, where port mapping cannot work).
 * Asking for `bridge` on an engine without one is an error that says what to do.
 */
export function decideNetworkMode(requested: RequestedNetwork, engineHasBridge: boolean): NetworkDecision {
  if (requested === 'host') return { mode: 'host', reason: "origin.network is 'host'" };
  if (requested === 'bridge') {
    if (!engineHasBridge) {
      throw new OriginStartError(
        "origin.network is 'bridge' but the container engine has no usable 'bridge' network " +
          "(dockerd --bridge=none?). Use network: 'host' or 'auto', or start the engine with its default bridge.",
        { kind: 'container', part: 'network' },
      );
    }
    return { mode: 'bridge', reason: "origin.network is 'bridge'" };
  }
  return engineHasBridge
    ? { mode: 'bridge', reason: "auto: the engine has a 'bridge' network, ports are mapped to 127.0.0.1" }
    : { mode: 'host', reason: "auto: the engine has no 'bridge' network, so host networking on 127.0.0.1" };
}

/** Paths inside the image (see nix/container/Dockerfile and entrypoint.sh). */
export const CONTAINER_PATHS = {
  confDir: '/etc/hls-swarm',
  root: '/var/hls',
  logDir: '/var/log/hls-swarm',
  accessLog: '/var/log/hls-swarm/access.log',
  runDir: '/run/hls-swarm',
  versions: '/run/hls-swarm/versions',
} as const;

/** Ports of the three servers. 0 on the host side (bridge mode only) lets the engine pick. */
export interface OriginPorts {
  http: number;
  nginxExporter: number;
  nodeExporter: number;
}

export interface ContainerOriginPlanInput {
  profile: ProfileName;
  network: ContainerNetworkMode;
  /** Host ports: concrete ports for host networking; 0 allowed with bridge (the engine picks). */
  hostPorts: OriginPorts;
}

export interface ContainerFile {
  target: string;
  content: string;
  mode: number;
}

export interface ContainerOriginPlan {
  network: ContainerNetworkMode;
  /** What the processes inside listen on (with host networking: the host's own ports). */
  listen: { http: string; nginxExporter: string; nodeExporter: string };
  /** Container ports to publish on 127.0.0.1 (bridge mode); empty with host networking. */
  exposedPorts: Array<{ container: number; host: number }>;
  /** Container port of each server (the key to look up its mapped host port). */
  containerPorts: OriginPorts;
  env: Record<string, string>;
  files: ContainerFile[];
  /** URL path of what viewers open, e.g. 'stream.m3u8' or 'master.m3u8'. */
  playlistPath: string;
}

function renderGeneratorArgsFile(args: string[]): string {
  for (const arg of args) {
    if (/[\n\r]/.test(arg)) {
      throw new RangeError(
        `generator argument contains a line break, which the entrypoint cannot pass: ${JSON.stringify(arg)}`,
      );
    }
  }
  return `${args.join('\n')}\n`;
}

export function planContainerOrigin(input: ContainerOriginPlanInput): ContainerOriginPlan {
  const profile = getProfile(input.profile);
  const host = input.network === 'host';
  if (host) {
    for (const [name, port] of Object.entries(input.hostPorts)) {
      if (!Number.isInteger(port) || port <= 0 || port > 65535) {
        throw new RangeError(`host networking needs a concrete ${name} port (1-65535), got ${port}`);
      }
    }
  }
  // With host networking the servers share the host's ports: bind 127.0.0.1 only, on the
  // ports the driver claimed. In their own network namespace they listen on the guest ports.
  const containerPorts: OriginPorts = host
    ? { ...input.hostPorts }
    : {
        http: GUEST_PORTS.http,
        nginxExporter: GUEST_PORTS.nginxExporter,
        nodeExporter: GUEST_PORTS.nodeExporter,
      };
  const bind = host ? '127.0.0.1' : '0.0.0.0';
  const listen = {
    http: `${bind}:${containerPorts.http}`,
    nginxExporter: `${bind}:${containerPorts.nginxExporter}`,
    nodeExporter: `${bind}:${containerPorts.nodeExporter}`,
  };
  const nginxConf = renderNginxConfig({
    listen: listen.http,
    root: CONTAINER_PATHS.root,
    accessLogPath: CONTAINER_PATHS.accessLog,
    errorLogPath: '/dev/stderr',
    pidPath: `${CONTAINER_PATHS.runDir}/nginx.pid`,
    tempDir: `${CONTAINER_PATHS.runDir}/nginx-temp`,
  });
  return {
    network: input.network,
    listen,
    exposedPorts: host
      ? []
      : [
          { container: containerPorts.http, host: input.hostPorts.http },
          { container: containerPorts.nginxExporter, host: input.hostPorts.nginxExporter },
          { container: containerPorts.nodeExporter, host: input.hostPorts.nodeExporter },
        ],
    containerPorts,
    env: {
      HLS_CONF_DIR: CONTAINER_PATHS.confDir,
      HLS_ROOT: CONTAINER_PATHS.root,
      HLS_HTTP_PORT: String(containerPorts.http),
      HLS_NGINX_EXPORTER_LISTEN: listen.nginxExporter,
      HLS_NODE_EXPORTER_LISTEN: listen.nodeExporter,
      HLS_EXPORTERS: '1',
      HLS_PROFILE: profile.name,
    },
    files: [
      { target: `${CONTAINER_PATHS.confDir}/nginx.conf`, content: nginxConf, mode: 0o644 },
      {
        target: `${CONTAINER_PATHS.confDir}/generator.args`,
        content: renderGeneratorArgsFile(generatorArgs(profile, CONTAINER_PATHS.root)),
        mode: 0o644,
      },
    ],
    playlistPath: playlistPath(profile),
  };
}

/** Parses the entrypoint's versions file (`name=version` lines), dropping empty values. */
export function parseVersionsFile(text: string): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([\w.-]+)=(.+)$/.exec(line.trim());
    if (match) versions[match[1] as string] = (match[2] as string).trim();
  }
  return versions;
}
