/*
 * One base for every error written for users (a wrong config, a busy port, a missing binary, an
 * origin that would not start…): entry points (CLI, runner, Vitest) print its message alone,
 * without a stack, and recognise it by a brand rather than by lists of class names. The brand is
 * a `Symbol.for` key, so an error from another copy of this module (two installed versions, a
 * bundled copy) is still recognised, as execa's `isExecaError` does. Each class has a stable
 * `code` (as Vitest's errors do) that scripts and tests can match instead of the message.
 */

const USER_FACING_BRAND = Symbol.for('hls-swarm.user-error');

/** Base of every user-facing error; `code` is stable across versions (`HLS_SWARM_…`). */
export abstract class HlsSwarmError extends Error {
  abstract readonly code: string;
}
// On the prototype, not an own property: it stays out of JSON, `toEqual` and reports.
Object.defineProperty(HlsSwarmError.prototype, USER_FACING_BRAND, { value: true });

/** True for errors whose message is written for users, from this copy of hls-swarm or another. */
export function isUserFacingError(error: unknown): error is HlsSwarmError {
  return (
    error instanceof Error &&
    (error as unknown as Record<symbol, unknown>)[USER_FACING_BRAND] === true &&
    typeof (error as { code?: unknown }).code === 'string'
  );
}
