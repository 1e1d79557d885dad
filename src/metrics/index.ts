/*
 * metrics: scraping Prometheus endpoints on an interval, exposition parsing, per-run time
 * series with counter reset handling, exact swarm trends, nginx access-log latency, and the
 * metric catalogue the SLO language uses.
 */
export * from './access-log.js';
export * from './catalogue.js';
export * from './exposition.js';
export * from './generator-health.js';
export * from './mergeable.js';
export * from './sampler.js';
export * from './series.js';
export * from './stats.js';
export * from './store.js';
export * from './swarm.js';
export * from './timeseries.js';
