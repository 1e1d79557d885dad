import { randomUUID } from 'node:crypto';

/*
 * Client correlation with CMCD (CTA-5004): every viewer sends `CMCD-Session: sid="<run id>-<viewer id>"`,
 * so an origin's or a CDN's access log tells one viewer's requests from another's (our nginx logs it
 * as `cmcd_session`, src/origin/nginx/config.ts). Only `sid` is sent: the other keys (stream type,
 * content id…) would be guesses about a stream the swarm only knows by URL.
 */

export const CMCD_SESSION_HEADER = 'CMCD-Session';

/** A new run id (a UUID: CMCD's sid is a GUID, at most 64 characters with the viewer id). */
export function newRunId(): string {
  return randomUUID();
}

/** The sid of viewer `clientId` in run `runId`: unique per viewer per run, the same across its restarts. */
export function cmcdSessionId(runId: string, clientId: number): string {
  return `${runId}-${clientId}`;
}

/** The CMCD-Session header value: a CMCD string value is quoted, `"` and `\` escaped. */
export function cmcdSessionHeaderValue(sessionId: string): string {
  return `sid="${sessionId.replace(/["\\]/g, '\\$&')}"`;
}

const SID = /(?:^|,)\s*sid="((?:[^"\\]|\\.)*)"/;

/**
 * The sid in a CMCD key list (a CMCD-Session header value such as `sid="abc",st=l`, or the
 * decoded `CMCD` query parameter), or undefined when it has none.
 */
export function cmcdSessionIdOf(keys: string): string | undefined {
  const match = SID.exec(keys);
  return match ? (match[1] as string).replace(/\\(.)/g, '$1') : undefined;
}
