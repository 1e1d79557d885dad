import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { followScriptOutput, requireBinary, spawnOwned } from '../../system/index.js';
import { OriginStartError } from '../errors.js';
import { type EngineEndpoint, engineImageId, enginePullImage } from './engine.js';

/*
 * The image the origin image builds FROM, made available on the engine without a manual step,
 * as the vm kind builds its guest when missing:
 *  1. $HLS_SWARM_CONTAINER_BASE_IMAGE when set (the user's choice; never pulled or imported here);
 *  2. the offline base when the engine has it, else debian:bookworm-slim when it has that;
 *  3. debian:bookworm-slim pulled, when a registry answers the engine;
 *  4. otherwise the offline base imported by nix/container/import-base.sh: the Debian rootfs of
 *     nix/debian/build-rootfs.sh (from Debian packages, cached under /var/cache/hls-swarm and shared
 *     with the vm origin) `docker import`ed. The image on the engine is the cache: the next start
 *     finds it in step 2 and imports nothing.
 */

/** Imported from the Debian rootfs of nix/debian/build-rootfs.sh; has every package, pulls nothing. */
export const OFFLINE_BASE_IMAGE = 'hls-swarm/debian-base:bookworm';
export const DEFAULT_BASE_IMAGE = 'debian:bookworm-slim';

export interface BaseImage {
  image: string;
  /** The image id on the engine (undefined only for a given image the engine lacks). */
  id: string | undefined;
  /** How it got there: given by the user, already on the engine, pulled, or imported now. */
  source: 'given' | 'engine' | 'pulled' | 'imported';
}

export interface EnsureBaseImageOptions {
  env?: NodeJS.ProcessEnv;
  /** Progress lines of a pull or an import (the long steps). */
  log?: (line: string) => void;
  /** Aborting stops an import in progress (the script's whole process group). */
  signal?: AbortSignal;
}

export function importBaseScriptPath(): string {
  return fileURLToPath(new URL('../../../nix/container/import-base.sh', import.meta.url));
}

/** The base image to build FROM, pulled or imported first when the engine has none. */
export async function ensureBaseImage(
  endpoint: EngineEndpoint,
  options: EnsureBaseImageOptions = {},
): Promise<BaseImage> {
  const env = options.env ?? process.env;
  const given = env.HLS_SWARM_CONTAINER_BASE_IMAGE;
  if (given) return { image: given, id: await engineImageId(endpoint, given), source: 'given' };
  for (const image of [OFFLINE_BASE_IMAGE, DEFAULT_BASE_IMAGE]) {
    const id = await engineImageId(endpoint, image);
    if (id) return { image, id, source: 'engine' };
  }

  options.log?.(`no base image on the engine: pulling ${DEFAULT_BASE_IMAGE}`);
  const pull = await enginePullImage(endpoint, DEFAULT_BASE_IMAGE);
  const pulledId = pull.ok ? await engineImageId(endpoint, DEFAULT_BASE_IMAGE) : undefined;
  if (pulledId) return { image: DEFAULT_BASE_IMAGE, id: pulledId, source: 'pulled' };

  options.log?.(
    `no registry answers (${pull.detail}): importing ${OFFLINE_BASE_IMAGE} from Debian packages ` +
      '(nix/container/import-base.sh; a cold rootfs build takes a minute or more, then it is cached)',
  );
  await importOfflineBaseImage(endpoint, { ...options, env, pullDetail: pull.detail });
  const id = await engineImageId(endpoint, OFFLINE_BASE_IMAGE);
  if (!id) {
    throw new OriginStartError(
      `container origin: nix/container/import-base.sh succeeded but the engine at ${endpoint.dockerHost} has no ${OFFLINE_BASE_IMAGE}`,
      { kind: 'container', part: 'image' },
    );
  }
  return { image: OFFLINE_BASE_IMAGE, id, source: 'imported' };
}

/**
 * Runs nix/container/import-base.sh against the engine: `hls-swarm/debian-base:bookworm` exists
 * afterwards. Its progress lines go to `log`; an abort stops it (and its children) at once.
 */
export async function importOfflineBaseImage(
  endpoint: EngineEndpoint,
  options: EnsureBaseImageOptions & { pullDetail?: string } = {},
): Promise<{ image: string; ms: number }> {
  const startedAtMs = Date.now();
  const env = options.env ?? process.env;
  const script = importBaseScriptPath();
  const part = { kind: 'container', part: 'image' };
  if (!existsSync(script)) {
    throw new OriginStartError(
      `container origin: the base image import script ${script} is missing; give origin.image or set HLS_SWARM_CONTAINER_BASE_IMAGE`,
      part,
    );
  }
  // The script drives the engine with the docker CLI ($DOCKER, e.g. podman, if set).
  requireBinary(env.DOCKER || 'docker', 'docker.io', 'importing the container origin base image', env);
  if (options.signal?.aborted) {
    throw new OriginStartError('container origin: start was aborted', { kind: 'container', part: 'abort' });
  }

  // The driver looks for OFFLINE_BASE_IMAGE: the script must not tag another repository.
  const { HLS_SWARM_BASE_IMAGE_REPO: _repo, ...scriptEnv } = env;
  const run = spawnOwned('bash', [script], {
    env: { ...scriptEnv, DOCKER_HOST: endpoint.dockerHost },
    extendEnv: false,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    graceMs: 5000,
  });
  const onAbort = () => void run.stop();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const output = followScriptOutput(run.subprocess, (line) => {
    // mmdebstrap (a cold rootfs) is chatty: pass on the scripts' own steps and its stage lines.
    if (/^\[(import-base|build-rootfs)\]|^I: /.test(line)) options.log?.(line);
  });
  const exit = await run.exited;
  options.signal?.removeEventListener('abort', onAbort);
  if (options.signal?.aborted) {
    throw new OriginStartError('container origin: start was aborted (while importing the base image)', {
      kind: 'container',
      part: 'abort',
    });
  }
  if (exit.exitCode !== 0) {
    throw new OriginStartError(
      `container origin: the engine at ${endpoint.dockerHost} has no base image` +
        (options.pullDetail ? `, no registry answers (${options.pullDetail})` : '') +
        `, and importing ${OFFLINE_BASE_IMAGE} failed (${script} ${exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.exitCode}`}). ` +
        `Fix what its output says and retry (by hand: DOCKER_HOST=${endpoint.dockerHost} bash ${script}), ` +
        'or set HLS_SWARM_CONTAINER_BASE_IMAGE to a base image the engine has, or give origin.image.',
      { ...part, logTail: output.recentStderr.join('\n'), logFile: 'import-base.sh' },
    );
  }
  return {
    image: output.stdout.trim().split('\n').pop() ?? OFFLINE_BASE_IMAGE,
    ms: Date.now() - startedAtMs,
  };
}
