/** hls-swarm: the library. The Vitest plugin is `hls-swarm/vitest`. */
export * from './config/index.js';
