export * from './errors.js';
export * from './generator.js';
export {
  ACCESS_LOG_FIELDS,
  type NginxAccessLogEntry,
  type NginxConfigOptions,
  renderNginxConfig,
} from './nginx/config.js';
export * from './registry.js';
export * from './types.js';
export * from './wait/index.js';
