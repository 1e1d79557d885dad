import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A small HTTP origin on 127.0.0.1 that serves one live stream well and the faults real
 * origins send, each under its own path prefix. Segments are a real recorded MPEG-TS segment
 * (fixtures/record/light-segments.ts). The live window moves one segment per second.
 *   /good/live.m3u8        a healthy live playlist (TD 1 s, 4 segments)
 *   /no-extm3u/live.m3u8   the same without its #EXTM3U line
 *   /no-target/live.m3u8   the same without EXT-X-TARGETDURATION
 *   /master-404/master.m3u8  a master playlist whose only variant answers 404
 *   /cut/live.m3u8         every segment's body stops halfway (Content-Length announced, socket closed)
 *   /frozen/live.m3u8      a live playlist of 2 segments that never advances (no EXT-X-ENDLIST)
 *   /huge/live.m3u8        a 4 MiB "playlist"
 *   /garbage/live.m3u8     segments of bytes that are not MPEG-TS
 *   /hang/live.m3u8        never answers
 */

const SEGMENT = readFileSync(new URL('../../../../fixtures/light/tiny-segment.ts', import.meta.url));
const WINDOW = 4;

function livePlaylist(firstMsn: number, withExtm3u = true, withTarget = true, size = WINDOW): string {
  const lines = [
    ...(withExtm3u ? ['#EXTM3U'] : []),
    '#EXT-X-VERSION:3',
    ...(withTarget ? ['#EXT-X-TARGETDURATION:1'] : []),
    `#EXT-X-MEDIA-SEQUENCE:${firstMsn}`,
  ];
  for (let msn = firstMsn; msn < firstMsn + size; msn++) lines.push('#EXTINF:1.000,', `seg-${msn}.ts`);
  return `${lines.join('\n')}\n`;
}

export class FaultOrigin {
  private readonly startedMs = Date.now();
  private readonly hanging = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    readonly baseUrl: string,
  ) {}

  static async start(): Promise<FaultOrigin> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = new FaultOrigin(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (request, response) => origin.serve(request, response));
    return origin;
  }

  url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  async stop(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(request: IncomingMessage, response: ServerResponse): void {
    const path = new URL(request.url ?? '/', this.baseUrl).pathname;
    const [, prefix = '', name = ''] = /^\/([^/]+)\/(.*)$/.exec(path) ?? [];
    const liveMsn = Math.floor((Date.now() - this.startedMs) / 1000) + 100;
    const text = (body: string, status = 200) => {
      response.writeHead(status, {
        'content-type': 'application/vnd.apple.mpegurl',
        'content-length': Buffer.byteLength(body),
      });
      response.end(body);
    };
    if (name.endsWith('.ts')) {
      this.segment(prefix, response);
      return;
    }
    const playlist = this.playlistFor(`${prefix}/${name}`, liveMsn);
    if (playlist === 'huge') this.huge(response);
    else if (playlist === 'hang') {
      this.hanging.add(response);
      response.on('close', () => this.hanging.delete(response));
    } else if (playlist !== undefined) text(playlist);
    else text('not found\n', 404);
  }

  private playlistFor(route: string, liveMsn: number): string | 'huge' | 'hang' | undefined {
    switch (route) {
      case 'good/live.m3u8':
      case 'cut/live.m3u8':
      case 'garbage/live.m3u8':
        return livePlaylist(liveMsn);
      case 'no-extm3u/live.m3u8':
        return livePlaylist(liveMsn, false);
      case 'no-target/live.m3u8':
        return livePlaylist(liveMsn, true, false);
      case 'frozen/live.m3u8':
        return livePlaylist(7, true, true, 2);
      case 'master-404/master.m3u8':
        return '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=300000\nmissing.m3u8\n';
      case 'huge/live.m3u8':
        return 'huge';
      case 'hang/live.m3u8':
        return 'hang';
      default:
        return undefined;
    }
  }

  /** 4 MiB of comment lines, written as the client reads (a viewer stops reading past its cap). */
  private huge(response: ServerResponse): void {
    response.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' });
    response.write('#EXTM3U\n');
    const piece = `#${'x'.repeat(1023)}\n`.repeat(64);
    let sent = 0;
    const more = () => {
      while (sent < 64 && !response.destroyed) {
        sent++;
        if (!response.write(piece)) {
          response.once('drain', more);
          return;
        }
      }
      response.end();
    };
    more();
  }

  private segment(prefix: string, response: ServerResponse): void {
    if (prefix === 'garbage') {
      const body = Buffer.alloc(SEGMENT.length, 0x20);
      response.writeHead(200, { 'content-type': 'video/mp2t', 'content-length': body.length });
      response.end(body);
      return;
    }
    response.writeHead(200, { 'content-type': 'video/mp2t', 'content-length': SEGMENT.length });
    if (prefix === 'cut') {
      response.write(SEGMENT.subarray(0, SEGMENT.length >> 1), () => response.destroy());
      return;
    }
    response.end(SEGMENT);
  }
}
