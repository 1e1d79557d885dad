import { performance } from 'node:perf_hooks';
import { Agent, type Dispatcher } from 'undici';
import type { LightErrorCode } from './errors.js';

/*
 * HTTP for light viewers: one undici Agent per fleet, which keeps one connection Pool per
 * origin, shared by every light viewer of the fleet, with its connections capped. Each viewer
 * has at most one request in flight (players load sequentially), so a cap at the viewer count
 * never queues; connections open lazily and stay open between requests (keep-alive, like a
 * player's), so a live fleet holds about as many as it has downloads at once.
 *
 * Requests go through `dispatch` with a handler rather than `request()`: no stream object per
 * body, and the handler sees the exact moments that matter, stamped with process.hrtime.bigint():
 *  - sent: the request is written on a connected socket (undici's onRequestStart; before it
 *    the request waited for a pooled connection or a connect, reported apart as `waitMicros`);
 *  - TTFB: sent → response headers in; download: sent → last body byte in.
 * Starting at "sent" is what nginx's $request_time measures from (its first byte read from the
 * client), so the two compare. Bodies are read to the end, bytes counted; a playlist body is
 * kept up to a cap, a segment body never (each chunk goes to an optional validator, then away).
 */

export interface LightHttpOptions {
  /**
   * Connections per origin, all viewers together; default DEFAULT_LIGHT_CONNECTIONS. Requests
   * beyond it wait for a free one (reported as waitMicros, outside TTFB and download time).
   */
  connectionsPerOrigin?: number;
  /** Headers timeout and body idle timeout, ms; default 15 000 (as swarm.timeout). */
  timeoutMs?: number;
  /** Idle time a kept-alive connection stays open, ms; default 60 000. */
  keepAliveTimeoutMs?: number;
}

export interface TimedRequest {
  url: URL;
  /** Request headers (user agent, user headers); shared by all of a viewer's requests. */
  headers: Record<string, string>;
  /** A Range header value (EXT-X-BYTERANGE). */
  range?: string;
  /** Keep the body, up to this many bytes; more is the `playlist-too-large` fault (reading stops). */
  keepBodyUpToBytes?: number;
  /** Each body chunk, as it arrives (not kept). */
  onChunk?: (chunk: Uint8Array) => void;
}

export interface TimedResponse {
  /** Epoch ms the request was sent (µs precision); the dispatch time when it never was. */
  startMs: number;
  status?: number;
  /** Body bytes received. */
  bytes: number;
  /** The request was written on a connection (the origin may have seen it). */
  sent: boolean;
  /** Dispatch → sent: waiting for a pooled connection or a connect. */
  waitMicros: number;
  /** Sent → response headers. */
  ttfbMicros?: number;
  /** Sent → last body byte (only when the body completed). */
  durationMicros?: number;
  /** The body, when kept (keepBodyUpToBytes) and complete. */
  body?: Buffer;
  /** What went wrong, if anything (an HTTP status ≥ 400 is `http-status`, with the body read to its end). */
  fault?: { code: LightErrorCode; reason: string };
  /** Stopped by the viewer (its stop), not by the origin: `fault` is then absent. */
  cancelled?: boolean;
}

export interface RequestHandle {
  readonly done: Promise<TimedResponse>;
  /** Stops the request (the viewer stops); resolves `done` with `cancelled`. */
  cancel(): void;
}

/**
 * The pool's default cap. Measured (bench/light.ts, BENCHMARKS.md): 4000 light viewers of a
 * 2 s-segment stream keep ~260 connections busy; past what one event loop can serve, an uncapped
 * pool opened a new connection for every request that found all busy (16 830 open, 72 000 opened
 * in 30 s at 10 000 viewers) until nginx's worker_connections refused them. Capped, the same
 * overload queues instead, and the saturation guard reports it.
 */
export const DEFAULT_LIGHT_CONNECTIONS = 1024;

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

class TooLargeError extends Error {}
class CancelledError extends Error {}

/** The fault of an undici error, given whether the response had begun. */
export function faultOf(error: unknown, responseStarted: boolean): { code: LightErrorCode; reason: string } {
  const code = (error as { code?: string }).code ?? '';
  const message = (error as Error).message ?? String(error);
  if (TIMEOUT_CODES.has(code)) return { code: 'timeout', reason: `${code}: ${message}` };
  if (CONNECT_CODES.has(code)) return { code: 'connect', reason: `${code}: ${message}` };
  if (responseStarted) return { code: 'body-cut', reason: `body cut: ${code || 'error'}: ${message}` };
  return { code: 'other', reason: `${code || 'error'}: ${message}` };
}

export class LightHttp {
  readonly agent: Agent;
  private readonly anchorNs = process.hrtime.bigint();
  private readonly anchorEpochMs = performance.timeOrigin + performance.now();
  private inFlightCount = 0;

  constructor(options: LightHttpOptions = {}) {
    const timeoutMs = options.timeoutMs ?? 15_000;
    const keepAliveTimeout = options.keepAliveTimeoutMs ?? 60_000;
    this.agent = new Agent({
      connections: options.connectionsPerOrigin ?? DEFAULT_LIGHT_CONNECTIONS,
      pipelining: 1,
      keepAliveTimeout,
      keepAliveMaxTimeout: Math.max(keepAliveTimeout, 600_000),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connect: { timeout: timeoutMs },
    });
  }

  /** Requests dispatched and not finished. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /** Epoch ms of an hrtime reading. */
  epochMsOf(ns: bigint): number {
    return this.anchorEpochMs + Number(ns - this.anchorNs) / 1e6;
  }

  get(request: TimedRequest): RequestHandle {
    const dispatchedNs = process.hrtime.bigint();
    let sentNs: bigint | undefined;
    let headersNs: bigint | undefined;
    let status: number | undefined;
    let bytes = 0;
    let chunks: Buffer[] | undefined = request.keepBodyUpToBytes !== undefined ? [] : undefined;
    let controller: Dispatcher.DispatchController | undefined;
    let cancelled = false;
    let settled = false;
    let resolveDone!: (response: TimedResponse) => void;
    const done = new Promise<TimedResponse>((resolve) => {
      resolveDone = resolve;
    });
    this.inFlightCount++;

    const finish = (fault: TimedResponse['fault'], completeNs?: bigint) => {
      if (settled) return;
      settled = true;
      this.inFlightCount--;
      const base = sentNs ?? dispatchedNs;
      const response: TimedResponse = {
        startMs: this.epochMsOf(base),
        bytes,
        sent: sentNs !== undefined,
        waitMicros: sentNs === undefined ? 0 : Number(sentNs - dispatchedNs) / 1000,
      };
      if (status !== undefined) response.status = status;
      if (sentNs !== undefined && headersNs !== undefined)
        response.ttfbMicros = Number(headersNs - sentNs) / 1000;
      if (sentNs !== undefined && completeNs !== undefined)
        response.durationMicros = Number(completeNs - sentNs) / 1000;
      if (chunks && completeNs !== undefined && !fault) response.body = Buffer.concat(chunks);
      chunks = undefined;
      // A body that completed before the cancel took effect is a complete response.
      if (cancelled && completeNs === undefined) response.cancelled = true;
      else if (fault) response.fault = fault;
      resolveDone(response);
    };

    const headers = request.range ? { ...request.headers, range: request.range } : request.headers;
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart: (started) => {
        controller = started;
        if (cancelled) {
          started.abort(new CancelledError('stopped'));
          return;
        }
        sentNs = process.hrtime.bigint();
      },
      onResponseStart: (_controller, statusCode) => {
        headersNs = process.hrtime.bigint();
        status = statusCode;
      },
      onResponseData: (active, chunk) => {
        bytes += chunk.length;
        if (chunks) {
          if (bytes > (request.keepBodyUpToBytes as number)) {
            chunks = undefined;
            active.abort(new TooLargeError(`more than ${request.keepBodyUpToBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        }
        request.onChunk?.(chunk);
      },
      onResponseEnd: () => {
        const endNs = process.hrtime.bigint();
        const fault =
          status !== undefined && status >= 400
            ? { code: 'http-status' as const, reason: `HTTP ${status}` }
            : undefined;
        finish(fault, endNs);
      },
      onResponseError: (_controller, error) => {
        if (cancelled || error instanceof CancelledError) return finish(undefined);
        if (error instanceof TooLargeError)
          return finish({
            code: 'playlist-too-large',
            reason: `playlist larger than the cap: ${error.message}`,
          });
        finish(faultOf(error, headersNs !== undefined));
      },
    };
    try {
      this.agent.dispatch(
        {
          origin: request.url.origin,
          path: `${request.url.pathname}${request.url.search}`,
          method: 'GET',
          headers,
        },
        handler,
      );
    } catch (error) {
      finish(faultOf(error, false));
    }
    return {
      done,
      cancel: () => {
        if (settled || cancelled) return;
        cancelled = true;
        // Not yet on a socket: onRequestStart aborts it before anything is written.
        controller?.abort(new CancelledError('stopped'));
      },
    };
  }

  /** Closes every pooled connection (after the requests in flight end). */
  async close(): Promise<void> {
    await this.agent.close();
  }

  /** Closes every connection now, failing what is in flight. */
  async destroy(): Promise<void> {
    await this.agent.destroy();
  }
}
