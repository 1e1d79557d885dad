/*
 * The swarm's gateway: the start gate that holds pre-started viewers until their planned
 * start, and the policy that decides when to spawn them.
 */

export { defaultMaxHeldViewers, firstStartsOf, trickleIntervalMsFor } from './limits.js';
export { type PlannedStart, ViewerPreparer, type ViewerPreparerOptions } from './prepare.js';
export { type PrepareWaitOptions, waitUntilPrepared } from './prepare-phase.js';
export { GateSession, type GateSessionHooks, LATE_RELEASE_SECONDS } from './session.js';
export { type GateArrival, type GateRelease, StartGate, type StartGateOptions } from './start-gate.js';
