/** A command line that cannot be run as typed: exit code 2, message and usage, no stack. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Errors whose message is written for users: printed alone, never with a stack trace. */
export function isUserFacingError(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  return [
    'UsageError',
    'ConfigError',
    'PortInUseError',
    'MissingBinaryError',
    'OriginStartError',
    'SwarmStartError',
    'ThresholdSyntaxError',
    'CapacityError',
  ].includes(error.name);
}
