import { classifyRequestUrl } from './classify.js';
import type { ClientOutputEvent } from './events.js';
import { LineSplitter } from './line-splitter.js';
import { PendingStarts } from './pending-starts.js';
import { emptyLinePrefix, readLinePrefix } from './prefix.js';
import { ProgressBlockParser } from './progress.js';
import { HOLD_MAX_MS, RequestTracker } from './requests.js';

export type { ClientOutputEvent, ProgressEvent } from './events.js';
export { END_IDLE_MS, HOLD_MAX_MS, MANIFEST_END_BOUND_MS } from './requests.js';

export interface ClientOutputParserOptions {
  /** Longest line kept; a longer one is dropped and counted. Default 16 KiB. */
  maxLineBytes?: number;
  /** Clock for chunks given without a time. Default Date.now. */
  nowMs?: () => number;
  /** See HOLD_MAX_MS (default 16 s, for the default 15 s timeout). */
  holdMaxMs?: number;
  /**
   * The `-loglevel` the viewer runs at; by default read from ffmpeg's echo of its options
   * (printed at debug and trace), else taken as verbose. Below trace there are no response
   * lines: a request counts as answered unless an error follows it, without status, bytes or
   * timings; at 'verbose' only segment requests (`HLS request for url`) are visible.
   */
  logLevel?: 'trace' | 'debug' | 'verbose';
  /**
   * False when the log is read in batches (a polled FIFO): every line of a batch carries the
   * poll time, so records get no time to first byte and no duration. Counts, statuses, bytes
   * and errors do not depend on arrival times and stay exact. Default true.
   */
  timed?: boolean;
}

const REQUEST_LINE_RE = /^request: (\S+) (\S+) HTTP\/[\d.]+/;
const HLS_REQUEST_RE = /^HLS request for url '(.*)', offset (-?\d+), playlist (\d+)/;
const OPENING_RE = /^Opening '(.*)' for reading/;
const EXPIRED_RE = /^skipping (\d+) segments ahead, expired from playlist/;
const MEDIA_SEQUENCE_RE = /^Media sequence change(?:d unexpectedly:| \()\s*(-?\d+) -> (-?\d+)/;
const FAILED_SEGMENT_RE = /^Failed to open segment (?:(\d+) of playlist (\d+)|'(.*)')/;
const RELOAD_FAILED_RE = /^Failed to reload playlist (\d+)/;
const KEEPALIVE_FAILED_RE = /^keepalive request failed for '(.*)' with error: '(.*)'/;
const HTTP_ERROR_RE = /^HTTP error (\d{3})/;
const PREMATURE_END_RE = /^Stream ends prematurely at (\d+), should be (\d+)/;
const CONTENT_LENGTH_RE = /^content-length:\s*(\d+)/i;
const CONTENT_RANGE_RE = /^content-range:\s*bytes\s+(\d+)-(\d+)\//i;
const CONNECT_FAILED_RE = /^Connection to (\S+) failed(?: \(([^)]*)\))?: (.*)$/;
const FATAL_RE =
  /^Error opening input|^Error opening input files|Server returned|Invalid data found|Connection refused|Input\/output error/;
const TIMED_OUT_RE = /timed out/i;

/**
 * Turns one viewer's stderr (log at `repeat+level+trace|debug|verbose`) and fd 3 (`-progress`)
 * into events. Lines are stamped on arrival (ffmpeg's stderr is unbuffered), or with ffmpeg's
 * own time where the `datetime` flag gave one. Its parts, one file each: the line splitter (for
 * both streams), the prefix reader, the `-progress` block parser, the pending starts (URLs named
 * before their request line) and the request state machine (requests.ts, where how a request's
 * end and bytes are told is described). This class reads each message and tells those parts.
 *
 * Never throws on bad input; lines longer than `maxLineBytes` are dropped and counted, and a line
 * whose handling threw is counted in `swallowedErrors` (a parser bug: tests assert zero).
 */
export class ClientOutputParser {
  private readonly nowMs: () => number;
  private logLevel: 'trace' | 'debug' | 'verbose';
  /** Given as an option, or read from ffmpeg's own echo of `-loglevel` (debug and trace print it). */
  private logLevelKnown: boolean;
  private readonly logLines: LineSplitter;
  private readonly progressLines: LineSplitter;
  private readonly progress = new ProgressBlockParser();
  private readonly prefix = emptyLinePrefix();
  private readonly pendingStarts = new PendingStarts();
  private readonly requests: RequestTracker;
  private linesSeen = 0;
  private swallowed = 0;
  private ended = false;
  /** `[AVIOContext] Statistics: N bytes read` when it was the line just before (a connection closing). */
  private lastStatistics: { bytes: number; lineNumber: number } | undefined;
  /** URL of the last connection attempt that failed (what a "Will reconnect" retries). */
  private lastFailedUrl: string | undefined;

  constructor(
    readonly clientId: number,
    private readonly emit: (event: ClientOutputEvent) => void,
    options: ClientOutputParserOptions = {},
  ) {
    const maxLineBytes = options.maxLineBytes ?? 16 * 1024;
    this.nowMs = options.nowMs ?? Date.now;
    this.logLevel = options.logLevel ?? 'trace';
    this.logLevelKnown = options.logLevel !== undefined;
    this.logLines = new LineSplitter(maxLineBytes, (line, atMs) => this.safeLine(line, atMs));
    this.progressLines = new LineSplitter(maxLineBytes, (line, atMs) => this.safeProgressLine(line, atMs));
    this.requests = new RequestTracker(clientId, emit, {
      holdMaxMs: options.holdMaxMs ?? HOLD_MAX_MS,
      timed: options.timed ?? true,
      traceResponses: this.logLevel === 'trace',
    });
  }

  /** Lines dropped because they were longer than maxLineBytes. */
  get droppedLines(): number {
    return this.logLines.dropped + this.progressLines.dropped;
  }

  /** Complete log lines seen so far. */
  get lines(): number {
    return this.linesSeen;
  }

  /** Lines whose handling threw (and was swallowed, so bad input never stops the parser): a bug when not 0. */
  get swallowedErrors(): number {
    return this.swallowed;
  }

  /** Requests the stop cut before the origin answered them (not emitted). */
  get cutAtEnd(): number {
    return this.requests.cutAtEnd;
  }

  /** Requests started but not yet complete. */
  get openRequests(): number {
    return this.requests.openCount;
  }

  /** A chunk of stderr. */
  logChunk(chunk: Buffer | string, atMs: number = this.nowMs()): void {
    if (!this.ended) this.logLines.write(chunk, atMs);
  }

  /** A chunk of the `-progress pipe:3` stream. */
  progressChunk(chunk: Buffer | string, atMs: number = this.nowMs()): void {
    if (!this.ended) this.progressLines.write(chunk, atMs);
  }

  /** The process has exited: flush what is buffered and close what is open. */
  end(atMs: number = this.nowMs()): void {
    if (this.ended) return;
    const logTail = this.logLines.end();
    const progressTail = this.progressLines.end();
    if (logTail !== undefined) this.safeLine(logTail, atMs);
    if (progressTail !== undefined) this.safeProgressLine(progressTail, atMs);
    this.requests.end(atMs);
    this.ended = true;
  }

  private safeLine(raw: string, atMs: number): void {
    this.linesSeen++;
    try {
      this.line(raw.endsWith('\r') ? raw.slice(0, -1) : raw, atMs);
    } catch {
      // Bad input never stops the parser; the line is simply not understood (and counted).
      this.swallowed++;
    }
  }

  private safeProgressLine(raw: string, atMs: number): void {
    try {
      const event = this.progress.line(raw.trim(), atMs);
      if (event) this.emit(event);
    } catch {
      this.swallowed++;
    }
  }

  private line(text: string, arrivalMs: number): void {
    const { form, line, atMs } = readLinePrefix(text, arrivalMs, this.prefix);
    if (form === 'demuxer') {
      this.requests.demuxerLine(line, atMs);
      return;
    }
    if (form === 'continuation') {
      this.requests.continuation(line);
      return;
    }
    if (this.requests.inRequestBlock) this.requests.endRequestBlock();
    if (form === 'unreadable') return;
    const { tag, ctx, level, message } = this.prefix;
    this.requests.tick(atMs);
    if (tag === 'AVIOContext' && message.startsWith('Statistics: ')) {
      const match = /^Statistics: (\d+) bytes read/.exec(message);
      if (match) this.lastStatistics = { bytes: Number(match[1]), lineNumber: this.linesSeen };
    }

    if (tag === 'http' || tag === 'https') {
      this.requests.closeManifestsAwaitingEnd(atMs, ctx);
      this.httpLine(ctx, message, atMs);
      return;
    }
    this.requests.closeManifestsAwaitingEnd(atMs);
    switch (tag) {
      case 'hls':
        this.hlsLine(message, atMs);
        return;
      case 'tcp':
      case 'tls':
      case 'AVIOContext':
      case 'NULL':
      case 'crypto':
      case '':
        this.controlLine(tag, level, message, atMs);
        return;
      default:
        this.requests.dataLine(atMs);
    }
  }

  /** `[http @ ctx]` lines: one connection's request, response headers and errors. */
  private httpLine(ctx: string, message: string, atMs: number): void {
    const requests = this.requests;
    if (message.startsWith("header='")) {
      const request = requests.on(ctx);
      if (!request) return;
      const header = message.slice(8, message.endsWith("'") ? -1 : undefined);
      if (header === '') {
        requests.headersDone(request, atMs);
        return;
      }
      if (request.headersMs === undefined) request.headersMs = atMs;
      if (header.startsWith('HTTP/1.0') || /^connection:\s*close/i.test(header)) request.keepAlive = false;
      const length = CONTENT_LENGTH_RE.exec(header);
      if (length) {
        request.bytes = Number(length[1]);
        return;
      }
      const range = CONTENT_RANGE_RE.exec(header);
      if (range && request.bytes === undefined) request.bytes = Number(range[2]) - Number(range[1]) + 1;
      return;
    }
    if (message.startsWith('http_code=')) {
      requests.traceResponses = true;
      // The connection answered its next request: the response before was whole.
      requests.release(ctx);
      const request = requests.on(ctx);
      if (!request) return;
      const status = Number.parseInt(message.slice(10), 10);
      if (Number.isFinite(status)) request.status = status;
      if (request.headersMs === undefined) request.headersMs = atMs;
      return;
    }
    if (message.startsWith('request: ')) {
      const match = REQUEST_LINE_RE.exec(message);
      if (match) {
        const path = match[2]!;
        requests.requestStarted(ctx, path, this.pendingStarts.take(path, atMs), atMs);
      }
      return;
    }
    const httpError = HTTP_ERROR_RE.exec(message);
    if (httpError) {
      const status = Number(httpError[1]);
      const request = requests.on(ctx);
      if (request) {
        request.status = status;
        this.emit({ type: 'http_error', atMs, status, url: request.url });
        requests.fail(request, 'http', atMs);
      } else {
        this.emit({ type: 'http_error', atMs, status });
      }
      return;
    }
    if (message.startsWith('Will reconnect at ')) {
      const request = requests.on(ctx);
      const url = request?.url ?? this.lastFailedUrl ?? this.pendingStarts.latest()?.url;
      this.emit(url === undefined ? { type: 'reconnect', atMs } : { type: 'reconnect', atMs, url });
      const timedOut = TIMED_OUT_RE.test(message);
      if (timedOut) this.emitTimeout(atMs, url);
      if (request) requests.fail(request, timedOut ? 'timeout' : 'connect', atMs);
      return;
    }
    const premature = PREMATURE_END_RE.exec(message);
    if (premature) {
      const request = requests.on(ctx);
      if (request) request.bytesRead = Number(premature[1]);
      return;
    }
    if (TIMED_OUT_RE.test(message)) {
      const request = requests.on(ctx);
      this.emitTimeout(atMs, request?.url);
      if (request) requests.fail(request, 'timeout', atMs);
    }
  }

  /** `[hls @ ctx]` lines: requests named by URL, playlist changes and failures. */
  private hlsLine(message: string, atMs: number): void {
    if (message.startsWith('HLS request for url ')) {
      const match = HLS_REQUEST_RE.exec(message);
      if (match) this.hlsRequest(match[1]!, Number(match[3]), atMs);
      return;
    }
    if (message.startsWith('Opening ')) {
      const match = OPENING_RE.exec(message);
      if (match) this.pendingStarts.add({ url: match[1]!, atMs });
      return;
    }
    if (message.startsWith('skipping ')) {
      const match = EXPIRED_RE.exec(message);
      if (match) this.emit({ type: 'segment_skipped_expired', atMs, count: Number(match[1]) });
      return;
    }
    if (message.startsWith('Media sequence change')) {
      const match = MEDIA_SEQUENCE_RE.exec(message);
      if (match) this.emit({ type: 'media_sequence', atMs, from: Number(match[1]), to: Number(match[2]) });
      return;
    }
    if (message.startsWith('Failed to open segment')) {
      const match = FAILED_SEGMENT_RE.exec(message);
      const playlist = match?.[2] === undefined ? undefined : Number(match[2]);
      const url = match?.[3] ?? this.pendingStarts.latest(playlist)?.url;
      this.emit(url === undefined ? { type: 'segment_failed', atMs } : { type: 'segment_failed', atMs, url });
      return;
    }
    if (message.startsWith('Failed to reload playlist')) {
      const url = RELOAD_FAILED_RE.test(message) ? this.failedManifestUrl() : undefined;
      this.emit(
        url === undefined
          ? { type: 'playlist_reload_failed', atMs }
          : { type: 'playlist_reload_failed', atMs, url },
      );
      return;
    }
    if (message.startsWith('keepalive request failed')) {
      // "keepalive request failed for '<u>' with error: '<e>' when opening url, retrying with new connection"
      const match = KEEPALIVE_FAILED_RE.exec(message);
      const url = match?.[1];
      const timedOut = TIMED_OUT_RE.test(match?.[2] ?? message);
      const statistics = this.lastStatistics;
      const closedBytes =
        statistics && statistics.lineNumber >= this.linesSeen - 1 ? statistics.bytes : undefined;
      this.requests.keepaliveFailed(url, timedOut, closedBytes, atMs);
      if (timedOut) this.emitTimeout(atMs, url);
      return;
    }
    if (TIMED_OUT_RE.test(message)) this.emit({ type: 'timeout', atMs });
  }

  /** `HLS request for url '<url>', offset …, playlist <playlist>`. */
  private hlsRequest(url: string, playlist: number, atMs: number): void {
    const requests = this.requests;
    if (playlist > requests.maxPlaylistIndex) requests.maxPlaylistIndex = playlist;
    if (!this.logLevelKnown) {
      // Below debug ffmpeg does not echo its options, and this verbose line is the first we see.
      this.logLevelKnown = true;
      this.logLevel = 'verbose';
      requests.traceResponses = false;
    }
    requests.segmentRequested(playlist, atMs);
    this.pendingStarts.add({ url, atMs, playlist });
    if (this.logLevel === 'verbose') {
      this.emit({
        type: 'request',
        record: { clientId: this.clientId, kind: classifyRequestUrl(url), url, startMs: atMs, ok: true },
      });
    }
  }

  /** The playlist a failed reload asked for: the last one named, or the last failed connection's. */
  private failedManifestUrl(): string | undefined {
    return (
      this.pendingStarts.latestOfKind('manifest')?.url ??
      (this.lastFailedUrl && classifyRequestUrl(this.lastFailedUrl) === 'manifest'
        ? this.lastFailedUrl
        : undefined)
    );
  }

  /** tcp/tls/AVIOContext/NULL lines and lines with no context (global messages). */
  private controlLine(tag: string, level: string, message: string, atMs: number): void {
    if (message.startsWith('Opening ')) {
      const match = OPENING_RE.exec(message);
      if (match) this.pendingStarts.add({ url: match[1]!, atMs });
      return;
    }
    if (tag === 'tcp' || tag === 'tls') {
      const connect = CONNECT_FAILED_RE.exec(message);
      if (connect || message.startsWith('Failed to resolve hostname'))
        this.connectionFailed(connect ? connect[3]! : message, atMs);
      return;
    }
    if (tag !== '') return;
    if (level === 'debug' && !this.logLevelKnown && message.startsWith('Applying option loglevel')) {
      // "[debug] Applying option loglevel (set logging level) with argument repeat+level+trace."
      const argument = /with argument (\S+?)\.?$/.exec(message)?.[1] ?? '';
      const echoed = argument.split('+').pop();
      this.logLevelKnown = true;
      if (echoed === 'debug' || echoed === 'verbose') {
        this.logLevel = echoed;
        this.requests.traceResponses = false;
      }
      return;
    }
    if (level === 'error' || level === 'fatal') {
      if (TIMED_OUT_RE.test(message)) this.emit({ type: 'timeout', atMs });
      if (FATAL_RE.test(message) || /: /.test(message)) {
        this.emit({ type: 'fatal', atMs, message: message.slice(0, 300) });
      }
    }
  }

  /** A tcp/tls connection attempt failed: for the URL last named (Opening / HLS request), or a retry of the last failed one. */
  private connectionFailed(reason: string, atMs: number): void {
    const pending = this.pendingStarts.latest();
    const url = pending?.url ?? this.lastFailedUrl;
    const timedOut = TIMED_OUT_RE.test(reason);
    if (timedOut) this.emitTimeout(atMs, url);
    this.emit(
      url === undefined
        ? { type: 'connect_failed', atMs, reason }
        : { type: 'connect_failed', atMs, reason, url },
    );
    if (url === undefined) return;
    // The attempt never reached HTTP: a failed request with no status.
    this.requests.connectFailed(url, pending?.atMs ?? atMs, timedOut, atMs);
    if (pending) this.pendingStarts.remove(pending);
    this.lastFailedUrl = url;
  }

  private emitTimeout(atMs: number, url: string | undefined): void {
    this.emit(url === undefined ? { type: 'timeout', atMs } : { type: 'timeout', atMs, url });
  }
}
