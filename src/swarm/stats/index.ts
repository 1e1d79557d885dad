/*
 * Per-client and fleet statistics: exact merged distributions (HDR histograms), counters,
 * and playback judged from out_time advance over windows of at least 10 s.
 */
export * from './distribution.js';
export * from './fleet.js';
export * from './playback.js';
export * from './player-model.js';
export * from './qoe.js';
export * from './summarize.js';
export * from './viewer-kinds.js';
export * from './watch-ledger.js';
