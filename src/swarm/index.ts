/*
 * The swarm layer: N ffmpeg viewers against one stream URL, measured exactly.
 * command/ builds each viewer's ffmpeg command, parse/ reads its output, stats/ aggregates,
 * runtime/ ramps, supervises and serves /metrics.
 */
export * from './calibrate/index.js';
export * from './command/index.js';
export * from './metrics-server.js';
export * from './parse/index.js';
export * from './preflight.js';
export * from './runtime/index.js';
export * from './stats/index.js';
export * from './types.js';
