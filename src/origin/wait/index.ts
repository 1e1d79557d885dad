/*
 * Readiness (composable wait strategies) and liveness (the processes an origin owns),
 * shared by every origin driver.
 */
export { describeExit, type ProcessExit } from './exit.js';
export {
  OriginProcesses,
  type OriginWorkspace,
  type ShownLog,
  type StartOriginProcessOptions,
  urlHost,
} from './processes.js';
export {
  type CheckContext,
  type CheckResult,
  fetchText,
  findSamples,
  masterVariants,
  parseMetricSelector,
  playlistSegments,
  READINESS_USER_AGENT,
  type WaitStrategy,
  waitForHttpOk,
  waitForMetric,
  waitForPlaylist,
} from './strategies.js';
export { type WaitForAllOptions, type WatchedProcess, waitForAll } from './wait-for-all.js';
