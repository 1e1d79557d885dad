import { HlsSwarmError } from '../system/index.js';

/**
 * An origin could not be started or did not become ready. The message says which part
 * (port, binary, process, URL) and includes the tail of the relevant log when there is one.
 */
export class OriginStartError extends HlsSwarmError {
  override readonly name = 'OriginStartError';
  readonly code = 'HLS_SWARM_ORIGIN_START';
  constructor(
    message: string,
    readonly details: { kind?: string; part?: string; logTail?: string; logFile?: string } = {},
  ) {
    super(
      details.logTail
        ? `${message}\n--- last lines of ${details.logFile ?? 'its log'} ---\n${details.logTail}`
        : message,
    );
  }
}
