export * from './duration.js';
export * from './errors.js';
export * from './parse.js';
export * from './ports.js';
export * from './request-kinds.js';
export * from './schema.js';
export * from './shard.js';
