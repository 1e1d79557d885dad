import { defineConfig } from 'vitest/config';

/*
 * Three projects:
 *  - unit: pure logic fed with recorded real outputs from fixtures/ (fast, parallel)
 *  - integration: real ffmpeg, nginx, python, exporters, QEMU, dockerd as processes.
 *    Files run one at a time: on a 2-core machine parallel origins would starve each other.
 *  - load: scenarios/**\/*.load.ts, the example gates users copy (added by the plugin
 *    once src/vitest lands; until then declared here the same way).
 */
export default defineConfig({
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
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'load',
          include: ['scenarios/**/*.load.ts'],
          fileParallelism: false,
          testTimeout: 600_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
