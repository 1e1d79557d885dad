/*
 * hls-swarm/vitest — the Vitest plugin.
 *  - vitest.config.ts:   plugins: [hlsSwarm()]            (main process: node/)
 *  - scenarios/*.load.ts: scenario(), loadTest, toMeetSlo (test workers: runtime/)
 */

export { expect } from 'vitest';
export type { RunResult, ScenarioAction, ScenarioActionContext } from '../runner/index.js';
export { type HlsSwarmPluginOptions, hlsSwarm } from './node/plugin.js';
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
