import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { HlsSwarmError } from './errors.js';

/** A port we need is taken. The message names the port and, when `ss` shows it, the holder. */
export class PortInUseError extends HlsSwarmError {
  override readonly name = 'PortInUseError';
  readonly code = 'HLS_SWARM_PORT_IN_USE';
  constructor(
    readonly port: number,
    readonly host: string,
    readonly holder: string | undefined,
    readonly purpose: string,
  ) {
    super(
      `Port ${host}:${port} (${purpose}) is already in use${holder ? ` by ${holder}` : ''}. ` +
        'Stop that process, choose another port in the scenario, or use port 0 to pick a free one.',
    );
  }
}

/** Who listens on a TCP port, as `ss -ltnp` tells it (e.g. 'nginx (pid 1234)'); undefined if unknown. */
export function describePortHolder(port: number): string | undefined {
  try {
    const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8', timeout: 2000 });
    const match = /users:\(\("([^"]+)",pid=(\d+)/.exec(out);
    if (match) return `${match[1]} (pid ${match[2]})`;
    return out.trim() ? 'another process' : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves when `host:port` can be bound right now; otherwise rejects with PortInUseError. */
export function assertPortFree(port: number, purpose: string, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') {
        reject(new PortInUseError(port, host, describePortHolder(port), purpose));
      } else reject(error);
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve()));
  });
}

/** A port that was free a moment ago (the OS picks it). */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** `port` itself after checking it is free, or a free port when `port` is 0. */
export async function claimPort(port: number, purpose: string, host = '127.0.0.1'): Promise<number> {
  if (port === 0) return findFreePort(host);
  await assertPortFree(port, purpose, host);
  return port;
}

/**
 * Claims several ports in order (each checked free, 0 → a free one), making sure 0 never
 * hands out a port already given earlier in the same call.
 */
export async function claimPorts(
  requests: ReadonlyArray<readonly [port: number, purpose: string]>,
  host = '127.0.0.1',
): Promise<number[]> {
  const claimed: number[] = [];
  for (const [port, purpose] of requests) {
    let got = await claimPort(port, purpose, host);
    for (let attempt = 0; port === 0 && claimed.includes(got) && attempt < 20; attempt++) {
      got = await claimPort(0, purpose, host);
    }
    claimed.push(got);
  }
  return claimed;
}

/** True when something accepts TCP connections on host:port. */
export function isPortListening(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    import('node:net').then(({ connect }) => {
      const socket = connect({ port, host });
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(timeoutMs, () => done(false));
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    });
  });
}
