/*
 * The ffmpeg side of a viewer: what the installed ffmpeg supports, the command each client
 * runs (pure), and which variant of a master playlist it plays.
 */
export * from './build.js';
export * from './capabilities.js';
export * from './cmcd.js';
export * from './variant.js';
