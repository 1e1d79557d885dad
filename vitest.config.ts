import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { hlsSwarm } from './src/vitest/config.js';

/*
 * Three projects:
 *  - unit: pure logic fed with recorded real outputs from fixtures/ (fast, parallel)
 *  - integration: real ffmpeg, nginx, python, exporters, QEMU, dockerd as processes.
 *    Files run one at a time, and not beside other projects: on a 2-core machine parallel
 *    origins would starve each other.
 *  - load: scenarios/**\/*.load.ts, the example gates users copy — added by the plugin
 *    exactly as a user's config gets it (`plugins: [hlsSwarm()]`).
 * `hls-swarm/vitest` (and `/config`) resolve to the source here, so scenarios import them like
 * users do; the more specific alias comes first (Vite matches `hls-swarm/vitest` as a prefix).
 */
export default defineConfig({
  plugins: [hlsSwarm()],
  resolve: {
    alias: {
      'hls-swarm/vitest/config': fileURLToPath(new URL('./src/vitest/config.ts', import.meta.url)),
      'hls-swarm/vitest': fileURLToPath(new URL('./src/vitest/index.ts', import.meta.url)),
    },
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          exclude: ['src/**/*.int.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['src/**/*.int.test.ts'],
          fileParallelism: false,
          // After the unit tests, before the load project (groupOrder 100): real processes
          // must not compete with other tests for the 2 cores.
          sequence: { groupOrder: 1 },
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
