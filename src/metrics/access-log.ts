import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { classifyRequestUrl, cmcdSessionIdOf, type RequestKind } from '../swarm/index.js';
import type { MetricStore } from './store.js';

/*
 * nginx server-side latency: nginx's JSON access log is read incrementally (only the bytes
 * appended since the last read; a partial last line waits for its end; a truncated or
 * rotated file starts again from 0) and each line's request_time becomes a value of the
 * trend `nginx_request_time{kind,status}`.
 * Polling (not fs.watch): it behaves the same on every filesystem and costs one stat per poll.
 */

const READ_CHUNK_BYTES = 4 * 1024 * 1024;
const MAX_LINE_CHARS = 1024 * 1024;

/** The `kind` label of nginx_request_time: init segments are counted with the segments. */
export type AccessLogKind = 'manifest' | 'segment' | 'other';

export interface AccessLogEntry {
  atMs: number;
  uri: string;
  /** By URI, with the swarm's own classifier (classifyRequestUrl), so both sides count alike. */
  kind: RequestKind;
  status?: number;
  requestTimeSeconds: number;
  bodyBytesSent?: number;
  /** The client's User-Agent (hls-swarm's viewers send `hls-swarm/<version>/client-<id>`). */
  userAgent?: string;
  /** The query string (`$args`), when logged. */
  args?: string;
  /** Requests served on this connection so far, this one included (`$connection_requests`): > 1 = reused. */
  connectionRequests?: number;
  /**
   * Which viewer sent it: the `sid` of its CMCD-Session header (`cmcd_session`, logged by our origins
   * since CMCD support), else of a `CMCD` query parameter. Absent in older logs and for other clients.
   */
  sessionId?: string;
}

/** The nginx_request_time label of a request kind (init folded into segment). */
export function accessLogLabelKind(kind: RequestKind): AccessLogKind {
  return kind === 'init' ? 'segment' : kind;
}

/** The nginx_request_time label of a URI: the swarm's classifier, init folded into segment. */
export function accessLogKind(uri: string): AccessLogKind {
  return accessLogLabelKind(classifyRequestUrl(uri));
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '' && value !== '-') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

/**
 * One JSON access-log line → entry; undefined for a line that is not JSON or has no
 * request_time. Time: `msec` (epoch seconds with ms) when logged, else `time`/`time_iso8601`
 * (second resolution), else the moment it was read.
 */
export function parseAccessLogLine(line: string, readAtMs: number): AccessLogEntry | undefined {
  let record: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed === null || typeof parsed !== 'object') return undefined;
    record = parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const requestTimeSeconds = toNumber(record.request_time);
  if (requestTimeSeconds === undefined) return undefined;
  const uri = String(record.uri ?? record.request_uri ?? '');
  let atMs = readAtMs;
  const msec = toNumber(record.msec);
  if (msec !== undefined) atMs = msec * 1000;
  else {
    const text = record.time_iso8601 ?? record.time;
    if (typeof text === 'string') {
      const parsedMs = Date.parse(text);
      if (Number.isFinite(parsedMs)) atMs = parsedMs;
    }
  }
  const entry: AccessLogEntry = { atMs, uri, kind: classifyRequestUrl(uri), requestTimeSeconds };
  const status = toNumber(record.status);
  if (status !== undefined) entry.status = status;
  const bytes = toNumber(record.body_bytes_sent);
  if (bytes !== undefined) entry.bodyBytesSent = bytes;
  const userAgent = record.user_agent ?? record.http_user_agent;
  if (typeof userAgent === 'string') entry.userAgent = userAgent;
  if (typeof record.args === 'string') entry.args = record.args;
  const connectionRequests = toNumber(record.connection_requests);
  if (connectionRequests !== undefined) entry.connectionRequests = connectionRequests;
  const sessionId = sessionIdOf(record);
  if (sessionId !== undefined) entry.sessionId = sessionId;
  return entry;
}

/** The CMCD sid of a logged request: the CMCD-Session header, or CMCD data sent as a query parameter. */
function sessionIdOf(record: Record<string, unknown>): string | undefined {
  const header = record.cmcd_session ?? record.http_cmcd_session;
  if (typeof header === 'string' && header !== '') {
    const sid = cmcdSessionIdOf(header);
    if (sid !== undefined) return sid;
  }
  if (typeof record.args === 'string' && record.args.includes('CMCD=')) {
    const query = new URLSearchParams(record.args).get('CMCD');
    if (query) return cmcdSessionIdOf(query);
  }
  return undefined;
}

/** Every entry of a whole access log's text (blank and unparsable lines skipped), e.g. after a run. */
export function parseAccessLog(text: string, readAtMs: number): AccessLogEntry[] {
  const entries: AccessLogEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const entry = parseAccessLogLine(line, readAtMs);
    if (entry) entries.push(entry);
  }
  return entries;
}

export interface AccessLogHealth {
  path: string;
  linesRead: number;
  linesRejected: number;
  bytesRead: number;
  lastError?: string;
}

export class AccessLogTailer {
  private offset = 0;
  private partial = '';
  private inode: number | undefined;
  // Keeps a UTF-8 character split between two reads whole.
  private decoder = new StringDecoder('utf8');
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private stopped = false;
  private readonly health: AccessLogHealth;

  constructor(
    readonly path: string,
    private readonly onEntry: (entry: AccessLogEntry) => void,
    private readonly options: { pollMs?: number; now?: () => number } = {},
  ) {
    this.health = { path, linesRead: 0, linesRejected: 0, bytesRead: 0 };
  }

  /** Records each entry into `store` as nginx_request_time{kind,status}. */
  static intoStore(path: string, store: MetricStore, options?: { pollMs?: number; now?: () => number }) {
    store.declare('nginx_request_time', 'trend');
    return new AccessLogTailer(
      path,
      (entry) => {
        const labels: Record<string, string> = { kind: accessLogLabelKind(entry.kind) };
        if (entry.status !== undefined) labels.status = String(entry.status);
        store.addTrend('nginx_request_time', labels, entry.atMs, entry.requestTimeSeconds);
      },
      options,
    );
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.reading = this.readNew().finally(() => this.schedule());
    }, this.options.pollMs ?? 500);
  }

  /** Reads everything appended since the last read (in chunks, so a big backlog stays cheap). */
  async readNew(): Promise<void> {
    const now = this.options.now ?? Date.now;
    let handle: Awaited<ReturnType<typeof open>> | undefined;
    try {
      handle = await open(this.path, 'r');
      const info = await handle.stat();
      if (info.size < this.offset || (this.inode !== undefined && info.ino !== this.inode)) {
        // Truncated, or rotated to a new file: start again at its beginning.
        this.offset = 0;
        this.partial = '';
        this.decoder = new StringDecoder('utf8');
      }
      this.inode = info.ino;
      while (this.offset < info.size) {
        const length = Math.min(READ_CHUNK_BYTES, info.size - this.offset);
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        this.health.bytesRead += bytesRead;
        this.consume(this.decoder.write(buffer.subarray(0, bytesRead)), now());
      }
      delete this.health.lastError;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // The log may not exist until nginx writes its first line.
      if (code !== 'ENOENT') this.health.lastError = (error as Error).message;
    } finally {
      await handle?.close();
    }
  }

  private consume(text: string, readAtMs: number): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    if (this.partial.length > MAX_LINE_CHARS) {
      // Not an access log line: drop it rather than grow without bound.
      this.partial = '';
      this.health.linesRejected++;
    }
    for (const line of lines) {
      if (line.trim() === '') continue;
      const entry = parseAccessLogLine(line, readAtMs);
      if (entry) {
        this.health.linesRead++;
        this.onEntry(entry);
      } else this.health.linesRejected++;
    }
  }

  /** Stops polling after one last read (so the final requests count). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.reading;
    await this.readNew();
  }

  status(): AccessLogHealth {
    return { ...this.health };
  }
}
