/*
 * runner: runScenario() runs one scenario end to end (origin → swarm → sampling → thresholds
 * → report). The Vitest plugin and `hls-swarm run --report` both call it.
 */

export * from './merge-shards.js';
export * from './plan.js';
export * from './progress-tracker.js';
export * from './run-scenario.js';
export * from './shard.js';
export * from './types.js';
