import { parseDurationMs, type SwarmSpec } from '../../config/index.js';

/*
 * Restart backoff: initial × multiplier^attempt, capped, then ±jitter so that a fleet whose
 * origin died does not come back in lock-step. The jitter is applied after the cap, so at
 * the cap restarts spread over [cap × 0.8, cap × 1.2] instead of all landing on the cap.
 */

export interface BackoffPolicy {
  initialMs: number;
  multiplier: number;
  maxMs: number;
  /** Relative jitter: 0.2 = ±20 %. */
  jitter: number;
  /** A run at least this long resets the attempt counter. */
  resetAfterMs: number;
}

export const DEFAULT_JITTER = 0.2;

export function backoffPolicyFromSpec(restart: SwarmSpec['restart']): BackoffPolicy {
  return {
    initialMs: parseDurationMs(restart.backoffInitial, 'swarm.restart.backoffInitial'),
    multiplier: restart.backoffMultiplier,
    maxMs: parseDurationMs(restart.backoffMax, 'swarm.restart.backoffMax'),
    jitter: DEFAULT_JITTER,
    resetAfterMs: parseDurationMs(restart.resetAfter, 'swarm.restart.resetAfter'),
  };
}

/** Delay before restart number `attempt` (0 = first restart after a failure). */
export function restartDelayMs(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.multiplier ** Math.max(0, attempt));
  const factor = 1 + policy.jitter * (2 * random() - 1);
  return Math.max(0, base * factor);
}

/**
 * The attempt index for the restart after a run of `uptimeMs`, given how many quick exits came
 * before it: a run that lasted `resetAfterMs` starts the backoff over.
 */
export function attemptForRestart(quickExitsBefore: number, uptimeMs: number, policy: BackoffPolicy): number {
  return uptimeMs >= policy.resetAfterMs ? 0 : quickExitsBefore;
}
