import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OriginStartError } from '../errors.js';
import { type BaseImage, ensureBaseImage, OFFLINE_BASE_IMAGE } from './base-image.js';
import { type EngineEndpoint, engineImageId } from './engine.js';

/*
 * The origin image: nix/container/Dockerfile built with testcontainers (GenericContainer.fromDockerfile),
 * tagged with a hash of its inputs (Dockerfile, entrypoint, base image id) so a second start on the
 * same engine reuses it without building. The base image comes from base-image.ts: the offline one
 * or debian:bookworm-slim when the engine has either, else pulled, else imported (no registry).
 */

export const ORIGIN_IMAGE_REPO = 'hls-swarm/origin';
/** Files of the build context that go into the image (the hash covers exactly these). */
const CONTEXT_FILES = ['Dockerfile', 'entrypoint.sh'] as const;

/** nix/container in the repo or the installed package (both three levels above this module). */
export function containerContextDir(): string {
  return fileURLToPath(new URL('../../../nix/container/', import.meta.url));
}

/** Tag of the image built from `contextDir` on `baseImageRef` (a name or, better, an image id). */
export function originImageTag(contextDir: string, baseImageRef: string): string {
  const hash = createHash('sha256');
  for (const file of CONTEXT_FILES) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(contextDir, file)));
    hash.update('\0');
  }
  hash.update(`base\0${baseImageRef}`);
  return `${ORIGIN_IMAGE_REPO}:${hash.digest('hex').slice(0, 16)}`;
}

export interface OriginImage {
  image: string;
  baseImage: string;
  /** Where the base came from (`imported`: the engine had none and no registry answered). */
  baseSource: BaseImage['source'];
  built: boolean;
  buildMs: number;
}

/** The origin image on this engine: reused when its tag exists, built from nix/container otherwise. */
export async function ensureOriginImage(
  endpoint: EngineEndpoint,
  options: {
    contextDir?: string;
    env?: NodeJS.ProcessEnv;
    log?: (line: string) => void;
    signal?: AbortSignal;
  } = {},
): Promise<OriginImage> {
  const contextDir = options.contextDir ?? containerContextDir();
  const base = await ensureBaseImage(endpoint, options);
  const tag = originImageTag(contextDir, base.id ?? base.image);
  const made = { image: tag, baseImage: base.image, baseSource: base.source };
  if (await engineImageId(endpoint, tag)) return { ...made, built: false, buildMs: 0 };

  options.log?.(`building ${tag} from ${contextDir} (FROM ${base.image})`);
  const startedMs = Date.now();
  const { GenericContainer } = await import('testcontainers');
  try {
    await GenericContainer.fromDockerfile(contextDir)
      .withBuildArgs({ BASE_IMAGE: base.image })
      .build(tag, { deleteOnExit: false });
  } catch (error) {
    const offlineHint = base.id
      ? ''
      : ` The base image ${base.image} (HLS_SWARM_CONTAINER_BASE_IMAGE) is not on the engine: load it there, or unset HLS_SWARM_CONTAINER_BASE_IMAGE to have ${OFFLINE_BASE_IMAGE} imported from Debian packages.`;
    throw new OriginStartError(
      `Building the origin image from ${contextDir} failed (${error instanceof Error ? error.message : String(error)}).${offlineHint} ` +
        `To see the build output: docker build --build-arg BASE_IMAGE=${base.image} ${contextDir}`,
      { kind: 'container', part: 'image' },
    );
  }
  const buildMs = Date.now() - startedMs;
  options.log?.(`built ${tag} in ${(buildMs / 1000).toFixed(1)} s`);
  return { ...made, built: true, buildMs };
}
