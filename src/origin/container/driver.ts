import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  BoundPorts,
  StartedTestContainer,
  WaitStrategy as TestcontainersWaitStrategy,
} from 'testcontainers';
import { DEFAULT_PORTS, type OriginSpec, parseDurationMs, resolvePort } from '../../config/index.js';
import {
  BoundedLogFile,
  claimPort,
  ownContainer,
  ownDirectory,
  releaseContainer,
  releaseDirectory,
} from '../../system/index.js';
import { OriginStartError } from '../errors.js';
import type { OriginProcessStatus, OriginStatus, RunningOrigin, StartOriginOptions } from '../types.js';
import { waitForAll, waitForHttpOk, waitForMetric, waitForPlaylist } from '../wait/index.js';
import {
  applyTestcontainersDefaults,
  containerEngineStatus,
  type EngineEndpoint,
  engineContainerState,
  engineEndpoint,
  engineHasUsableBridge,
  engineRemoveContainer,
} from './engine.js';
import { ensureOriginImage } from './image.js';
import {
  CONTAINER_PATHS,
  type ContainerNetworkMode,
  decideNetworkMode,
  type OriginPorts,
  parseVersionsFile,
  planContainerOrigin,
} from './plan.js';

export type ContainerOriginSpec = Extract<OriginSpec, { kind: 'container' }>;

export interface ContainerStartOptions extends StartOriginOptions {
  /** Progress of the image steps: base image pull or import, origin image build (default: stderr). */
  onProgress?: (line: string) => void;
}

/** Label on every container this driver starts (tests and cleanup find them by it). */
export const ORIGIN_CONTAINER_LABEL = 'io.hls-swarm.origin';
/** `docker stop` grace: the entrypoint stops its children in well under a second. */
const STOP_TIMEOUT_MS = 10_000;

/** Host ports to use: the seed's defaults unless the spec names others; 0 = a free one. */
async function chooseHostPorts(
  spec: ContainerOriginSpec,
  network: ContainerNetworkMode,
): Promise<OriginPorts> {
  const wanted: Array<[keyof OriginPorts, number, string]> = [
    ['http', spec.port ?? resolvePort('originHttp'), 'container origin nginx (origin.port)'],
    [
      'nginxExporter',
      spec.nginxExporterPort ?? resolvePort('nginxExporter'),
      'container origin nginx-exporter (origin.nginxExporterPort)',
    ],
    [
      'nodeExporter',
      spec.nodeExporterPort ?? DEFAULT_PORTS.nodeExporter,
      'container origin node-exporter (origin.nodeExporterPort)',
    ],
  ];
  const ports = {} as OriginPorts;
  const taken = new Set<number>();
  for (const [name, port, purpose] of wanted) {
    if (port === 0 && network === 'bridge') {
      ports[name] = 0; // the engine picks one when it publishes the port
      continue;
    }
    let chosen = await claimPort(port, purpose);
    // Free ports picked one after the other may repeat: the OS may hand out a just-closed one.
    for (let attempt = 0; port === 0 && taken.has(chosen) && attempt < 20; attempt++) {
      chosen = await claimPort(0, purpose);
    }
    taken.add(chosen);
    ports[name] = chosen;
  }
  return ports;
}

/** testcontainers' wait interface around our shared readiness checks (src/origin/wait). */
class OriginReadyWait implements TestcontainersWaitStrategy {
  private timeoutMs = 120_000;
  private timeoutSet = false;
  constructor(private readonly run: (boundPorts: BoundPorts, timeoutMs: number) => Promise<void>) {}
  waitUntilReady(_container: unknown, boundPorts: BoundPorts): Promise<void> {
    return this.run(boundPorts, this.timeoutMs);
  }
  withStartupTimeout(startupTimeoutMs: number): this {
    this.timeoutMs = startupTimeoutMs;
    this.timeoutSet = true;
    return this;
  }
  isStartupTimeoutSet(): boolean {
    return this.timeoutSet;
  }
  getStartupTimeout(): number {
    return this.timeoutMs;
  }
}

interface ContainerLife {
  running: boolean;
  exit?: { exitCode?: number; signal?: string };
  exitedAtMs?: number;
  problem?: string;
}

/** Starts the container origin; resolves once /health, the playlist and both exporters answer. */
export async function startContainerOrigin(
  spec: ContainerOriginSpec,
  options: ContainerStartOptions = {},
): Promise<RunningOrigin> {
  const startedAtMs = Date.now();
  if (options.signal?.aborted) {
    throw new OriginStartError('container origin: start was aborted', { kind: 'container', part: 'abort' });
  }
  const endpoint = engineEndpoint(process.env);
  const engine = await containerEngineStatus(process.env);
  if (!engine.ok)
    throw new OriginStartError(`container origin: ${engine.detail}`, { kind: 'container', part: 'engine' });
  applyTestcontainersDefaults(endpoint);
  const network = decideNetworkMode(spec.network, await engineHasUsableBridge(endpoint));
  const hostPorts = await chooseHostPorts(spec, network.mode);
  const plan = planContainerOrigin({ profile: spec.profile, network: network.mode, hostPorts });

  const workspace = mkdtempSync(join(tmpdir(), 'hls-swarm-container-'));
  chmodSync(workspace, 0o755);
  ownDirectory(workspace);
  const logDir = options.logDir ?? join(workspace, 'logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, 'container.log');
  const log = new BoundedLogFile(logFile);
  const note = (line: string) => log.write(`[driver] ${new Date().toISOString()} ${line}\n`);
  const progress = options.onProgress ?? ((line: string) => process.stderr.write(`${line}\n`));
  note(`engine: ${engine.detail}; network: ${network.mode} (${network.reason})`);

  // nginx's JSON access log lands on this host when the engine runs here (unix socket).
  const accessLogDir = endpoint.local ? join(workspace, 'nginx-log') : undefined;
  if (accessLogDir) {
    mkdirSync(accessLogDir, { recursive: true });
    chmodSync(accessLogDir, 0o755);
  }

  const life: ContainerLife = { running: true };
  let stopping = false;
  let containerId: string | undefined;
  let started: StartedTestContainer | undefined;

  const cleanupWorkspace = () => {
    log.close();
    try {
      rmSync(workspace, { recursive: true, force: true });
    } catch {
      // Files the container wrote as another user may resist removal; the folder is temporary.
    }
    releaseDirectory(workspace);
  };

  const removeCreated = async () => {
    if (!containerId) return;
    await engineRemoveContainer(endpoint, containerId).catch(() => false);
    releaseContainer(containerId);
  };

  try {
    const image = spec.image
      ? { image: spec.image, built: false, buildMs: 0 }
      : await ensureOriginImage(endpoint, {
          log: (line) => {
            note(line);
            progress(line.startsWith('[') ? line : `[container] ${line}`);
          },
          ...(options.signal ? { signal: options.signal } : {}),
        });
    note(
      `image: ${image.image}${image.built ? ` (built in ${(image.buildMs / 1000).toFixed(1)} s)` : ''}` +
        ('baseSource' in image ? ` on ${image.baseImage} (${image.baseSource})` : ''),
    );

    const { GenericContainer } = await import('testcontainers');

    // Publishes ports on 127.0.0.1 only (testcontainers binds every interface) and hands the
    // container to our watchdog as soon as it exists, before it starts.
    class OriginContainer extends GenericContainer {
      protected override async beforeContainerCreated(): Promise<void> {
        const bindings = this.hostConfig.PortBindings as
          | Record<string, Array<Record<string, string>>>
          | undefined;
        for (const list of Object.values(bindings ?? {})) {
          for (const binding of list) binding.HostIp = '127.0.0.1';
        }
        this.createOpts.StopTimeout = STOP_TIMEOUT_MS / 1000;
      }
      protected override async containerCreated(id: string): Promise<void> {
        containerId = id;
        ownContainer(id, endpoint.dockerHost);
        note(`created container ${id.slice(0, 12)}`);
      }
    }

    const urlsFor = (boundPorts: BoundPorts | undefined) => {
      const port = (containerPort: number, hostPort: number) =>
        plan.network === 'host' || !boundPorts ? hostPort : boundPorts.getBinding(containerPort);
      const http = port(plan.containerPorts.http, hostPorts.http);
      const nginxExporter = port(plan.containerPorts.nginxExporter, hostPorts.nginxExporter);
      const nodeExporter = port(plan.containerPorts.nodeExporter, hostPorts.nodeExporter);
      return {
        base: `http://127.0.0.1:${http}`,
        stream: `http://127.0.0.1:${http}/${plan.playlistPath}`,
        nginxExporter: `http://127.0.0.1:${nginxExporter}/metrics`,
        nodeExporter: `http://127.0.0.1:${nodeExporter}/metrics`,
      };
    };

    const wait = new OriginReadyWait(async (boundPorts, timeoutMs) => {
      // Aborted while the image was checked or the container created: fail now (testcontainers
      // then stops and removes the container) rather than after waiting for readiness.
      if (options.signal?.aborted) {
        throw new OriginStartError('container origin: start was aborted', {
          kind: 'container',
          part: 'abort',
        });
      }
      const urls = urlsFor(boundPorts);
      await waitForAll(
        [
          waitForHttpOk(`${urls.base}/health`, { logFile }),
          waitForPlaylist(urls.stream, { minSegments: spec.minSegments, logFile }),
          waitForMetric(urls.nginxExporter, 'nginx_up', { equals: 1, logFile }),
          waitForMetric(urls.nodeExporter, 'node_network_receive_bytes_total{device="lo"}', { logFile }),
        ],
        {
          timeoutMs,
          kind: 'container',
          ...(options.signal ? { signal: options.signal } : {}),
          watch: [{ name: 'container', process: life, logFile }],
        },
      );
    });

    const container = new OriginContainer(image.image)
      .withNetworkMode(plan.network)
      .withEnvironment(plan.env)
      .withCopyContentToContainer(plan.files)
      .withTmpFs({ [CONTAINER_PATHS.root]: 'rw,mode=0755,size=512m' })
      .withLabels({ [ORIGIN_CONTAINER_LABEL]: 'container', 'io.hls-swarm.profile': spec.profile })
      .withLogConsumer((stream) => {
        stream.on('data', (chunk: string | Buffer) => log.write(chunk));
        stream.on('error', () => {});
        // The log stream ends when the container does: that is how status() notices a death.
        stream.on('end', () => {
          if (stopping) return;
          void (async () => {
            const state = containerId
              ? await engineContainerState(endpoint, containerId).catch(() => undefined)
              : undefined;
            if (state?.running || stopping) return;
            life.running = false;
            life.exitedAtMs = Date.now();
            life.exit = state?.exitCode !== undefined ? { exitCode: state.exitCode } : {};
            life.problem = `container ${containerId?.slice(0, 12) ?? '?'} ${
              state
                ? `exited with code ${state.exitCode}${state.oomKilled ? ' (out of memory)' : ''}`
                : 'disappeared'
            } at ${new Date(life.exitedAtMs).toISOString()} (log: ${logFile})`;
            note(life.problem);
          })();
        });
      })
      .withWaitStrategy(wait)
      .withStartupTimeout(parseDurationMs(spec.readyTimeout));
    if (plan.exposedPorts.length > 0) container.withExposedPorts(...plan.exposedPorts.map(portSpec));
    if (accessLogDir)
      container.withBindMounts([{ source: accessLogDir, target: CONTAINER_PATHS.logDir, mode: 'rw' }]);

    try {
      started = await container.start();
    } catch (error) {
      throw error instanceof OriginStartError
        ? error
        : new OriginStartError(
            `container origin: the container did not start: ${error instanceof Error ? error.message : String(error)}`,
            { kind: 'container', part: 'container', logFile },
          );
    }
    if (options.signal?.aborted) {
      throw new OriginStartError('container origin: start was aborted', { kind: 'container', part: 'abort' });
    }
    const mappedPorts: OriginPorts =
      plan.network === 'bridge'
        ? {
            http: started.getMappedPort(plan.containerPorts.http),
            nginxExporter: started.getMappedPort(plan.containerPorts.nginxExporter),
            nodeExporter: started.getMappedPort(plan.containerPorts.nodeExporter),
          }
        : hostPorts;
    const streamUrl = `http://127.0.0.1:${mappedPorts.http}/${plan.playlistPath}`;

    let versions: Record<string, string> = {};
    try {
      const result = await started.exec(['cat', CONTAINER_PATHS.versions]);
      versions = parseVersionsFile(result.output);
    } catch (error) {
      note(`could not read versions: ${error instanceof Error ? error.message : String(error)}`);
    }
    const readyMs = Date.now() - startedAtMs;
    note(`ready in ${(readyMs / 1000).toFixed(1)} s: ${streamUrl}`);

    const startedContainer = started;
    const id = startedContainer.getId();
    let stopPromise: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopPromise ??= (async () => {
        stopping = true;
        try {
          await startedContainer.stop({ timeout: STOP_TIMEOUT_MS, remove: true, removeVolumes: true });
        } catch (error) {
          note(`stop failed (${error instanceof Error ? error.message : String(error)}): removing by force`);
        }
        if (await engineContainerState(endpoint, id).catch(() => undefined)) {
          await engineRemoveContainer(endpoint, id).catch(() => false);
        }
        releaseContainer(id);
        note('stopped and removed');
        // Keep logs the caller asked for; the temporary workspace goes.
        cleanupWorkspace();
      })();
      return stopPromise;
    };

    const status = (): OriginStatus => {
      const process: OriginProcessStatus = {
        name: 'container',
        running: life.running && !stopping,
        ...(life.exit?.exitCode !== undefined ? { exitCode: life.exit.exitCode } : {}),
        ...(life.exitedAtMs !== undefined ? { exitedAtMs: life.exitedAtMs } : {}),
        logFile,
      };
      const problems = life.problem ? [life.problem] : [];
      return { healthy: problems.length === 0, processes: [process], problems };
    };

    return {
      kind: 'container',
      streamUrl,
      exporters: {
        nginx: `http://127.0.0.1:${mappedPorts.nginxExporter}/metrics`,
        node: `http://127.0.0.1:${mappedPorts.nodeExporter}/metrics`,
      },
      ports: { ...mappedPorts },
      ...(accessLogDir ? { accessLog: join(accessLogDir, 'access.log') } : {}),
      logs: { container: logFile },
      versions: { ...versions, image: image.image },
      profile: spec.profile,
      status,
      stop,
    };
  } catch (error) {
    stopping = true;
    if (started) {
      await started.stop({ timeout: 0, remove: true, removeVolumes: true }).catch(() => undefined);
    }
    await removeCreated();
    // The log may be inside the workspace: the error already carries its tail.
    if (!options.logDir) note('start failed; removing the workspace');
    cleanupWorkspace();
    throw error;
  }
}

function portSpec(port: { container: number; host: number }): number | { container: number; host: number } {
  return port.host === 0 ? port.container : port;
}

export type { EngineEndpoint };
