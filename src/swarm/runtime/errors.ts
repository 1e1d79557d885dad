import { HlsSwarmError } from '../../system/index.js';

/**
 * The swarm could not start (or could not keep going) for a reason the user can fix: the
 * message says what was wrong, where (URL, port, binary, limit) and what to do. The CLI prints
 * it without a stack trace (see src/cli/errors.ts).
 */
export class SwarmStartError extends HlsSwarmError {
  override readonly name = 'SwarmStartError';
  readonly code = 'HLS_SWARM_SWARM_START';
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
