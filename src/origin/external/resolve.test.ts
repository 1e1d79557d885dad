import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originSchema, parseWith } from '../../config/index.js';
import { OriginStartError } from '../errors.js';
import { startExternalOrigin } from './index.js';

/*
 * `--resolve` for the external origin's readiness check: the stream's host name (.invalid never
 * resolves) is reachable only by connecting to 127.0.0.1 with that name in the Host header, as
 * the viewers do. The server answers 421 to any other Host, and 401 without the swarm's header.
 */
const NAME = 'hls-origin.invalid';
let server: Server;
let port: number;
const seen: IncomingHttpHeaders[] = [];

const MASTER = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=300000\nlow/index.m3u8\n';
const MEDIA = '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nseg0.ts\n#EXTINF:2.0,\nseg1.ts\n';

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push(request.headers);
    if (request.headers.host !== `${NAME}:${port}`) {
      response.writeHead(421).end('wrong host');
      return;
    }
    if (request.headers.authorization !== 'Bearer t0ken') {
      response.writeHead(401).end('no token');
      return;
    }
    const body =
      request.url === '/live/master.m3u8'
        ? MASTER
        : request.url === '/live/low/index.m3u8'
          ? MEDIA
          : undefined;
    if (!body) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const spec = (extra: Record<string, unknown>) =>
  parseWith(
    originSchema,
    { kind: 'external', url: `http://${NAME}:${port}/live/master.m3u8`, readyTimeout: '1500ms', ...extra },
    'test',
  ) as Parameters<typeof startExternalOrigin>[0];

describe('external origin with resolve', () => {
  it('reaches a host name only resolve makes reachable, with the Host header and headers of the viewers', async () => {
    seen.length = 0;
    const origin = await startExternalOrigin(
      spec({ resolve: '127.0.0.1', headers: { Authorization: 'Bearer t0ken' }, minSegments: 2 }),
    );
    expect(origin.streamUrl).toBe(`http://${NAME}:${port}/live/master.m3u8`);
    // The master playlist, then its variant, both through 127.0.0.1 with the URL's Host.
    expect(seen.map((headers) => headers.host)).toEqual([`${NAME}:${port}`, `${NAME}:${port}`]);
    expect(seen.every((headers) => headers['user-agent'] === 'hls-swarm-readiness')).toBe(true);
    await origin.stop();
  });

  it('without resolve the name does not resolve, and the loopback rule judges the resolve address', async () => {
    const unresolved = await startExternalOrigin(spec({ allowRemote: true })).catch(
      (error: unknown) => error,
    );
    expect(unresolved).toBeInstanceOf(OriginStartError);
    expect((unresolved as Error).message).toContain('not ready after 1.5 s');
    // The name is not loopback, but with resolve 127.0.0.1 nothing remote is loaded.
    const remote = await startExternalOrigin(spec({})).catch((error: unknown) => error);
    expect((remote as Error).message).toContain(`${NAME}:${port} is not a loopback address`);
    const remoteResolve = await startExternalOrigin(spec({ resolve: '192.0.2.1' })).catch(
      (error: unknown) => error,
    );
    expect((remoteResolve as Error).message).toContain('192.0.2.1 is not a loopback address');
  });

  it('a missing header is the reason shown when the wait times out', async () => {
    const error = await startExternalOrigin(spec({ resolve: '127.0.0.1' })).catch(
      (caught: unknown) => caught,
    );
    expect((error as Error).message).toContain('HTTP 401');
  });
});
