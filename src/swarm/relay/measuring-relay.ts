import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Client } from 'undici';
import { HlsSwarmError } from '../../system/index.js';

/*
 * The measuring relay: a loopback reverse proxy that timed viewers talk to instead of the
 * origin, so each request's timings come from the bytes relayed, not from the moment Node read
 * an ffmpeg log line. Per request: start (the request head in from ffmpeg), TTFB (the origin's
 * response head in), download time (the origin's last body byte in), bytes, status, whether
 * the connection to the origin was reused, and errors — in microseconds from performance.now().
 *
 * Each connection a viewer opens to the relay gets its own keep-alive connection to the origin
 * (an undici Client per viewer socket and origin), so the origin sees the connections and the
 * reuse the viewer would make on its own: ffmpeg's HLS demuxer keeps one for playlist reloads
 * and opens more for segments (`http_multiple` prefetches the next one on a second). A shared
 * pool would queue a prefetch behind a busy connection and time the wait as download (measured:
 * +190 ms a segment over a 1.5 Mbit/s link). Bodies stream through with backpressure. The
 * URL a viewer is given carries the origin: /r/<clientId>/<scheme>/<host:port>/<path>?<query>;
 * relative URIs in playlists resolve under it, so every later request comes back here.
 * Undici over node:http is hand-wired rather than an off-the-shelf proxy because the timings
 * must be taken between the two sides, which no proxy library exposes.
 */

/** The relay could not start (its port is in use). */
export class RelayStartError extends HlsSwarmError {
  override readonly name = 'RelayStartError';
  readonly code = 'HLS_SWARM_RELAY_START';
}

export interface RelayRecord {
  clientId: number;
  /** The URL requested, named by the Host the viewer sent (so with `resolve`, the origin's name). */
  url: string;
  /** Epoch ms the request head came in from the viewer (µs precision). */
  startMs: number;
  /** Request in → the origin's response head in, µs; absent when no response came. */
  ttfbMicros?: number;
  /** Request in → the origin's last body byte in, µs; absent when the body did not complete. */
  durationMicros?: number;
  /** Body bytes relayed. */
  bytes: number;
  status?: number;
  /** The request went out on a connection to the origin that was already open. */
  reused: boolean;
  ok: boolean;
  /** Why it failed: no connection, a timeout, the origin reset mid-body, the viewer went away. */
  error?: 'http' | 'connect' | 'timeout' | 'reset' | 'aborted' | 'other';
}

export interface MeasuringRelayOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Headers and body timeouts towards the origin (ms), as the viewer's own -rw_timeout. */
  timeoutMs?: number;
}

// Not forwarded in either direction (RFC 9110 §7.6.1), and the ones node:http sets itself.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const ROUTE_RE = /^\/r\/(\d+)\/(https?)\/([^/?#]+)(\/[^#]*)?$/;

interface Upstream {
  client: Client;
  connects: number;
}

function epochMsNow(): number {
  return performance.timeOrigin + performance.now();
}

function classifyError(error: unknown): RelayRecord['error'] {
  const code = (error as { code?: string }).code ?? '';
  if (
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  )
    return 'timeout';
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
    return 'connect';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'reset';
  if (code === 'UND_ERR_ABORTED' || (error as Error).name === 'AbortError') return 'aborted';
  return 'other';
}

export class MeasuringRelay extends EventEmitter<{ request: [RelayRecord] }> {
  /** Per viewer socket, per origin: the connection to the origin that mirrors it. */
  private readonly upstreams = new Map<Socket, Map<string, Upstream>>();
  private closed = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly timeoutMs: number,
  ) {
    super();
  }

  static async start(options: MeasuringRelayOptions = {}): Promise<MeasuringRelay> {
    const server = createServer({ keepAliveTimeout: 65_000 });
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        reject(
          new RelayStartError(
            error.code === 'EADDRINUSE'
              ? `the measuring relay cannot listen on 127.0.0.1:${options.port}: the port is in use. Choose another swarm.relayPort, or 0 for a free one.`
              : `the measuring relay cannot listen on 127.0.0.1:${options.port ?? 0}: ${error.message}`,
          ),
        );
      });
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
    const relay = new MeasuringRelay(server, port, options.timeoutMs ?? 15_000);
    server.on('request', (request, response) => void relay.relay(request, response));
    return relay;
  }

  /** Every relayed URL starts with this. */
  get urlPrefix(): string {
    return `http://127.0.0.1:${this.port}/r/`;
  }

  /** The URL viewer `clientId` is given instead of `targetUrl`. */
  urlFor(clientId: number, targetUrl: string): string {
    const target = new URL(targetUrl);
    const scheme = target.protocol.replace(':', '');
    return `http://127.0.0.1:${this.port}/r/${clientId}/${scheme}/${target.host}${target.pathname}${target.search}`;
  }

  private upstreamFor(socket: Socket, origin: string): Upstream {
    let byOrigin = this.upstreams.get(socket);
    if (!byOrigin) {
      const created = new Map<string, Upstream>();
      byOrigin = created;
      this.upstreams.set(socket, created);
      // The viewer closed its connection: so does the relay, towards the origin.
      socket.once('close', () => {
        this.upstreams.delete(socket);
        for (const { client } of created.values()) void client.close().catch(() => {});
      });
    }
    let upstream = byOrigin.get(origin);
    if (!upstream) {
      const client = new Client(origin, {
        pipelining: 1,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        connectTimeout: this.timeoutMs,
      });
      const entry: Upstream = { client, connects: 0 };
      client.on('connect', () => {
        entry.connects += 1;
      });
      byOrigin.set(origin, entry);
      upstream = entry;
    }
    return upstream;
  }

  private forwardedHeaders(request: IncomingMessage, upstreamHost: string): Record<string, string> {
    const headers: Record<string, string> = {};
    const ownHost = `127.0.0.1:${this.port}`;
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined || HOP_BY_HOP.has(name)) continue;
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    // The viewer names the relay as its host unless it sent its own Host (swarm.resolve).
    if (!headers.host || headers.host === ownHost) headers.host = upstreamHost;
    return headers;
  }

  private async relay(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const startedAt = performance.now();
    const startMs = epochMsNow();
    const match = ROUTE_RE.exec(request.url ?? '');
    if (!match || this.closed || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-length': '0' }).end();
      return;
    }
    const clientId = Number(match[1]);
    const origin = `${match[2]}://${match[3]}`;
    const path = match[4] ?? '/';
    const headers = this.forwardedHeaders(request, match[3] as string);
    // The URL as the viewer means it: with `resolve`, the Host it sends names the origin.
    const url = `${match[2]}://${headers.host}${path}`;
    const upstream = this.upstreamFor(request.socket, origin);
    const connectsBefore = upstream.connects;
    const record: RelayRecord = { clientId, url, startMs, bytes: 0, reused: false, ok: false };
    const abort = new AbortController();
    const onViewerGone = () => abort.abort();
    response.on('close', onViewerGone);
    try {
      const answer = await upstream.client.request({
        path,
        method: request.method as 'GET' | 'HEAD',
        headers,
        signal: abort.signal,
      });
      record.ttfbMicros = Math.round((performance.now() - startedAt) * 1000);
      record.status = answer.statusCode;
      record.reused = upstream.connects === connectsBefore;
      const responseHeaders: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) responseHeaders[name] = value;
      }
      response.writeHead(answer.statusCode, responseHeaders);
      let lastByteAt = performance.now();
      for await (const chunk of answer.body) {
        lastByteAt = performance.now();
        record.bytes += (chunk as Buffer).length;
        if (!response.write(chunk)) await once(response, 'drain', { signal: abort.signal });
      }
      record.durationMicros = Math.round((lastByteAt - startedAt) * 1000);
      response.end();
      record.ok = answer.statusCode < 400;
      if (!record.ok) record.error = 'http';
    } catch (error) {
      record.error = abort.signal.aborted ? 'aborted' : classifyError(error);
      // The viewer sees what it would have seen from the origin: a cut connection or a 502.
      if (!response.headersSent && !response.destroyed)
        response.writeHead(502, { 'content-length': '0' }).end();
      else response.destroy();
    } finally {
      response.off('close', onViewerGone);
    }
    this.emit('request', record);
  }

  /** Stops listening, ends the viewers' connections and the pools to the origin. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closing = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    const clients = [...this.upstreams.values()].flatMap((byOrigin) => [...byOrigin.values()]);
    this.upstreams.clear();
    await Promise.all(clients.map(({ client }) => client.destroy().catch(() => {})));
    await closing;
  }
}
