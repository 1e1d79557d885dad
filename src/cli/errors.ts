import { HlsSwarmError } from '../system/index.js';

/** A command line that cannot be run as typed: exit code 2, message and usage, no stack. */
export class UsageError extends HlsSwarmError {
  override readonly name = 'UsageError';
  readonly code = 'HLS_SWARM_USAGE';
}

/** Errors whose message is written for users: printed alone, never with a stack trace (by brand). */
export { isUserFacingError } from '../system/index.js';
