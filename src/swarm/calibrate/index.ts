/*
 * Capacity calibration: what a viewer start and a running viewer cost on this host (measured
 * with the swarm's own machinery, cached per host + ffmpeg + stream + log level), how many
 * viewers that makes, and the check a scenario gets before it starts.
 */
export * from './cache.js';
export * from './calibrate.js';
export * from './check.js';
export * from './estimate.js';
export * from './measure.js';
