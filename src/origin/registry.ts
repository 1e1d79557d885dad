import type { OriginKind, OriginSpec } from '../config/index.js';
import type { OriginDriver, RunningOrigin, StartOriginOptions } from './types.js';

/*
 * Drivers load lazily: a scenario on the python origin must not load testcontainers.
 * Each kind's folder exports `driver` from its index.ts.
 */
const loaders: Record<OriginKind, () => Promise<OriginDriver>> = {
  python: async () => (await import('./python/index.js')).driver as OriginDriver,
  nginx: async () => (await import('./nginx/index.js')).driver as OriginDriver,
  external: async () => (await import('./external/index.js')).driver as OriginDriver,
  vm: async () => (await import('./vm/index.js')).driver as OriginDriver,
  container: async () => (await import('./container/index.js')).driver as OriginDriver,
};

/** Starts the origin a (validated) spec describes; resolves once it is ready. */
export async function startOrigin(
  spec: OriginSpec,
  options: StartOriginOptions = {},
): Promise<RunningOrigin> {
  const driver = await loaders[spec.kind]();
  return driver.start(spec, options);
}
