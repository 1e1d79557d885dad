import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { SwarmStartError } from './errors.js';

/*
 * One GET of the stream URL before any viewer starts, so that an unreachable origin or a 404
 * is one clear error instead of N ffmpeg processes failing and restarting forever.
 */

export interface ProbeOptions {
  timeoutMs: number;
  headers?: Record<string, string>;
  /** Connect to this address instead of the URL's host (keeps the Host header). */
  resolve?: string;
}

export interface ProbeResult {
  status: number;
  bytes: number;
  isPlaylist: boolean;
}

/** True for 127.0.0.0/8, ::1 and 'localhost' (with or without the brackets of a URL). */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || /^::ffff:127\./.test(host);
}

/** Refuses a URL whose host (or `resolve` address) is not loopback unless the user allowed remote hosts. */
export function assertLoopbackTarget(
  url: string,
  allowRemote: boolean,
  resolve?: string,
  flag = '--allow-remote',
): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SwarmStartError(
      `Not a URL: ${JSON.stringify(url)}. Give the stream's http:// URL, e.g. http://127.0.0.1:17080/stream.m3u8`,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new SwarmStartError(
      `Unsupported URL scheme '${parsed.protocol}' in ${url}: expected http:// or https://`,
    );
  }
  const target = resolve ?? parsed.hostname;
  if (!allowRemote && !isLoopbackHost(target)) {
    throw new SwarmStartError(
      `Refusing to load ${target}: it is not a loopback address, and a swarm can overload a real server. ` +
        `If you mean to load it, pass ${flag} (and make sure you may).`,
      { url },
    );
  }
}

export function probeStreamUrl(url: string, options: ProbeOptions): Promise<ProbeResult> {
  const parsed = new URL(url);
  const request = parsed.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers: Record<string, string> = { 'user-agent': 'hls-swarm/probe', ...options.headers };
  if (options.resolve) headers.host = parsed.host;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        protocol: parsed.protocol,
        hostname: options.resolve ?? parsed.hostname,
        port: parsed.port || undefined,
        path: `${parsed.pathname}${parsed.search}`,
        method: 'GET',
        headers,
        servername: parsed.hostname,
        timeout: options.timeoutMs,
      },
      (response) => {
        let bytes = 0;
        let head = '';
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (head.length < 16) head += chunk.toString('utf8', 0, Math.min(chunk.length, 16));
        });
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (status < 200 || status >= 300) {
            reject(
              new SwarmStartError(
                `The stream URL ${url} answered HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}. ` +
                  'Check the path of the playlist (and that the origin is serving the stream).',
                { url, status },
              ),
            );
            return;
          }
          resolve({ status, bytes, isPlaylist: head.startsWith('#EXTM3U') });
        });
        response.on('error', (error) => reject(error));
      },
    );
    req.on('timeout', () => {
      req.destroy(
        new SwarmStartError(
          `The stream URL ${url} did not answer within ${options.timeoutMs} ms. Is the origin running and reachable?`,
          { url },
        ),
      );
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error instanceof SwarmStartError) {
        reject(error);
        return;
      }
      const what =
        error.code === 'ECONNREFUSED'
          ? 'connection refused (nothing listens there)'
          : error.code === 'ENOTFOUND'
            ? 'host name not found'
            : `${error.code ?? 'error'}: ${error.message}`;
      reject(
        new SwarmStartError(
          `Cannot reach the stream URL ${url}: ${what}. Is the origin running? Check the host and port.`,
          {
            url,
            code: error.code,
          },
        ),
      );
    });
    req.end();
  });
}
