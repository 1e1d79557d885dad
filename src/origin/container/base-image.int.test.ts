import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OFFLINE_BASE_IMAGE } from './base-image.js';
import {
  applyTestcontainersDefaults,
  type EngineEndpoint,
  engineImageId,
  engineRequest,
  parseDockerHost,
} from './engine.js';
import { ensureOriginImage } from './image.js';
import { provideDockerEngine, type TestDockerEngine } from './test/docker-engine.js';

/*
 * An engine without the base image, and no registry (this machine's engines reach none): the
 * container origin imports hls-swarm/debian-base:bookworm itself (nix/container/import-base.sh),
 * once; the next start finds it on the engine. The base tag is removed from the test engine first;
 * its rootfs-<key> tag stays, so on the cached engine the import re-tags (cheap), and on a cold one
 * it runs the real `docker import`. The Debian rootfs is the one the other container tests build.
 */

let engine: TestDockerEngine | undefined;
let endpoint: EngineEndpoint;

/** Untags the base image (noprune: the layers stay for its other tag and the origin images). */
async function removeBaseTag(): Promise<void> {
  await engineRequest(
    endpoint,
    'DELETE',
    `/images/${encodeURIComponent(OFFLINE_BASE_IMAGE)}?noprune=1`,
    30_000,
  );
  expect(await engineImageId(endpoint, OFFLINE_BASE_IMAGE)).toBeUndefined();
}

/** Processes still running nix/container/import-base.sh. */
function importScriptsRunning(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('import-base.sh');
      } catch {
        return false;
      }
    })
    .map(Number);
}

beforeAll(async () => {
  engine = await provideDockerEngine();
  endpoint = parseDockerHost(engine.dockerHost);
  // testcontainers (which builds the origin image) reads the engine from process.env, as the driver sets it.
  process.env.DOCKER_HOST = engine.dockerHost;
  applyTestcontainersDefaults(endpoint);
}, 600_000);

afterAll(async () => {
  await engine?.stop();
  expect(engine?.leftoverPids() ?? []).toEqual([]);
}, 120_000);

describe('container origin base image', () => {
  it('is imported when the engine lacks it and no registry answers; the next start imports nothing', async () => {
    await removeBaseTag();
    const first: string[] = [];
    const imported = await ensureOriginImage(endpoint, { log: (line) => first.push(line) });
    expect(imported.baseSource, first.join('\n')).toBe('imported');
    expect(imported.baseImage).toBe(OFFLINE_BASE_IMAGE);
    expect(first.join('\n')).toMatch(/no registry answers[\s\S]*\[import-base\]/);
    expect(await engineImageId(endpoint, OFFLINE_BASE_IMAGE)).toBeDefined();
    expect(await engineImageId(endpoint, imported.image)).toBeDefined();

    const second: string[] = [];
    const cached = await ensureOriginImage(endpoint, { log: (line) => second.push(line) });
    expect(cached).toMatchObject({ image: imported.image, baseSource: 'engine', built: false });
    expect(second).toEqual([]);
  });

  it('an abort stops the import script and says so', async () => {
    await removeBaseTag();
    const controller = new AbortController();
    await expect(
      ensureOriginImage(endpoint, {
        signal: controller.signal,
        // Abort at the script's first line: it is running then.
        log: (line) => {
          if (line.startsWith('[')) controller.abort();
        },
      }),
    ).rejects.toThrow(/aborted/);
    expect(importScriptsRunning()).toEqual([]);
    // Leave the engine as the other container tests expect it.
    const restored = await ensureOriginImage(endpoint);
    expect(restored.baseSource).toBe('imported');
  });
});
