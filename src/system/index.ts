/*
 * System primitives every layer shares: owned processes (nothing outlives us), ports,
 * bounded log files, binaries, /proc readings. It sits below config and imports no other layer.
 */
export * from './autogroup.js';
export * from './binaries.js';
export * from './errors.js';
export * from './log-file.js';
export * from './owned-process.js';
export * from './percentile.js';
export * from './polled-pipe.js';
export * from './ports.js';
export * from './proc.js';
export * from './random.js';
export {
  ownContainer,
  ownDirectory,
  ownProcessGroup,
  releaseContainer,
  releaseDirectory,
  releaseProcessGroup,
  watchdogPid,
} from './reaper.js';
export * from './redact.js';
export * from './script-output.js';
export * from './signals.js';
