/*
 * slo: k6-style thresholds parsed once at config time (compileSlo), evaluated over a run's
 * MetricStore (evaluateThresholds), and watched live for abortOnFail (LiveSloMonitor).
 */
export * from './errors.js';
export * from './evaluate.js';
export * from './generator-health.js';
export * from './live.js';
export * from './parse.js';
