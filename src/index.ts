/**
 * hls-swarm: the library. The Vitest plugin is `hls-swarm/vitest`.
 * Each layer's public face, top to bottom: config (scenario schema), system (owned processes,
 * ports), origin (drivers), swarm (ffmpeg viewers), metrics (sampling), slo (thresholds),
 * report (JSON report, summary), runner (runScenario: one scenario end to end).
 */

// Names more than one layer exports: the library's choice.
export type { Variant } from './config/index.js';
export * from './config/index.js';
export * from './metrics/index.js';
export * from './origin/index.js';
export * from './report/index.js';
export { REQUEST_KINDS } from './report/index.js';
export * from './runner/index.js';
export * from './slo/index.js';
export * from './swarm/index.js';
export * from './system/index.js';
