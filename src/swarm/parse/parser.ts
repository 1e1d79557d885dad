import { StringDecoder } from 'node:string_decoder';
import type { RequestKind, RequestRecord } from '../types.js';
import { classifyRequestUrl } from './classify.js';

/** What one viewer's output says happened, in order. */
export type ClientOutputEvent =
  /** Emitted once a request is complete or has failed. */
  | { type: 'request'; record: RequestRecord }
  /** One `-progress` block (fd 3). `outTimeUs` is the media time written so far. */
  | {
      type: 'progress';
      atMs: number;
      outTimeUs: number;
      speed?: number;
      totalSize?: number;
      frame?: number;
      end: boolean;
    }
  | { type: 'reconnect'; atMs: number; url?: string }
  | { type: 'http_error'; atMs: number; status: number; url?: string }
  | { type: 'timeout'; atMs: number; url?: string }
  | { type: 'connect_failed'; atMs: number; reason: string; url?: string }
  | { type: 'segment_skipped_expired'; atMs: number; count: number }
  | { type: 'segment_failed'; atMs: number; url?: string }
  | { type: 'playlist_reload_failed'; atMs: number; url?: string }
  | { type: 'media_sequence'; atMs: number; from: number; to: number }
  /** ffmpeg gave up on the input (e.g. "Error opening input", or the last words before exit). */
  | { type: 'fatal'; atMs: number; message: string };

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

/**
 * A manifest's body is read right after its headers and ffmpeg logs the parse at once
 * ("Skip ('#EXT-X-VERSION…')", "HLS request…"). The first line after the headers ends it;
 * if nothing is logged within this long, the body is taken to have come with the headers.
 */
export const MANIFEST_END_BOUND_MS = 1000;

/** At exit, a response whose data stopped at least this long before counts as read to its end. */
export const END_IDLE_MS = 250;

/**
 * Default longest wait of a finished keep-alive record for its connection's next answer (see
 * heldByCtx). Pass `holdMaxMs` = the viewers' -rw_timeout + 1 s: a stalled body is only told
 * apart when the connection's next request times out too.
 */
export const HOLD_MAX_MS = 16_000;

const MAX_PENDING_STARTS = 16;
const PENDING_START_MAX_AGE_MS = 60_000;
const MAX_OPEN_REQUESTS = 32;

interface PendingStart {
  url: string;
  atMs: number;
  playlist?: number;
}

interface PlaylistState {
  queue: OpenRequest[];
  /** A PES (`pid=… stream_id=…`) line came since the last PSI table (SDT/PAT) line. */
  pesSinceTable: boolean;
}

interface OpenRequest {
  ctx: string;
  url: string;
  /** From the request line; the URL is completed from the Host header when no Opening line names it. */
  path: string;
  urlKnown: boolean;
  kind: RequestKind;
  startMs: number;
  playlist?: number;
  status?: number;
  bytes?: number;
  /** Bytes actually read when ffmpeg said the stream ended early. */
  bytesRead?: number;
  headersMs?: number;
  headersDone: boolean;
  /** Last data line (demuxer output) attributed to this response: the last-byte estimate. */
  lastDataMs?: number;
  /** False for an HTTP/1.0 or `Connection: close` answer: the connection will not be reused. */
  keepAlive?: boolean;
}

/** Local wall time written by newer ffmpeg with `-loglevel +datetime` (before the context prefix): '2024-05-01 12:00:00.123 '. */
const DATETIME_PREFIX_RE = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{3}) /;
const REQUEST_LINE_RE = /^request: (\S+) (\S+) HTTP\/[\d.]+/;
const HLS_REQUEST_RE = /^HLS request for url '(.*)', offset (-?\d+), playlist (\d+)/;
const OPENING_RE = /^Opening '(.*)' for reading/;
const EXPIRED_RE = /^skipping (\d+) segments ahead, expired from playlist/;
const MEDIA_SEQUENCE_RE = /^Media sequence change(?:d unexpectedly:| \()\s*(-?\d+) -> (-?\d+)/;
const FAILED_SEGMENT_RE = /^Failed to open segment (?:(\d+) of playlist (\d+)|'(.*)')/;
const RELOAD_FAILED_RE = /^Failed to reload playlist (\d+)/;
const HTTP_ERROR_RE = /^HTTP error (\d{3})/;
const PREMATURE_END_RE = /^Stream ends prematurely at (\d+), should be (\d+)/;
const CONTENT_LENGTH_RE = /^content-length:\s*(\d+)/i;
const CONTENT_RANGE_RE = /^content-range:\s*bytes\s+(\d+)-(\d+)\//i;
const CONNECT_FAILED_RE = /^Connection to (\S+) failed(?: \(([^)]*)\))?: (.*)$/;

/**
 * Turns one viewer's stderr (log at `repeat+level+trace|debug|verbose`) and fd 3 (`-progress`)
 * into events. Lines are stamped on arrival (ffmpeg's stderr is unbuffered), or with ffmpeg's
 * own time where the `datetime` flag gave one. The frequent demuxer lines (`[mpegts @ …]
 * [trace] pid=…`, about half of trace output) are recognised by their prefix: no regex runs on
 * them; they only move the last-data time of the segment being read.
 *
 * Per request (keyed by the `[http @ ctx]` context, which is one connection):
 * - start: the `HLS request for url` / `Opening '<url>'` line naming the URL, else the
 *   `request: GET <path>` line;
 * - status, bytes, time to first byte: `http_code=`, `header='Content-Length: N'` (trace only);
 * - last byte (estimated; method and its check in docs/swarm-measurement.md): a segment ends at
 *   the last demuxer line read for it. Each playlist keeps a queue of its open segments (ffmpeg
 *   requests one ahead against HTTP/1.1 origins); the head is done at the next segment's PSI
 *   tables, a new request on its connection, a third request of the playlist, a reload of the
 *   (single) playlist, or the end. Manifests end at the first line logged after their headers
 *   (the playlist parse), bounded by MANIFEST_END_BOUND_MS.
 * - A finished keep-alive segment is emitted once its connection answers again, or when that
 *   connection's next request times out (then it is a timed-out, partial response), at the
 *   latest after `holdMaxMs`.
 *
 * Never throws on bad input; lines longer than `maxLineBytes` are dropped and counted.
 */
export class ClientOutputParser {
  private readonly maxLineBytes: number;
  private readonly nowMs: () => number;
  private readonly holdMaxMs: number;
  private readonly timed: boolean;
  private logLevel: 'trace' | 'debug' | 'verbose';
  /** Given as an option, or read from ffmpeg's own echo of `-loglevel` (debug and trace print it). */
  private logLevelKnown: boolean;
  /** Response lines (`http_code=`, `header=`) are logged: true at trace, and once one is seen. */
  private traceResponses: boolean;
  private readonly logDecoder = new StringDecoder('utf8');
  private readonly progressDecoder = new StringDecoder('utf8');
  private logRest = '';
  private progressRest = '';
  private discardingLogLine = false;
  private discardingProgressLine = false;
  private dropped = 0;
  private linesSeen = 0;
  private cut = 0;

  private readonly open = new Map<string, OpenRequest>();
  private readonly pendingStarts: PendingStart[] = [];
  /** Per playlist (variant): its open segment/init responses in request order, head = being read. */
  private readonly playlists = new Map<number, PlaylistState>();
  /** mpegts sub-demuxer context → playlist index (hls opens them in playlist order). */
  private readonly demuxerPlaylists = new Map<string, number>();
  /** Highest playlist index seen in `HLS request` lines; 0 = one playlist (a media playlist or one variant). */
  private maxPlaylistIndex = 0;
  /** Manifests whose headers are in and whose body end is not yet known. */
  private manifestsAwaitingEnd: OpenRequest[] = [];
  /** Request-header block being logged (the lines after `request: GET …`). */
  private requestBlock: OpenRequest | undefined;
  private progress: Record<string, string> = {};
  private ended = false;
  /**
   * Finished segment/init records per connection, held until the connection says whether the
   * body was whole: an answer to its next request (it was), or `keepalive request failed …
   * timed out` (the origin stopped sending and -rw_timeout ended the body: it was not).
   * Released after HOLD_MAX_MS at the latest, and at the end.
   */
  private readonly heldByCtx = new Map<string, { record: RequestRecord; sinceMs: number }>();
  /** `[AVIOContext] Statistics: N bytes read` when it was the line just before (a connection closing). */
  private lastStatistics: { bytes: number; lineNumber: number } | undefined;
  /** URL of the last connection attempt that failed (what a "Will reconnect" retries). */
  private lastFailedUrl: string | undefined;

  constructor(
    readonly clientId: number,
    private readonly emit: (event: ClientOutputEvent) => void,
    options: ClientOutputParserOptions = {},
  ) {
    this.maxLineBytes = options.maxLineBytes ?? 16 * 1024;
    this.nowMs = options.nowMs ?? Date.now;
    this.holdMaxMs = options.holdMaxMs ?? HOLD_MAX_MS;
    this.timed = options.timed ?? true;
    this.logLevel = options.logLevel ?? 'trace';
    this.logLevelKnown = options.logLevel !== undefined;
    this.traceResponses = this.logLevel === 'trace';
  }

  /** Lines dropped because they were longer than maxLineBytes. */
  get droppedLines(): number {
    return this.dropped;
  }

  /** Complete log lines seen so far. */
  get lines(): number {
    return this.linesSeen;
  }

  /** Requests the stop cut before the origin answered them (not emitted). */
  get cutAtEnd(): number {
    return this.cut;
  }

  /** Requests started but not yet complete. */
  get openRequests(): number {
    return this.open.size;
  }

  /** A chunk of stderr. */
  logChunk(chunk: Buffer | string, atMs: number = this.nowMs()): void {
    if (this.ended) return;
    const text = typeof chunk === 'string' ? chunk : this.logDecoder.write(chunk);
    this.splitLines(text, atMs, 'log');
  }

  /** A chunk of the `-progress pipe:3` stream. */
  progressChunk(chunk: Buffer | string, atMs: number = this.nowMs()): void {
    if (this.ended) return;
    const text = typeof chunk === 'string' ? chunk : this.progressDecoder.write(chunk);
    this.splitLines(text, atMs, 'progress');
  }

  /** The process has exited: flush what is buffered and close what is open. */
  end(atMs: number = this.nowMs()): void {
    if (this.ended) return;
    const logTail = this.logRest + this.logDecoder.end();
    const progressTail = this.progressRest + this.progressDecoder.end();
    this.logRest = '';
    this.progressRest = '';
    if (logTail && !this.discardingLogLine) this.safeLine(logTail, atMs);
    if (progressTail && !this.discardingProgressLine) this.safeProgressLine(progressTail, atMs);
    this.closeManifestsAwaitingEnd(atMs);
    for (const request of [...this.open.values()]) {
      // Still open at exit. Read to its end if its data stopped a while before the end (at the live
      // edge a viewer idles ~a segment between downloads). Otherwise the stop cut it: if the origin
      // had answered (usually the segment requested one ahead, whole in the socket buffers and in
      // nginx's log), it is counted as served, flagged cutByStop, without a duration; a request
      // with no answer yet is not a request the origin served: only in cutAtEnd.
      const lastDataMs = request.lastDataMs;
      if (request.headersDone && lastDataMs !== undefined && atMs - lastDataMs >= END_IDLE_MS) {
        this.finish(request, lastDataMs);
      } else if (request.headersDone && request.status !== undefined && request.status < 400) {
        this.forget(request);
        const record = this.recordOf(request, true);
        record.cutByStop = true;
        if (request.bytes !== undefined) record.bytes = request.bytes;
        this.emit({ type: 'request', record });
      } else {
        this.forget(request);
        this.cut++;
      }
    }
    for (const ctx of [...this.heldByCtx.keys()]) this.release(ctx);
    this.ended = true;
  }

  private splitLines(text: string, atMs: number, stream: 'log' | 'progress'): void {
    let rest = stream === 'log' ? this.logRest : this.progressRest;
    let discarding = stream === 'log' ? this.discardingLogLine : this.discardingProgressLine;
    let from = 0;
    for (;;) {
      const newline = text.indexOf('\n', from);
      if (newline === -1) break;
      if (discarding) {
        discarding = false;
      } else {
        const piece = text.slice(from, newline);
        const line = rest ? rest + piece : piece;
        if (line.length > this.maxLineBytes) this.dropped++;
        else if (stream === 'log') this.safeLine(line, atMs);
        else this.safeProgressLine(line, atMs);
      }
      rest = '';
      from = newline + 1;
    }
    if (!discarding) {
      rest += text.slice(from);
      if (rest.length > this.maxLineBytes) {
        // Bounded buffer: a line that never ends is dropped, and so is what follows until its newline.
        this.dropped++;
        rest = '';
        discarding = true;
      }
    }
    if (stream === 'log') {
      this.logRest = rest;
      this.discardingLogLine = discarding;
    } else {
      this.progressRest = rest;
      this.discardingProgressLine = discarding;
    }
  }

  private safeLine(raw: string, atMs: number): void {
    this.linesSeen++;
    try {
      this.line(raw.endsWith('\r') ? raw.slice(0, -1) : raw, atMs);
    } catch {
      // Bad input never stops the parser; the line is simply not understood.
    }
  }

  private safeProgressLine(raw: string, atMs: number): void {
    try {
      this.progressLine(raw.trim(), atMs);
    } catch {}
  }

  private line(text: string, arrivalMs: number): void {
    // The hot path: demuxer packet lines, rejected on their prefix.
    if (text.startsWith('[mpegts ')) {
      this.demuxerLine(text, arrivalMs);
      return;
    }
    let line = text;
    let atMs = arrivalMs;
    const first = line.charCodeAt(0);
    if (first >= 48 && first <= 57) {
      const stamp = DATETIME_PREFIX_RE.exec(line);
      if (stamp) {
        const [, y, mo, d, h, mi, s, ms] = stamp.map(Number) as number[];
        atMs = new Date(y!, mo! - 1, d!, h!, mi!, s!, ms!).getTime();
        line = line.slice(stamp[0].length);
        if (line.startsWith('[mpegts ')) {
          this.demuxerLine(line, atMs);
          return;
        }
      }
    }

    if (line.charCodeAt(0) !== 91 /* [ */) {
      this.continuationLine(line, atMs);
      return;
    }
    if (this.requestBlock) this.endRequestBlock();
    const close = line.indexOf(']');
    if (close === -1) return;
    const inside = line.slice(1, close);
    // "[http @ 0x55…]" (ffmpeg ≤ 7) or "[http #3]" (newer fftools print a class id instead).
    let at = inside.indexOf(' @ ');
    let separator = 3;
    if (at === -1) {
      at = inside.indexOf(' #');
      separator = 2;
    }
    let tag = '';
    let ctx = '';
    let rest = line.slice(close + 1);
    if (at !== -1) {
      tag = inside.slice(0, at);
      ctx = inside.slice(at + separator);
      // The level tag follows: " [trace] message"
      if (rest.startsWith(' [')) {
        const levelEnd = rest.indexOf(']', 2);
        rest = levelEnd === -1 ? rest : rest.slice(levelEnd + 1);
      }
    }
    const level = at === -1 ? inside : '';
    const message = rest.startsWith(' ') ? rest.slice(1) : rest;
    if (this.heldByCtx.size > 0) this.releaseOld(atMs);
    if (tag === 'AVIOContext' && message.startsWith('Statistics: ')) {
      const match = /^Statistics: (\d+) bytes read/.exec(message);
      if (match) this.lastStatistics = { bytes: Number(match[1]), lineNumber: this.linesSeen };
    }

    if (tag === 'http' || tag === 'https') {
      this.closeManifestsAwaitingEnd(atMs, ctx);
      this.httpLine(ctx, message, atMs);
      return;
    }
    this.closeManifestsAwaitingEnd(atMs);
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
        this.dataLine(atMs);
    }
  }

  /** Lines that continue a multi-line message: the request headers after `request: GET …`. */
  private continuationLine(line: string, atMs: number): void {
    const request = this.requestBlock;
    if (!request) return;
    if (line === '') {
      this.endRequestBlock();
      return;
    }
    if (!request.urlKnown && /^host:/i.test(line)) {
      const host = line.slice(5).trim();
      request.url = `http://${host}${request.path}`;
      request.urlKnown = true;
    }
    void atMs;
  }

  /** The request's headers are logged. Without response lines, it now waits only for an error. */
  private endRequestBlock(): void {
    const request = this.requestBlock;
    this.requestBlock = undefined;
    if (request && !this.traceResponses && this.open.get(request.ctx) === request) {
      request.headersDone = true;
      this.manifestsAwaitingEnd.push(request);
    }
  }

  private playlistState(playlist: number): PlaylistState {
    let state = this.playlists.get(playlist);
    if (!state) {
      state = { queue: [], pesSinceTable: false };
      this.playlists.set(playlist, state);
    }
    return state;
  }

  /**
   * `[mpegts @ ctx] [trace] …` — ~90 % of trace output; no regex here. Each line is demuxed data
   * of the segment at the head of its playlist's queue, so it moves that segment's last-data
   * time. A segment ffmpeg packaged starts with its PSI tables (SDT, PAT, PMT): a table line
   * after PES lines means the head was read to its end and the next queued segment (requested
   * ahead by http_multiple, or after it) is now being read.
   */
  private demuxerLine(line: string, atMs: number): void {
    if (this.manifestsAwaitingEnd.length > 0) this.closeManifestsAwaitingEnd(atMs);
    const close = line.indexOf(']', 8);
    if (close === -1) return;
    const ctx = line.slice(8, close); // "@ 0x55…" or "#3": either names the context
    let playlist = this.demuxerPlaylists.get(ctx);
    if (playlist === undefined) {
      playlist = this.demuxerPlaylists.size;
      this.demuxerPlaylists.set(ctx, playlist);
    }
    const state = this.playlistState(playlist);
    const body = line.startsWith(' [trace] ', close + 1) ? close + 10 : close + 2;
    if (line.startsWith('pid=', body)) {
      state.pesSinceTable = true;
    } else if (line.startsWith('SDT:', body) || line.startsWith('PAT:', body)) {
      if (state.pesSinceTable && state.queue.length >= 2) {
        const head = state.queue[0]!;
        this.finish(head, head.lastDataMs ?? head.headersMs ?? atMs);
      }
      state.pesSinceTable = false;
    }
    const head = state.queue[0];
    if (head?.headersDone) head.lastDataMs = atMs;
  }

  /** Other demuxer/codec lines (h264, mov…): data of the only playlist, when there is one. */
  private dataLine(atMs: number): void {
    if (this.manifestsAwaitingEnd.length > 0) this.closeManifestsAwaitingEnd(atMs);
    if (this.maxPlaylistIndex !== 0) return;
    const head = this.playlists.get(0)?.queue[0];
    if (head?.headersDone) head.lastDataMs = atMs;
  }

  private httpLine(ctx: string, message: string, atMs: number): void {
    if (message.startsWith("header='")) {
      const request = this.open.get(ctx);
      if (!request) return;
      const header = message.slice(8, message.endsWith("'") ? -1 : undefined);
      if (header === '') {
        this.headersDone(request, atMs);
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
      this.traceResponses = true;
      // The connection answered its next request: the response before was whole.
      if (this.heldByCtx.size > 0) this.release(ctx);
      const request = this.open.get(ctx);
      if (!request) return;
      const status = Number.parseInt(message.slice(10), 10);
      if (Number.isFinite(status)) request.status = status;
      if (request.headersMs === undefined) request.headersMs = atMs;
      return;
    }
    if (message.startsWith('request: ')) {
      const match = REQUEST_LINE_RE.exec(message);
      if (match) this.requestStarted(ctx, match[2]!, atMs);
      return;
    }
    const httpError = HTTP_ERROR_RE.exec(message);
    if (httpError) {
      const status = Number(httpError[1]);
      const request = this.open.get(ctx);
      if (request) {
        request.status = status;
        this.emit({ type: 'http_error', atMs, status, url: request.url });
        this.fail(request, 'http', atMs);
      } else {
        this.emit({ type: 'http_error', atMs, status });
      }
      return;
    }
    if (message.startsWith('Will reconnect at ')) {
      const request = this.open.get(ctx);
      const url = request?.url ?? this.lastFailedUrl ?? this.latestPendingStart()?.url;
      this.emit(url === undefined ? { type: 'reconnect', atMs } : { type: 'reconnect', atMs, url });
      const timedOut = /timed out/i.test(message);
      if (timedOut) this.emit(url === undefined ? { type: 'timeout', atMs } : { type: 'timeout', atMs, url });
      if (request) this.fail(request, timedOut ? 'timeout' : 'connect', atMs);
      return;
    }
    const premature = PREMATURE_END_RE.exec(message);
    if (premature) {
      const request = this.open.get(ctx);
      if (request) request.bytesRead = Number(premature[1]);
      return;
    }
    if (/timed out/i.test(message)) {
      const request = this.open.get(ctx);
      this.emit(request ? { type: 'timeout', atMs, url: request.url } : { type: 'timeout', atMs });
      if (request) this.fail(request, 'timeout', atMs);
    }
  }

  private hlsLine(message: string, atMs: number): void {
    if (message.startsWith('HLS request for url ')) {
      const match = HLS_REQUEST_RE.exec(message);
      if (!match) return;
      const playlist = Number(match[3]);
      if (playlist > this.maxPlaylistIndex) this.maxPlaylistIndex = playlist;
      if (!this.logLevelKnown) {
        // Below debug ffmpeg does not echo its options, and this verbose line is the first we see.
        this.logLevelKnown = true;
        this.logLevel = 'verbose';
        this.traceResponses = false;
      }
      // With two segments of this playlist open (one read, one requested ahead), a third request
      // means ffmpeg finished the first and swapped to the second. With one open, this request
      // may be the one-ahead request (http_multiple) while it is still being read: left open.
      const queue = this.playlists.get(playlist)?.queue;
      if (queue && queue.length >= 2 && queue[0]!.headersDone && this.traceResponses) {
        const head = queue[0]!;
        this.finish(head, head.lastDataMs ?? head.headersMs ?? atMs);
      }
      this.addPendingStart({ url: match[1]!, atMs, playlist });
      if (this.logLevel === 'verbose') {
        const url = match[1]!;
        this.emit({
          type: 'request',
          record: { clientId: this.clientId, kind: classifyRequestUrl(url), url, startMs: atMs, ok: true },
        });
      }
      return;
    }
    if (message.startsWith('Opening ')) {
      const match = OPENING_RE.exec(message);
      if (match) this.addPendingStart({ url: match[1]!, atMs });
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
      const url = match?.[3] ?? this.latestPendingStart(playlist)?.url;
      this.emit(url === undefined ? { type: 'segment_failed', atMs } : { type: 'segment_failed', atMs, url });
      return;
    }
    if (message.startsWith('Failed to reload playlist')) {
      const match = RELOAD_FAILED_RE.exec(message);
      const url = match
        ? (this.latestPendingStartOfKind('manifest')?.url ??
          (this.lastFailedUrl && classifyRequestUrl(this.lastFailedUrl) === 'manifest'
            ? this.lastFailedUrl
            : undefined))
        : undefined;
      this.emit(
        url === undefined
          ? { type: 'playlist_reload_failed', atMs }
          : { type: 'playlist_reload_failed', atMs, url },
      );
      return;
    }
    if (message.startsWith('keepalive request failed')) {
      // "keepalive request failed for '<u>' with error: '<e>' when opening url, retrying with new connection"
      const match = /^keepalive request failed for '(.*)' with error: '(.*)'/.exec(message);
      const url = match?.[1];
      const timedOut = /timed out/i.test(match?.[2] ?? message);
      // The request sent on the stale connection got no answer; ffmpeg retries on a new one.
      for (const request of this.open.values()) {
        if (request.url === url && !request.headersDone) {
          const held = this.heldByCtx.get(request.ctx);
          if (held && timedOut) {
            // …because the response before it on that connection never finished.
            held.record.ok = false;
            held.record.error = 'timeout';
            const statistics = this.lastStatistics;
            if (
              statistics &&
              statistics.lineNumber >= this.linesSeen - 1 &&
              held.record.bytes !== undefined
            ) {
              // Bytes the closed connection read (over all its requests): a bound only when smaller.
              if (statistics.bytes < held.record.bytes) held.record.bytes = statistics.bytes;
            }
          }
          this.release(request.ctx);
          this.fail(request, timedOut ? 'timeout' : 'other', atMs);
          break;
        }
      }
      if (timedOut) this.emit(url === undefined ? { type: 'timeout', atMs } : { type: 'timeout', atMs, url });
      return;
    }
    if (/timed out/i.test(message)) this.emit({ type: 'timeout', atMs });
  }

  /** tcp/tls/AVIOContext/NULL lines and lines with no context (global messages). */
  private controlLine(tag: string, level: string, message: string, atMs: number): void {
    if (message.startsWith('Opening ')) {
      const match = OPENING_RE.exec(message);
      if (match) this.addPendingStart({ url: match[1]!, atMs });
      return;
    }
    if (tag === 'tcp' || tag === 'tls') {
      const connect = CONNECT_FAILED_RE.exec(message);
      const resolveFailed = message.startsWith('Failed to resolve hostname');
      if (connect || resolveFailed) {
        const reason = connect ? connect[3]! : message;
        // The attempt is for the URL last named (Opening / HLS request), or a retry of the last failed one.
        const pending = this.latestPendingStart();
        const url = pending?.url ?? this.lastFailedUrl;
        const startMs = pending?.atMs ?? atMs;
        const timedOut = /timed out/i.test(reason);
        if (timedOut)
          this.emit(url === undefined ? { type: 'timeout', atMs } : { type: 'timeout', atMs, url });
        this.emit(
          url === undefined
            ? { type: 'connect_failed', atMs, reason }
            : { type: 'connect_failed', atMs, reason, url },
        );
        if (url !== undefined) {
          // The attempt never reached HTTP: a failed request with no status.
          const record: RequestRecord = {
            clientId: this.clientId,
            kind: classifyRequestUrl(url),
            url,
            startMs,
            ok: false,
            error: timedOut ? 'timeout' : 'connect',
          };
          if (this.timed) record.durationSeconds = Math.max(0, (atMs - startMs) / 1000);
          this.emit({ type: 'request', record });
          if (pending) this.removePendingStart(pending);
          this.lastFailedUrl = url;
        }
      }
      return;
    }
    if (
      tag === '' &&
      level === 'debug' &&
      !this.logLevelKnown &&
      message.startsWith('Applying option loglevel')
    ) {
      // "[debug] Applying option loglevel (set logging level) with argument repeat+level+trace."
      const argument = /with argument (\S+?)\.?$/.exec(message)?.[1] ?? '';
      const level = argument.split('+').pop();
      this.logLevelKnown = true;
      if (level === 'debug' || level === 'verbose') {
        this.logLevel = level;
        this.traceResponses = false;
      }
      return;
    }
    if (tag === '' && (level === 'error' || level === 'fatal')) {
      if (/timed out/i.test(message)) this.emit({ type: 'timeout', atMs });
      if (
        /^Error opening input|^Error opening input files|Server returned|Invalid data found|Connection refused|Input\/output error/.test(
          message,
        ) ||
        /: /.test(message)
      ) {
        this.emit({ type: 'fatal', atMs, message: message.slice(0, 300) });
      }
    }
  }

  private addPendingStart(start: PendingStart): void {
    // "HLS request for url" and "Opening" name the same request; keep the earlier stamp.
    const last = this.pendingStarts[this.pendingStarts.length - 1];
    if (last && last.url === start.url && start.atMs - last.atMs < 5000) {
      if (start.playlist !== undefined) last.playlist = start.playlist;
      return;
    }
    this.pendingStarts.push(start);
    while (this.pendingStarts.length > MAX_PENDING_STARTS) this.pendingStarts.shift();
  }

  private removePendingStart(start: PendingStart): void {
    const index = this.pendingStarts.indexOf(start);
    if (index !== -1) this.pendingStarts.splice(index, 1);
  }

  private latestPendingStart(playlist?: number): PendingStart | undefined {
    for (let i = this.pendingStarts.length - 1; i >= 0; i--) {
      const start = this.pendingStarts[i]!;
      if (playlist === undefined || start.playlist === playlist) return start;
    }
    return undefined;
  }

  private latestPendingStartOfKind(kind: RequestKind): PendingStart | undefined {
    for (let i = this.pendingStarts.length - 1; i >= 0; i--) {
      const start = this.pendingStarts[i]!;
      if (classifyRequestUrl(start.url) === kind) return start;
    }
    return undefined;
  }

  /** Finds (and consumes) the Opening/HLS-request line that named the URL this request line asks for. */
  private takePendingStart(path: string, atMs: number): PendingStart | undefined {
    for (let i = 0; i < this.pendingStarts.length; i++) {
      const start = this.pendingStarts[i]!;
      if (atMs - start.atMs > PENDING_START_MAX_AGE_MS) continue;
      if (pathAndQuery(start.url) === path || start.url === path) {
        this.pendingStarts.splice(0, i + 1);
        return start;
      }
    }
    return undefined;
  }

  private requestStarted(ctx: string, path: string, atMs: number): void {
    if (this.traceResponses && this.maxPlaylistIndex === 0 && classifyRequestUrl(path) === 'manifest') {
      // One playlist: ffmpeg reloads it only once every open segment was read (a segment
      // requested ahead is always in the playlist already, so no reload happens while one is).
      const queue = this.playlists.get(0)?.queue ?? [];
      for (const open of [...queue])
        if (open.headersDone) this.finish(open, open.lastDataMs ?? open.headersMs ?? atMs);
    }
    const previous = this.open.get(ctx);
    if (previous) {
      // Keep-alive: a new request on this connection means ffmpeg is done with the previous
      // response. Its record is held until the connection says whether it was whole (heldByCtx).
      if (previous.headersDone) this.finish(previous, previous.lastDataMs ?? previous.headersMs ?? atMs);
      else this.fail(previous, 'other', atMs);
    }
    const pending = this.takePendingStart(path, atMs);
    const url = pending?.url ?? path;
    const request: OpenRequest = {
      ctx,
      url,
      path,
      urlKnown: pending !== undefined,
      kind: classifyRequestUrl(url),
      startMs: pending?.atMs ?? atMs,
      headersDone: false,
    };
    if (request.kind !== 'manifest') {
      request.playlist = pending?.playlist ?? 0;
      this.playlistState(request.playlist).queue.push(request);
    }
    this.open.set(ctx, request);
    this.requestBlock = request;
    if (this.open.size > MAX_OPEN_REQUESTS) {
      const oldest = this.open.values().next().value;
      if (oldest) this.fail(oldest, 'other', atMs);
    }
  }

  private headersDone(request: OpenRequest, atMs: number): void {
    request.headersDone = true;
    if (request.headersMs === undefined) request.headersMs = atMs;
    if (request.status !== undefined && request.status >= 400) {
      this.emit({ type: 'http_error', atMs, status: request.status, url: request.url });
      this.fail(request, 'http', atMs);
      return;
    }
    if (request.kind === 'manifest') this.manifestsAwaitingEnd.push(request);
  }

  private closeManifestsAwaitingEnd(atMs: number, exceptCtx?: string): void {
    if (this.manifestsAwaitingEnd.length === 0) return;
    const still: OpenRequest[] = [];
    for (const request of this.manifestsAwaitingEnd) {
      if (request.ctx === exceptCtx) {
        still.push(request);
        continue;
      }
      const headersMs = request.headersMs ?? atMs;
      this.finish(request, atMs - headersMs <= MANIFEST_END_BOUND_MS ? atMs : headersMs);
    }
    this.manifestsAwaitingEnd = still;
  }

  private finish(request: OpenRequest, endMs: number): void {
    if (this.open.get(request.ctx) !== request) return;
    this.forget(request);
    const record = this.recordOf(request, request.status === undefined || request.status < 400);
    const bytes = request.bytesRead ?? request.bytes;
    if (bytes !== undefined) record.bytes = bytes;
    if (request.headersMs !== undefined) record.endMs = Math.max(endMs, request.startMs);
    if (record.ttfbSeconds !== undefined)
      record.durationSeconds = Math.max(record.ttfbSeconds, (endMs - request.startMs) / 1000);
    if (request.bytesRead !== undefined && request.bytes !== undefined && request.bytesRead < request.bytes) {
      record.ok = false;
      record.error = 'other';
    }
    const reusable = request.keepAlive !== false;
    if (record.ok && reusable && request.kind !== 'manifest' && request.headersDone && this.traceResponses) {
      this.release(request.ctx);
      this.heldByCtx.set(request.ctx, { record, sinceMs: endMs });
    } else {
      this.emit({ type: 'request', record });
    }
  }

  /** Emits the record held for a connection, as it is. */
  private release(ctx: string): void {
    const held = this.heldByCtx.get(ctx);
    if (!held) return;
    this.heldByCtx.delete(ctx);
    this.emit({ type: 'request', record: held.record });
  }

  private releaseOld(atMs: number): void {
    for (const [ctx, held] of this.heldByCtx) if (atMs - held.sinceMs >= this.holdMaxMs) this.release(ctx);
  }

  private forget(request: OpenRequest): void {
    this.open.delete(request.ctx);
    if (this.manifestsAwaitingEnd.includes(request)) {
      this.manifestsAwaitingEnd = this.manifestsAwaitingEnd.filter((r) => r !== request);
    }
    if (request.playlist !== undefined) {
      const state = this.playlists.get(request.playlist);
      const index = state?.queue.indexOf(request) ?? -1;
      if (state && index !== -1) {
        state.queue.splice(index, 1);
        // The head is done, so ffmpeg has moved on: the tables that come next start the new head.
        if (index === 0) state.pesSinceTable = false;
      }
    }
  }

  private fail(request: OpenRequest, error: NonNullable<RequestRecord['error']>, atMs: number): void {
    if (this.open.get(request.ctx) !== request) return;
    this.forget(request);
    const record = this.recordOf(request, false);
    record.error = error;
    if (this.timed) record.durationSeconds = Math.max(0, (atMs - request.startMs) / 1000);
    const bytes = request.bytesRead ?? (error === 'http' ? request.bytes : undefined);
    if (bytes !== undefined) record.bytes = bytes;
    this.emit({ type: 'request', record });
  }

  /** What every record of `request` says: who, what, when, its status, and its TTFB when timed. */
  private recordOf(request: OpenRequest, ok: boolean): RequestRecord {
    const record: RequestRecord = {
      clientId: this.clientId,
      kind: request.kind,
      url: request.url,
      startMs: request.startMs,
      ok,
    };
    if (request.status !== undefined) record.status = request.status;
    if (request.headersMs !== undefined && this.timed)
      record.ttfbSeconds = Math.max(0, (request.headersMs - request.startMs) / 1000);
    return record;
  }

  private progressLine(line: string, atMs: number): void {
    if (line === '') return;
    const eq = line.indexOf('=');
    if (eq <= 0) return;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key !== 'progress') {
      this.progress[key] = value;
      return;
    }
    const fields = this.progress;
    this.progress = {};
    const outTimeUs = toNumber(fields.out_time_us) ?? toNumber(fields.out_time_ms);
    const event: Extract<ClientOutputEvent, { type: 'progress' }> = {
      type: 'progress',
      atMs,
      outTimeUs: outTimeUs ?? 0,
      end: value === 'end',
    };
    const speed = toNumber(fields.speed?.replace(/x$/, ''));
    if (speed !== undefined) event.speed = speed;
    const totalSize = toNumber(fields.total_size);
    if (totalSize !== undefined) event.totalSize = totalSize;
    const frame = toNumber(fields.frame);
    if (frame !== undefined) event.frame = frame;
    this.emit(event);
  }
}

function toNumber(text: string | undefined): number | undefined {
  if (text === undefined || text === '' || text === 'N/A') return undefined;
  const value = Number(text.trim());
  return Number.isFinite(value) ? value : undefined;
}

function pathAndQuery(url: string): string {
  const scheme = url.indexOf('://');
  if (scheme === -1) return url;
  const slash = url.indexOf('/', scheme + 3);
  return slash === -1 ? '/' : url.slice(slash);
}
