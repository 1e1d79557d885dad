/*
 * The swarm's runtime: ramp plan and scheduler, restart backoff, one supervisor per viewer,
 * and startSwarm() tying them to the parsers, stats and the /metrics endpoint.
 */
export * from './backoff.js';
export * from './client.js';
export * from './errors.js';
export * from './handle.js';
export * from './log-fifos.js';
export * from './probe.js';
export * from './ramp.js';
export * from './start-swarm.js';
export * from './swarm.js';
export * from './viewer-kinds.js';
