import { execFileSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BoundedLogFile,
  findBinary,
  type OwnedProcess,
  ownDirectory,
  releaseDirectory,
  spawnOwned,
  tailFile,
} from '../../../system/index.js';
import { importOfflineBaseImage } from '../base-image.js';
import {
  containerEngineStatus,
  engineContainersWithLabel,
  engineEndpoint,
  engineRemoveContainer,
  parseDockerHost,
} from '../engine.js';

/*
 * Test helper: a container engine for the integration tests. If one answers (DOCKER_HOST or
 * /var/run/docker.sock) it is used as it is. Otherwise docker.io is installed if missing and a
 * private dockerd is started with spawnOwned, touching no host network:
 *   dockerd --bridge=none --iptables=false --ip6tables=false --ip-masq=false --userland-proxy=false
 * with its own data root, exec root, socket and pidfile. stop() ends it by PID (SIGTERM: dockerd
 * stops its containers and its containerd), then ends any containerd/shim still running from our
 * exec root by PID, unmounts what is left under our roots and removes our folders.
 *
 * Data root: /var/cache/hls-swarm/docker when it can be locked for this run, so the imported base
 * image and the built origin image survive between runs (warm start: no 16 s import, no build);
 * otherwise (locked by another live run, not writable, or HLS_SWARM_TEST_DOCKER_CACHE=0) a temporary
 * folder, i.e. the cold path, which must always work.
 */

const CACHE_ROOT = process.env.HLS_SWARM_CACHE || '/var/cache/hls-swarm';

export interface TestDockerEngine {
  dockerHost: string;
  /** True when this helper started dockerd (and will stop it). */
  startedByUs: boolean;
  dockerdPid?: number;
  dataRoot?: string;
  execRoot?: string;
  /** Whether the data root is the persistent cache (warm) or a fresh temporary one. */
  cachedDataRoot: boolean;
  dockerdLog?: string;
  startMs: number;
  /** PIDs of processes we started that still run: dockerd, and containerd/shims from our exec root. */
  leftoverPids(): number[];
  stop(): Promise<void>;
}

function log(line: string): void {
  process.stderr.write(`[docker-engine] ${line}\n`);
}

/** Installs docker.io with apt-get when dockerd is missing (the CI pre-script normally has done it). */
async function ensureDockerd(): Promise<string> {
  const existing = findBinary('dockerd', { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` });
  if (existing) return existing;
  log('dockerd not found: apt-get install -y docker.io');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = async (args: string[]) =>
    (await spawnOwned('apt-get', args, { env, stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' }).exited)
      .exitCode === 0;
  if (!(await apt(['install', '-y', '-q', 'docker.io']))) {
    await apt(['update', '-q']);
    await apt(['install', '-y', '-q', 'docker.io']);
  }
  const installed = findBinary('dockerd', { PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` });
  if (!installed) throw new Error('dockerd is missing and `apt-get install docker.io` did not provide it');
  return installed;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** An exclusive lock file holding our PID; a lock whose PID is dead is taken over. */
function tryLock(path: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return false;
      const holder = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && pidAlive(holder)) return false;
      rmSync(path, { force: true });
    }
  }
  return false;
}

/** PIDs whose command line mentions `marker` (our exec/data root): containerd and shims of our dockerd. */
function pidsMentioning(markers: string[]): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (markers.some((marker) => cmdline.includes(marker))) pids.push(Number(entry));
    } catch {}
  }
  return pids;
}

/** Mount points at or below any of `roots`, deepest first. */
function mountsUnder(roots: string[]): string[] {
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  const points = text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((point): point is string => !!point)
    .map((point) => point.replace(/\\040/g, ' '))
    .filter((point) => roots.some((root) => point === root || point.startsWith(`${root}/`)));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

function unmountAll(roots: string[]): void {
  for (const point of mountsUnder(roots)) {
    try {
      execFileSync('umount', [point], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      try {
        execFileSync('umount', ['-l', point], { stdio: 'ignore', timeout: 10_000 });
      } catch {}
    }
  }
}

async function killByPid(pids: number[], graceMs: number): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {}
  }
  const deadline = Date.now() + graceMs;
  while (pids.some(pidAlive) && Date.now() < deadline) await sleep(100);
  for (const pid of pids.filter(pidAlive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}

/** An engine for the tests: the one that answers, or a private dockerd started here. */
export interface ProvideDockerEngineOptions {
  readyTimeoutMs?: number;
  /**
   * Start our own dockerd inside this network namespace (/run/netns/NAME, made with `ip netns add`)
   * with its default bridge: docker0, its addresses and the port proxies then exist only in that
   * namespace, so the host network is untouched. Clients must run in the namespace too
   * (`nsenter --net=/run/netns/NAME …`). Implies starting our own engine.
   */
  netns?: string;
  /** Cache folder name under /var/cache/hls-swarm for the data root; default 'docker'. */
  cacheName?: string;
}

export async function provideDockerEngine(
  options: ProvideDockerEngineOptions = {},
): Promise<TestDockerEngine> {
  const startedAtMs = Date.now();
  const existing = options.netns ? { ok: false, detail: '' } : await containerEngineStatus(process.env);
  if (existing.ok) {
    log(`using the engine that answers: ${existing.detail}`);
    return {
      dockerHost: engineEndpoint(process.env).dockerHost,
      startedByUs: false,
      cachedDataRoot: true,
      startMs: Date.now() - startedAtMs,
      leftoverPids: () => [],
      stop: async () => {},
    };
  }

  const dockerd = await ensureDockerd();
  const afterInstall = options.netns ? { ok: false, detail: '' } : await containerEngineStatus(process.env);
  if (afterInstall.ok) {
    // Installing docker.io may have started the system's dockerd.
    log(`using the engine that answers after installing docker.io: ${afterInstall.detail}`);
    return {
      dockerHost: engineEndpoint(process.env).dockerHost,
      startedByUs: false,
      cachedDataRoot: true,
      startMs: Date.now() - startedAtMs,
      leftoverPids: () => [],
      stop: async () => {},
    };
  }

  const runDir = mkdtempSync(join(tmpdir(), 'hls-swarm-dockerd-'));
  ownDirectory(runDir);
  const execRoot = join(runDir, 'exec');
  const socket = join(runDir, 'docker.sock');
  const dockerdLog = join(runDir, 'dockerd.log');
  mkdirSync(execRoot);

  const cacheName = options.cacheName ?? 'docker';
  const cacheDataRoot = join(CACHE_ROOT, cacheName);
  const lockPath = join(CACHE_ROOT, `${cacheName}.lock`);
  let dataRoot = join(runDir, 'data');
  let cachedDataRoot = false;
  if (process.env.HLS_SWARM_TEST_DOCKER_CACHE !== '0') {
    try {
      mkdirSync(CACHE_ROOT, { recursive: true });
      if (tryLock(lockPath)) {
        dataRoot = cacheDataRoot;
        cachedDataRoot = true;
      } else log(`${cacheDataRoot} is in use by another run: using a temporary data root (cold)`);
    } catch {
      log(`${CACHE_ROOT} is not writable: using a temporary data root (cold)`);
    }
  }
  mkdirSync(dataRoot, { recursive: true });

  const args = [
    '--data-root',
    dataRoot,
    '--exec-root',
    execRoot,
    '-H',
    `unix://${socket}`,
    '--pidfile',
    join(runDir, 'dockerd.pid'),
    // No iptables/NAT changes. On the host: no bridge and no userland proxy either, so nothing
    // on the host network changes. In a namespace: the default bridge, published ports served
    // by docker-proxy, all inside that namespace.
    ...(options.netns ? [] : ['--bridge=none', '--userland-proxy=false']),
    '--iptables=false',
    '--ip6tables=false',
    '--ip-masq=false',
    // On SIGTERM dockerd stops running containers with this timeout before exiting.
    '--shutdown-timeout=5',
  ];
  log(
    `starting ${dockerd}${options.netns ? ` in netns ${options.netns}` : ''} (data root ${dataRoot}${cachedDataRoot ? ', cached' : ', temporary'})`,
  );
  const logFile = new BoundedLogFile(dockerdLog);
  // nsenter --net only (not `ip netns exec`, whose private /sys hides the cgroup mounts dockerd needs).
  const [file, fileArgs] = options.netns
    ? ['nsenter', [`--net=/run/netns/${options.netns}`, dockerd, ...args]]
    : [dockerd, args];
  const daemon: OwnedProcess = spawnOwned(file, fileArgs, {
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    graceMs: 20_000,
  });
  daemon.subprocess.stdout?.on('data', (chunk: Buffer) => logFile.write(chunk));
  daemon.subprocess.stderr?.on('data', (chunk: Buffer) => logFile.write(chunk));

  const dockerHost = `unix://${socket}`;
  const markers = [execRoot, dataRoot === cacheDataRoot ? `${cacheDataRoot}/` : dataRoot];
  let stopped: Promise<void> | undefined;
  const engine: TestDockerEngine = {
    dockerHost,
    startedByUs: true,
    dockerdPid: daemon.pid,
    dataRoot,
    execRoot,
    cachedDataRoot,
    dockerdLog,
    startMs: 0,
    leftoverPids: () => [...(daemon.running ? [daemon.pid] : []), ...pidsMentioning(markers)],
    stop: () => {
      stopped ??= (async () => {
        const endpoint = engineEndpoint({ DOCKER_HOST: dockerHost });
        // Containers a failed test left behind (the test itself asserts there are none).
        try {
          for (const id of await engineContainersWithLabel(endpoint, 'io.hls-swarm.origin')) {
            await engineRemoveContainer(endpoint, id);
          }
        } catch {}
        const phaseStartMs = Date.now();
        await daemon.stop(20_000);
        const stoppedMs = Date.now();
        await killByPid(pidsMentioning(markers), 3000);
        unmountAll([execRoot, dataRoot]);
        logFile.close();
        if (process.env.HLS_SWARM_KEEP_DOCKERD_LOG !== '1') rmSync(runDir, { recursive: true, force: true });
        log(
          `dockerd stopped in ${stoppedMs - phaseStartMs} ms; cleanup ${Date.now() - stoppedMs} ms` +
            (cachedDataRoot ? '' : ' (temporary data root removed)'),
        );
        releaseDirectory(runDir);
        if (cachedDataRoot) rmSync(lockPath, { force: true });
      })();
      return stopped;
    },
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    const status = await containerEngineStatus({ DOCKER_HOST: dockerHost });
    if (status.ok) break;
    if (!daemon.running || Date.now() > deadline) {
      const tail = await tailFile(dockerdLog, 30);
      await engine.stop();
      throw new Error(
        `dockerd ${daemon.running ? 'did not answer in time' : 'exited'} (${status.detail})\n--- dockerd log ---\n${tail}`,
      );
    }
    await sleep(200);
  }
  engine.startMs = Date.now() - startedAtMs;
  log(`dockerd ${daemon.pid} answers at ${dockerHost} after ${engine.startMs} ms`);
  if (cachedDataRoot) {
    // A run that was killed outright may have left stopped origin containers in the cached root.
    const endpoint = engineEndpoint({ DOCKER_HOST: dockerHost });
    for (const id of await engineContainersWithLabel(endpoint, 'io.hls-swarm.origin').catch(() => [])) {
      log(`removing container ${id.slice(0, 12)} left by an earlier run`);
      await engineRemoveContainer(endpoint, id).catch(() => false);
    }
  }
  return engine;
}

/**
 * Makes the offline base image (hls-swarm/debian-base:bookworm) available on the engine with the
 * product's own import (base-image.ts: nix/container/import-base.sh, the Debian rootfs shared with
 * the VM origin and cached in /var/cache/hls-swarm). Returns how long it took.
 */
export async function ensureOfflineBaseImage(dockerHost: string): Promise<{ image: string; ms: number }> {
  return importOfflineBaseImage(parseDockerHost(dockerHost), {
    log: (line) => log(line),
  });
}
