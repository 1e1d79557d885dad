/**
 * The swarm could not start (or could not keep going) for a reason the user can fix: the
 * message says what was wrong, where (URL, port, binary, limit) and what to do. The CLI prints
 * it without a stack trace (see src/cli/errors.ts).
 */
export class SwarmStartError extends Error {
  override readonly name = 'SwarmStartError';
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
