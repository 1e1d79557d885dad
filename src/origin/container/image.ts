import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OriginStartError } from '../errors.js';
import { type EngineEndpoint, engineImageId } from './engine.js';

/*
 * The origin image: nix/container/Dockerfile built with testcontainers (GenericContainer.fromDockerfile),
 * tagged with a hash of its inputs (Dockerfile, entrypoint, base image id) so a second start on the
 * same engine reuses it without building. The base image is the offline one imported by
 * nix/container/import-base.sh when the engine has it, else debian:bookworm-slim (pulled).
 */

export const ORIGIN_IMAGE_REPO = 'hls-swarm/origin';
/** Imported from the Debian rootfs of nix/debian/build-rootfs.sh; has every package, pulls nothing. */
export const OFFLINE_BASE_IMAGE = 'hls-swarm/debian-base:bookworm';
export const DEFAULT_BASE_IMAGE = 'debian:bookworm-slim';
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

/** Which base the Dockerfile builds FROM: $HLS_SWARM_CONTAINER_BASE_IMAGE, the offline one if present, or Debian's. */
export async function chooseBaseImage(
  endpoint: EngineEndpoint,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ image: string; id: string | undefined }> {
  const override = env.HLS_SWARM_CONTAINER_BASE_IMAGE;
  if (override) return { image: override, id: await engineImageId(endpoint, override) };
  const offlineId = await engineImageId(endpoint, OFFLINE_BASE_IMAGE);
  if (offlineId) return { image: OFFLINE_BASE_IMAGE, id: offlineId };
  return { image: DEFAULT_BASE_IMAGE, id: await engineImageId(endpoint, DEFAULT_BASE_IMAGE) };
}

export interface OriginImage {
  image: string;
  baseImage: string;
  built: boolean;
  buildMs: number;
}

/** The origin image on this engine: reused when its tag exists, built from nix/container otherwise. */
export async function ensureOriginImage(
  endpoint: EngineEndpoint,
  options: { contextDir?: string; env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {},
): Promise<OriginImage> {
  const contextDir = options.contextDir ?? containerContextDir();
  const base = await chooseBaseImage(endpoint, options.env);
  const tag = originImageTag(contextDir, base.id ?? base.image);
  if (await engineImageId(endpoint, tag))
    return { image: tag, baseImage: base.image, built: false, buildMs: 0 };

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
      : ` The base image ${base.image} is not on the engine: without a registry, run nix/container/import-base.sh first (it imports ${OFFLINE_BASE_IMAGE} from Debian packages).`;
    throw new OriginStartError(
      `Building the origin image from ${contextDir} failed (${error instanceof Error ? error.message : String(error)}).${offlineHint} ` +
        `To see the build output: docker build --build-arg BASE_IMAGE=${base.image} ${contextDir}`,
      { kind: 'container', part: 'image' },
    );
  }
  const buildMs = Date.now() - startedMs;
  options.log?.(`built ${tag} in ${(buildMs / 1000).toFixed(1)} s`);
  return { image: tag, baseImage: base.image, built: true, buildMs };
}
