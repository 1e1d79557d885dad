/*
 * The report layer: the versioned JSON report (zod schema, also published as JSON Schema),
 * its atomic writer, the console summary, the live progress line and the live terminal
 * dashboard. The summary and the report are pure functions of the same results object.
 */
export * from './baseline.js';
export * from './build.js';
export * from './compare.js';
export * from './dashboard.js';
export * from './environment.js';
export * from './format.js';
export * from './progress.js';
export * from './read.js';
export * from './redact.js';
export * from './schema.js';
export * from './summary.js';
export * from './terminal-dashboard.js';
export * from './write.js';
