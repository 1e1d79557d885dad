import type { RequestKind } from '../types.js';
import { classifyRequestUrl } from './classify.js';

/*
 * The lines that name a request's URL (`HLS request for url '<u>'`, `Opening '<u>'`) come before
 * the `request: GET <path>` line that opens it on a connection; a failure can also come before
 * any request line. These are the URLs named and not yet matched, newest last, bounded.
 */

const MAX_PENDING_STARTS = 16;
const PENDING_START_MAX_AGE_MS = 60_000;
/** "HLS request for url" and "Opening" name the same request within this long. */
const SAME_START_WINDOW_MS = 5000;

export interface PendingStart {
  url: string;
  atMs: number;
  /** The variant playlist index, when an `HLS request` line gave it. */
  playlist?: number;
}

export class PendingStarts {
  private readonly starts: PendingStart[] = [];

  add(start: PendingStart): void {
    // "HLS request for url" and "Opening" name the same request; keep the earlier stamp.
    const last = this.starts[this.starts.length - 1];
    if (last && last.url === start.url && start.atMs - last.atMs < SAME_START_WINDOW_MS) {
      if (start.playlist !== undefined) last.playlist = start.playlist;
      return;
    }
    this.starts.push(start);
    while (this.starts.length > MAX_PENDING_STARTS) this.starts.shift();
  }

  remove(start: PendingStart): void {
    const index = this.starts.indexOf(start);
    if (index !== -1) this.starts.splice(index, 1);
  }

  /** The newest, of `playlist` when given. */
  latest(playlist?: number): PendingStart | undefined {
    for (let i = this.starts.length - 1; i >= 0; i--) {
      const start = this.starts[i]!;
      if (playlist === undefined || start.playlist === playlist) return start;
    }
    return undefined;
  }

  latestOfKind(kind: RequestKind): PendingStart | undefined {
    for (let i = this.starts.length - 1; i >= 0; i--) {
      const start = this.starts[i]!;
      if (classifyRequestUrl(start.url) === kind) return start;
    }
    return undefined;
  }

  /** Finds (and consumes, with every older one) the start that named the URL this request line asks for. */
  take(path: string, atMs: number): PendingStart | undefined {
    for (let i = 0; i < this.starts.length; i++) {
      const start = this.starts[i]!;
      if (atMs - start.atMs > PENDING_START_MAX_AGE_MS) continue;
      if (pathAndQuery(start.url) === path || start.url === path) {
        this.starts.splice(0, i + 1);
        return start;
      }
    }
    return undefined;
  }
}

function pathAndQuery(url: string): string {
  const scheme = url.indexOf('://');
  if (scheme === -1) return url;
  const slash = url.indexOf('/', scheme + 3);
  return slash === -1 ? '/' : url.slice(slash);
}
