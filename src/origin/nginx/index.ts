import { renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type OriginSpec, parseDurationMs, resolvePort } from '../../config/index.js';
import { claimPorts, findBinary, MissingBinaryError } from '../../system/index.js';
import {
  binaryVersion,
  ffmpegVersion,
  generatorArgs,
  getProfile,
  playlistPath,
  requireFfmpeg,
} from '../generator.js';
import type { OriginDriver, RunningOrigin, StartOriginOptions } from '../types.js';
import {
  OriginProcesses,
  urlHost,
  type WaitStrategy,
  waitForAll,
  waitForHttpOk,
  waitForMetric,
  waitForPlaylist,
} from '../wait/index.js';
import { renderNginxConfig } from './config.js';

export type NginxOriginSpec = Extract<OriginSpec, { kind: 'nginx' }>;

/**
 * The access log is rotated (one generation kept as `.1`, nginx told to reopen) past this size;
 * HLS_SWARM_ACCESS_LOG_MAX_BYTES overrides it.
 */
export const ACCESS_LOG_MAX_BYTES = 256 * 1024 * 1024;
const ACCESS_LOG_CHECK_MS = 2000;

function accessLogMaxBytes(env: NodeJS.ProcessEnv): number {
  const raw = env.HLS_SWARM_ACCESS_LOG_MAX_BYTES;
  if (raw === undefined || raw === '') return ACCESS_LOG_MAX_BYTES;
  const bytes = Number(raw);
  if (!Number.isInteger(bytes) || bytes < 1024) {
    throw new RangeError(
      `HLS_SWARM_ACCESS_LOG_MAX_BYTES: expected a whole number of bytes >= 1024, got '${raw}'`,
    );
  }
  return bytes;
}

/**
 * The first of `names` on PATH or in the `sbin` beside each `bin` on PATH (findBinary's rule):
 * Debian installs nginx in /usr/sbin. PATH without nginx means no nginx.
 */
export function findSbinBinary(names: string[], env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const name of names) {
    const found = findBinary(name, env);
    if (found) return found;
  }
  return undefined;
}

function requireOne(
  names: string[],
  debianPackage: string,
  neededFor: string,
  env: NodeJS.ProcessEnv,
): string {
  const found = findSbinBinary(names, env);
  if (!found) throw new MissingBinaryError(names[0] as string, debianPackage, neededFor);
  return found;
}

/** True when every folder from / down to `path` lets others traverse it (o+x). */
export function traversableByOthers(path: string): boolean {
  for (let dir = path; ; dir = dirname(dir)) {
    try {
      if ((statSync(dir).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    if (dir === dirname(dir)) return true;
  }
}

/**
 * nginx started as root runs its workers as `nobody`; the workspace is made 0755 for them,
 * but if a parent (e.g. a TMPDIR under /root) is closed to others they would answer 403:
 * then run the workers as root rather than serve nothing.
 */
function workerUser(workspace: string): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  return traversableByOthers(workspace) ? undefined : 'root';
}

/**
 * Generator + nginx (the MicroVM's stack as native processes) on 127.0.0.1:17080
 * (MICROVM_HTTP_PORT), prometheus-nginx-exporter on 17113 (MICROVM_METRICS_PORT) and
 * prometheus-node-exporter on 17100 with loopback included. `port: 0` picks free ports for
 * nginx and, unless given, for both exporters.
 */
export async function startNginxOrigin(
  spec: NginxOriginSpec,
  options: StartOriginOptions = {},
): Promise<RunningOrigin> {
  const env = options.env ?? process.env;
  const ffmpeg = requireFfmpeg(env);
  const nginx = requireOne(['nginx'], 'nginx-light', 'the nginx origin', env);
  const nginxExporter = spec.exporters
    ? requireOne(
        ['prometheus-nginx-exporter', 'nginx-prometheus-exporter'],
        'prometheus-nginx-exporter',
        'the nginx origin (exporters: false skips it)',
        env,
      )
    : undefined;
  const nodeExporter = spec.exporters
    ? requireOne(
        ['prometheus-node-exporter', 'node_exporter'],
        'prometheus-node-exporter',
        'the nginx origin (exporters: false skips it)',
        env,
      )
    : undefined;
  const profile = getProfile(spec.profile);
  const maxAccessLogBytes = accessLogMaxBytes(env);

  const httpPortWanted = spec.port ?? resolvePort('originHttp', env);
  const exporterDefault = (name: 'nginxExporter' | 'nodeExporter') =>
    httpPortWanted === 0 ? 0 : resolvePort(name, env);
  const portRequests: Array<[number, string]> = [[httpPortWanted, 'nginx HLS origin (MICROVM_HTTP_PORT)']];
  if (spec.exporters) {
    portRequests.push(
      [spec.nginxExporterPort ?? exporterDefault('nginxExporter'), 'nginx exporter (MICROVM_METRICS_PORT)'],
      [spec.nodeExporterPort ?? exporterDefault('nodeExporter'), 'node exporter'],
    );
  }
  const [httpPort, nginxExporterPort, nodeExporterPort] = await claimPorts(portRequests, spec.bind);
  const host = urlHost(spec.bind);
  const listenHost = spec.bind.includes(':') ? `[${spec.bind}]` : spec.bind;

  const processes = new OriginProcesses('nginx', options.logDir ? { logDir: options.logDir } : {});
  let rotateTimer: NodeJS.Timeout | undefined;
  try {
    const root = processes.subdir('hls');
    const nginxDir = processes.subdir('nginx');
    const accessLog = join(processes.workspace.logDir, 'nginx-access.json');
    const configPath = join(nginxDir, 'nginx.conf');
    writeFileSync(
      configPath,
      renderNginxConfig({
        listen: `${listenHost}:${httpPort}`,
        root,
        accessLogPath: accessLog,
        // Errors go to nginx's stderr, i.e. its bounded log file.
        errorLogPath: 'stderr',
        pidPath: join(nginxDir, 'nginx.pid'),
        tempDir: processes.subdir('nginx/tmp'),
        workerProcesses: 1,
        ...(workerUser(root) ? { user: workerUser(root) as string } : {}),
      }),
    );

    processes.start('generator', ffmpeg, generatorArgs(profile, root), { env, cwd: root });
    const nginxProcess = processes.start(
      'nginx',
      nginx,
      ['-p', `${nginxDir}/`, '-c', configPath, '-e', 'stderr'],
      {
        env,
        cwd: nginxDir,
      },
    );
    const base = `http://${host}:${httpPort}`;
    const streamUrl = `${base}/${playlistPath(profile)}`;
    const exporters: RunningOrigin['exporters'] = {};
    const logsSoFar = () => processes.logs;
    const strategies: WaitStrategy[] = [
      waitForHttpOk(`${base}/health`, { logFile: logsSoFar().nginx }),
      waitForPlaylist(streamUrl, { minSegments: spec.minSegments, logFile: logsSoFar().generator }),
    ];

    if (nginxExporter && nodeExporter) {
      processes.start(
        'nginx-exporter',
        nginxExporter,
        [
          '-nginx.scrape-uri',
          `${base}/nginx_status`,
          '-web.listen-address',
          `${listenHost}:${nginxExporterPort}`,
          // nginx may still be starting: retry instead of exiting.
          '-nginx.retries',
          '20',
          '-nginx.retry-interval',
          '500ms',
        ],
        { env },
      );
      processes.start(
        'node-exporter',
        nodeExporter,
        [
          `--web.listen-address=${listenHost}:${nodeExporterPort}`,
          // Debian's build drops lo by default; loopback is where a local test's traffic is.
          '--collector.netdev.device-exclude=^$',
          // Only what an origin's health needs: keeps each scrape cheap.
          '--collector.disable-defaults',
          '--collector.cpu',
          '--collector.meminfo',
          '--collector.netdev',
          '--collector.loadavg',
          '--collector.diskstats',
          '--collector.filesystem',
          '--collector.stat',
        ],
        { env },
      );
      exporters.nginx = `http://${host}:${nginxExporterPort}/metrics`;
      exporters.node = `http://${host}:${nodeExporterPort}/metrics`;
      strategies.push(
        waitForMetric(exporters.nginx, 'nginx_up', { equals: 1, logFile: logsSoFar()['nginx-exporter'] }),
        waitForMetric(exporters.node, 'node_network_receive_bytes_total{device="lo"}', {
          logFile: logsSoFar()['node-exporter'],
        }),
      );
    }

    await waitForAll(strategies, {
      timeoutMs: parseDurationMs(spec.readyTimeout),
      kind: 'nginx',
      watch: processes.watched(),
      ...(options.signal ? { signal: options.signal } : {}),
    });

    // Bound the access log: rename it and tell nginx to reopen (SIGUSR1 to the master).
    rotateTimer = setInterval(() => {
      try {
        if (statSync(accessLog).size > maxAccessLogBytes && nginxProcess.running) {
          renameSync(accessLog, `${accessLog}.1`);
          process.kill(nginxProcess.pid, 'SIGUSR1');
        }
      } catch {}
    }, ACCESS_LOG_CHECK_MS);
    rotateTimer.unref();

    const versionPromises: Array<Promise<[string, string]>> = [
      ffmpegVersion(ffmpeg).then((version) => ['ffmpeg', version]),
      binaryVersion(nginx, ['-v'], /nginx\/(\S+)/).then((version) => ['nginx', version]),
    ];
    if (nginxExporter && nodeExporter) {
      versionPromises.push(
        binaryVersion(nginxExporter, ['-version'], /version=(\S+?)[,\s]/).then((version) => [
          'nginxExporter',
          version,
        ]),
        binaryVersion(nodeExporter, ['--version'], /version (\S+)/).then((version) => [
          'nodeExporter',
          version,
        ]),
      );
    }
    const versions = Object.fromEntries(await Promise.all(versionPromises));
    const ports: Record<string, number> = { http: httpPort as number };
    if (nginxExporterPort !== undefined) ports.nginxExporter = nginxExporterPort;
    if (nodeExporterPort !== undefined) ports.nodeExporter = nodeExporterPort;

    return {
      kind: 'nginx',
      streamUrl,
      exporters,
      accessLog,
      logs: { ...processes.logs, access: accessLog },
      versions,
      profile: profile.name,
      ports,
      status: () => processes.status(),
      stop: async () => {
        clearInterval(rotateTimer);
        await processes.stop();
      },
    };
  } catch (error) {
    clearInterval(rotateTimer);
    await processes.stop();
    throw error;
  }
}

export const driver: OriginDriver<NginxOriginSpec> = {
  kind: 'nginx',
  start: startNginxOrigin,
};
