import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { type CheckContext, type CheckResult, type WaitStrategy, waitForPlaylist } from '../wait/index.js';

/*
 * The external origin's readiness check when the swarm connects somewhere the URL's host name
 * does not say (`--resolve IP`, `swarm.resolve`) or needs extra headers (`--header`): the same
 * playlist check every origin uses, through an HTTP client whose every connection goes to the
 * resolve address. The URL is unchanged, so the Host header (with its port) and the TLS server
 * name stay the URL's, as ffmpeg's viewers send them; a master playlist's variant is reached
 * the same way.
 */

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** A dns.lookup stand-in that answers every name with `ip` (both callback forms net.connect uses). */
export function lookupTo(ip: string) {
  const address = ip.replace(/^\[|\]$/g, '');
  const family = isIP(address) === 6 ? 6 : 4;
  return (_hostname: string, options: LookupOptions, callback: LookupCallback) => {
    if (options?.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

/** Adds `headers` to every request of `dispatcher` (the readiness User-Agent stays unless overridden). */
function withHeaders(dispatcher: Dispatcher, headers: Record<string, string>): Dispatcher {
  const extra = Object.entries(headers);
  if (extra.length === 0) return dispatcher;
  return dispatcher.compose((dispatch) => (options, handler) => {
    const own = options.headers;
    const names = new Set(extra.map(([name]) => name.toLowerCase()));
    let merged: Record<string, string | string[] | undefined> = {};
    if (Array.isArray(own)) {
      for (let index = 0; index + 1 < own.length; index += 2)
        merged[String(own[index])] = own[index + 1] as string | string[];
    } else if (own && typeof own === 'object') {
      merged = { ...(own as Record<string, string | string[] | undefined>) };
    }
    for (const name of Object.keys(merged)) if (names.has(name.toLowerCase())) delete merged[name];
    return dispatch({ ...options, headers: { ...merged, ...Object.fromEntries(extra) } }, handler);
  });
}

class ResolvedPlaylistStrategy implements WaitStrategy {
  readonly description: string;
  logFile?: string;
  private readonly playlist: WaitStrategy;
  constructor(
    url: string,
    minSegments: number,
    private readonly resolve: string | undefined,
    private readonly headers: Record<string, string>,
  ) {
    this.playlist = waitForPlaylist(url, { minSegments });
    this.description = `${this.playlist.description}${resolve ? ` (connecting to ${resolve})` : ''}`;
  }
  withLog(path: string | undefined): this {
    if (path) this.logFile = path;
    return this;
  }
  async check(context: CheckContext): Promise<CheckResult> {
    // One client per attempt, closed after it, so no socket outlives the wait.
    const agent = new Agent({
      keepAliveTimeout: 1000,
      connections: 2,
      ...(this.resolve ? { connect: { lookup: lookupTo(this.resolve) } } : {}),
    });
    try {
      return await this.playlist.check({ ...context, dispatcher: withHeaders(agent, this.headers) });
    } finally {
      await agent.close().catch(() => {});
    }
  }
}

/**
 * Ready when the playlist answers 200 with at least `minSegments` segments, every connection
 * made to `resolve` (when given) and `headers` sent with each request.
 */
export function waitForResolvedPlaylist(
  url: string,
  options: { minSegments: number; resolve?: string; headers?: Record<string, string> },
): WaitStrategy {
  return new ResolvedPlaylistStrategy(url, options.minSegments, options.resolve, options.headers ?? {});
}
