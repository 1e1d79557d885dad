/*
 * hls-swarm/vitest — what test files import (the worker side): scenario(), loadTest and its
 * fixtures, expect with the toMeetSlo matcher, and the types of a run.
 * A vitest.config.ts imports `hls-swarm/vitest/config` (plugin and reporter, main process).
 */

export { expect } from 'vitest';
export type { RunResult, ScenarioAction, ScenarioActionContext } from '../runner/index.js';
// Deprecated here: the main-process side now lives in 'hls-swarm/vitest/config'.
export { hlsSwarm } from './deprecated.js';
/** @deprecated Import from 'hls-swarm/vitest/config'. */
export type { HlsSwarmPluginOptions } from './node/plugin.js';
/** @deprecated Import from 'hls-swarm/vitest/config'; this re-export goes in the next minor version. */
export { HlsSwarmReporter, type HlsSwarmReporterOptions } from './node/reporter.js';
export {
  DEFAULT_ORIGIN_SPEC,
  type LoadTestAPI,
  type LoadTestFixtures,
  loadTest,
  type SwarmStarter,
} from './runtime/fixtures.js';
export { type SloMatchers, type SloThresholdsInput, sloResultsFor } from './runtime/matcher.js';
export {
  type ScenarioCheck,
  type ScenarioCheckContext,
  type ScenarioSpec,
  type ScenarioTestOptions,
  scenario,
} from './runtime/scenario.js';
export { type HlsSwarmProvided, type HlsSwarmTaskMeta, PROGRESS_PREFIX } from './shared.js';
