/*
 * hls-swarm/vitest/config — what a vitest.config.ts imports: the plugin and its reporter, the
 * main-process side (as Vitest keeps `vitest/config` apart from what test files import).
 * It loads neither the engine (origin, swarm, metrics, slo, runner) nor the worker runtime
 * (fixtures, scenario(), the toMeetSlo matcher and its `expect.extend`): those load only in test
 * workers, through `hls-swarm/vitest`. src/vitest/entries.test.ts checks it.
 */
export { type HlsSwarmPluginOptions, hlsSwarm } from './node/plugin.js';
export { HlsSwarmReporter, type HlsSwarmReporterOptions } from './node/reporter.js';
export { type HlsSwarmProvided, type HlsSwarmTaskMeta, PROGRESS_PREFIX } from './shared.js';
