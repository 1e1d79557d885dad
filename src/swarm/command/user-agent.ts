/*
 * The User-Agent each viewer sends. Access logs (ours: src/metrics/access-log.ts, and any CDN's)
 * tell viewers apart by it, so a user's own User-Agent keeps the viewer id: '{id}' in the
 * template is replaced by it, and a template without '{id}' gets '/client-<id>' appended — the
 * same tail as the default 'hls-swarm/<version>/client-<id>', so one log pattern fits both.
 */

/** Placeholder of the viewer id in `swarm.userAgent` / `--user-agent`. */
export const USER_AGENT_ID_PLACEHOLDER = '{id}';

/** The User-Agent of viewer `clientId` (`id` may be a label such as 'probe'). */
export function userAgentFor(
  template: string | undefined,
  toolVersion: string,
  clientId: number | string,
): string {
  if (template === undefined) return `hls-swarm/${toolVersion}/client-${clientId}`;
  if (template.includes(USER_AGENT_ID_PLACEHOLDER))
    return template.split(USER_AGENT_ID_PLACEHOLDER).join(String(clientId));
  return `${template}/client-${clientId}`;
}
