import type { RequestKind, RequestRecord } from '../types.js';
import { classifyRequestUrl } from './classify.js';
import type { EmitClientOutput } from './events.js';
import type { PendingStart } from './pending-starts.js';

/*
 * The request state machine of one viewer: requests open on a connection (`[http @ ctx]`),
 * get their status and headers, are read (demuxer lines), and end — finished, failed, held until
 * their connection says whether the body was whole, or cut by the stop. The parser feeds it;
 * it emits one `request` event per request. The method and its check: docs/swarm-measurement.md.
 */

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

const MAX_OPEN_REQUESTS = 32;

export interface OpenRequest {
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

interface PlaylistState {
  queue: OpenRequest[];
  /** A PES (`pid=… stream_id=…`) line came since the last PSI table (SDT/PAT) line. */
  pesSinceTable: boolean;
}

export interface RequestTrackerOptions {
  holdMaxMs: number;
  /** See ClientOutputParserOptions.timed. */
  timed: boolean;
  /** Response lines (`http_code=`, `header=`) are logged. */
  traceResponses: boolean;
}

export class RequestTracker {
  /** Response lines (`http_code=`, `header=`) are logged: true at trace, and once one is seen. */
  traceResponses: boolean;
  /** Highest playlist index seen in `HLS request` lines; 0 = one playlist (a media playlist or one variant). */
  maxPlaylistIndex = 0;
  private readonly holdMaxMs: number;
  private readonly timed: boolean;
  private cut = 0;
  private readonly open = new Map<string, OpenRequest>();
  /** Per playlist (variant): its open segment/init responses in request order, head = being read. */
  private readonly playlists = new Map<number, PlaylistState>();
  /** mpegts sub-demuxer context → playlist index (hls opens them in playlist order). */
  private readonly demuxerPlaylists = new Map<string, number>();
  /** Manifests whose headers are in and whose body end is not yet known. */
  private manifestsAwaitingEnd: OpenRequest[] = [];
  /** Request-header block being logged (the lines after `request: GET …`). */
  private requestBlock: OpenRequest | undefined;
  /**
   * Finished segment/init records per connection, held until the connection says whether the
   * body was whole: an answer to its next request (it was), or `keepalive request failed …
   * timed out` (the origin stopped sending and -rw_timeout ended the body: it was not).
   * Released after holdMaxMs at the latest, and at the end.
   */
  private readonly heldByCtx = new Map<string, { record: RequestRecord; sinceMs: number }>();

  constructor(
    private readonly clientId: number,
    private readonly emit: EmitClientOutput,
    options: RequestTrackerOptions,
  ) {
    this.holdMaxMs = options.holdMaxMs;
    this.timed = options.timed;
    this.traceResponses = options.traceResponses;
  }

  /** Requests the stop cut before the origin answered them (not emitted). */
  get cutAtEnd(): number {
    return this.cut;
  }

  /** Requests started but not yet complete. */
  get openCount(): number {
    return this.open.size;
  }

  /** The request open on connection `ctx`. */
  on(ctx: string): OpenRequest | undefined {
    return this.open.get(ctx);
  }

  get inRequestBlock(): boolean {
    return this.requestBlock !== undefined;
  }

  /** A tagged line arrived: held records past their bound are released. */
  tick(atMs: number): void {
    if (this.heldByCtx.size > 0) this.releaseOld(atMs);
  }

  /** `request: GET <path>` on connection `ctx`; `pending` is the start that named its URL. */
  requestStarted(ctx: string, path: string, pending: PendingStart | undefined, atMs: number): void {
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

  /** Lines that continue a multi-line message: the request headers after `request: GET …`. */
  continuation(line: string): void {
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
  }

  /** The request's headers are logged. Without response lines, it now waits only for an error. */
  endRequestBlock(): void {
    const request = this.requestBlock;
    this.requestBlock = undefined;
    if (request && !this.traceResponses && this.open.get(request.ctx) === request) {
      request.headersDone = true;
      this.manifestsAwaitingEnd.push(request);
    }
  }

  /** The response headers of `request` are in (the empty `header=''` line). */
  headersDone(request: OpenRequest, atMs: number): void {
    request.headersDone = true;
    if (request.headersMs === undefined) request.headersMs = atMs;
    if (request.status !== undefined && request.status >= 400) {
      this.emit({ type: 'http_error', atMs, status: request.status, url: request.url });
      this.fail(request, 'http', atMs);
      return;
    }
    if (request.kind === 'manifest') this.manifestsAwaitingEnd.push(request);
  }

  /** A line after a manifest's headers ends its body (but a line of its own connection). */
  closeManifestsAwaitingEnd(atMs: number, exceptCtx?: string): void {
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

  /**
   * `HLS request for url` of `playlist`. With two segments of it open (one read, one requested
   * ahead), a third request means ffmpeg finished the first and swapped to the second. With one
   * open, this request may be the one-ahead request (http_multiple) while it is still being
   * read: left open.
   */
  segmentRequested(playlist: number, atMs: number): void {
    const queue = this.playlists.get(playlist)?.queue;
    if (queue && queue.length >= 2 && queue[0]!.headersDone && this.traceResponses) {
      const head = queue[0]!;
      this.finish(head, head.lastDataMs ?? head.headersMs ?? atMs);
    }
  }

  /**
   * `[mpegts @ ctx] [trace] …` — ~90 % of trace output; no regex here. Each line is demuxed data
   * of the segment at the head of its playlist's queue, so it moves that segment's last-data
   * time. A segment ffmpeg packaged starts with its PSI tables (SDT, PAT, PMT): a table line
   * after PES lines means the head was read to its end and the next queued segment (requested
   * ahead by http_multiple, or after it) is now being read.
   */
  demuxerLine(line: string, atMs: number): void {
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
  dataLine(atMs: number): void {
    if (this.manifestsAwaitingEnd.length > 0) this.closeManifestsAwaitingEnd(atMs);
    if (this.maxPlaylistIndex !== 0) return;
    const head = this.playlists.get(0)?.queue[0];
    if (head?.headersDone) head.lastDataMs = atMs;
  }

  /**
   * `keepalive request failed for '<url>'`: the request sent on a stale connection got no answer
   * and ffmpeg retries on a new one. When it timed out, the response before it on that connection
   * never finished: its held record becomes a timed-out, partial one (`closedBytes`: what the
   * connection read, from the `Statistics` line just before, when there was one).
   */
  keepaliveFailed(
    url: string | undefined,
    timedOut: boolean,
    closedBytes: number | undefined,
    atMs: number,
  ): void {
    for (const request of this.open.values()) {
      if (request.url === url && !request.headersDone) {
        const held = this.heldByCtx.get(request.ctx);
        if (held && timedOut) {
          held.record.ok = false;
          held.record.error = 'timeout';
          // Bytes the closed connection read (over all its requests): a bound only when smaller.
          if (closedBytes !== undefined && held.record.bytes !== undefined && closedBytes < held.record.bytes)
            held.record.bytes = closedBytes;
        }
        this.release(request.ctx);
        this.fail(request, timedOut ? 'timeout' : 'other', atMs);
        break;
      }
    }
  }

  /** A connection attempt to `url` failed before HTTP: a failed request with no status. */
  connectFailed(url: string, startMs: number, timedOut: boolean, atMs: number): void {
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
  }

  /** The process exited: close what is open and release what is held. */
  end(atMs: number): void {
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
  }

  finish(request: OpenRequest, endMs: number): void {
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

  fail(request: OpenRequest, error: NonNullable<RequestRecord['error']>, atMs: number): void {
    if (this.open.get(request.ctx) !== request) return;
    this.forget(request);
    const record = this.recordOf(request, false);
    record.error = error;
    if (this.timed) record.durationSeconds = Math.max(0, (atMs - request.startMs) / 1000);
    const bytes = request.bytesRead ?? (error === 'http' ? request.bytes : undefined);
    if (bytes !== undefined) record.bytes = bytes;
    this.emit({ type: 'request', record });
  }

  /** Emits the record held for a connection, as it is (the connection answered again: it was whole). */
  release(ctx: string): void {
    if (this.heldByCtx.size === 0) return;
    const held = this.heldByCtx.get(ctx);
    if (!held) return;
    this.heldByCtx.delete(ctx);
    this.emit({ type: 'request', record: held.record });
  }

  private releaseOld(atMs: number): void {
    for (const [ctx, held] of this.heldByCtx) if (atMs - held.sinceMs >= this.holdMaxMs) this.release(ctx);
  }

  private playlistState(playlist: number): PlaylistState {
    let state = this.playlists.get(playlist);
    if (!state) {
      state = { queue: [], pesSinceTable: false };
      this.playlists.set(playlist, state);
    }
    return state;
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
}
