import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { swarmSchema } from '../config/index.js';
import { useTinyNginxOrigin } from '../origin/test/tiny-nginx.js';
import { startSwarm } from '../swarm/index.js';
import { parseAccessLog } from './access-log.js';

/*
 * Client correlation end to end: 3 real ffmpeg viewers against the native nginx origin. Each sends
 * `CMCD-Session: sid="<run id>-<viewer id>"`; nginx's access log (our ACCESS_LOG_FORMAT) records it
 * and the access-log parser reads it back: every request of a viewer carries that viewer's sid.
 */

const origin = useTinyNginxOrigin();

describe('CMCD session id in the origin access log', () => {
  it("carries each viewer's own sid on every request it makes, distinct per viewer", async () => {
    const swarm = await startSwarm({
      url: origin().streamUrl,
      spec: swarmSchema.parse({ clients: 3, rampRate: 10, duration: '6s', metricsPort: 0 }),
    });
    const sessionIds = new Map<number, string | undefined>();
    swarm.on('clientStarted', (event) => sessionIds.set(event.clientId, event.sessionId));
    const snapshot = await swarm.done;
    expect(snapshot.clientsStarted).toBe(3);

    const entries = parseAccessLog(readFileSync(origin().accessLog as string, 'utf8'), Date.now());
    const sids = [0, 1, 2].map((clientId) => {
      const sid = sessionIds.get(clientId);
      expect(sid, `viewer ${clientId}'s clientStarted event`).toMatch(new RegExp(`-${clientId}$`));
      const served = entries.filter((entry) => entry.userAgent?.endsWith(`/client-${clientId}`));
      expect(served.filter((entry) => entry.kind === 'segment').length).toBeGreaterThan(0);
      expect(new Set(served.map((entry) => entry.sessionId))).toEqual(new Set([sid]));
      return sid;
    });
    expect(new Set(sids).size).toBe(3);
    // The sid is the only thing telling viewers apart besides the User-Agent: no other client sends one.
    const others = entries.filter((entry) => !/\/client-\d+$/.test(entry.userAgent ?? ''));
    expect(others.every((entry) => entry.sessionId === undefined)).toBe(true);
  });
});
