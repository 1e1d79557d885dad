/*
 * Reading ffmpeg viewers: stderr log lines and the `-progress` stream become typed events
 * (requests with status, bytes and timings; reconnects; errors; progress).
 */
export * from './classify.js';
export * from './parser.js';
