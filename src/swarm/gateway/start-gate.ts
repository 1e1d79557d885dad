import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { describePortHolder, PortInUseError } from '../../system/index.js';

/*
 * The start gate: a loopback HTTP endpoint every pre-started viewer asks for its first
 * playlist. The gate holds that request until the viewer's planned start, then answers `302`
 * to the real URL. ffmpeg 5.1's HLS demuxer follows the redirect and uses the new location for
 * every later request (relative segment URIs and live reloads), so no media byte and no
 * reload passes through Node (DESIGN.md, "Redirects").
 *
 * Why a raw TCP server and not node:http: a held viewer waits for response headers under its
 * `-rw_timeout` (15 s by default), and holds can be longer than that. Each read that returns
 * data restarts ffmpeg's wait, so the gate sends the status line at once and then one harmless
 * header line every `trickleIntervalMs`; node:http writes a response head in one piece.
 */

export interface StartGateOptions {
  /** 0 picks a free port. */
  port: number;
  /** Bound well below the viewers' -rw_timeout. */
  trickleIntervalMs: number;
  now?: () => number;
}

export interface GateArrival {
  clientId: number;
  atMs: number;
}

export interface GateRelease {
  clientId: number;
  /** When the plan wanted the viewer to start (epoch ms). */
  plannedAtMs: number;
  /** When the viewer's first request reached the gate. */
  arrivedAtMs: number;
  releasedAtMs: number;
  /** releasedAtMs − plannedAtMs, never negative. */
  latenessSeconds: number;
}

interface GateEventMap {
  arrived: [GateArrival];
  released: [GateRelease];
}

interface HeldViewer {
  socket: Socket;
  arrivedAtMs: number;
  trickle: NodeJS.Timeout;
}

/** Longest request head the gate reads (ffmpeg's is ~300 bytes plus the user's headers). */
const MAX_REQUEST_HEAD_BYTES = 16 * 1024;
const GATE_PATH_RE = /^\/v\/(\d+)\//;

export class StartGate extends EventEmitter<GateEventMap> {
  private readonly held = new Map<number, HeldViewer>();
  /** Viewers whose start is due, by client id: where to send them and when they were planned. */
  private readonly due = new Map<number, { location: string; plannedAtMs: number }>();
  private readonly released = new Set<number>();
  private readonly sockets = new Set<Socket>();
  private readonly now: () => number;
  private closed = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly trickleIntervalMs: number,
    now: () => number,
  ) {
    super();
    this.now = now;
    server.on('connection', (socket) => this.onConnection(socket));
  }

  /** Listens on 127.0.0.1; a busy port is a PortInUseError naming it. */
  static async start(options: StartGateOptions): Promise<StartGate> {
    const server = createServer({ noDelay: true });
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'EADDRINUSE' || error.code === 'EACCES') {
          const holder = describePortHolder(options.port);
          reject(
            new PortInUseError(options.port, '127.0.0.1', holder, 'swarm start gate, swarm.startGate.port'),
          );
        } else reject(error);
      });
      server.listen(options.port, '127.0.0.1', () => {
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : options.port);
      });
    });
    return new StartGate(server, port, options.trickleIntervalMs, options.now ?? Date.now);
  }

  /** The URL viewer `clientId` opens first: the gate, with the target's path and query for readability. */
  urlFor(clientId: number, targetUrl: string): string {
    const target = new URL(targetUrl);
    return `http://127.0.0.1:${this.port}/v/${clientId}${target.pathname}${target.search}`;
  }

  /** Viewers whose first request is being held now. */
  get heldCount(): number {
    return this.held.size;
  }

  isHeld(clientId: number): boolean {
    return this.held.has(clientId);
  }

  isReleased(clientId: number): boolean {
    return this.released.has(clientId);
  }

  /**
   * From now on, `clientId` goes to `location`: at once if it is held, else as soon as its
   * request arrives (then it is late).
   */
  release(clientId: number, location: string, plannedAtMs: number): void {
    if (this.released.has(clientId)) return;
    this.due.set(clientId, { location, plannedAtMs });
    if (this.held.has(clientId)) this.answer(clientId);
  }

  private onConnection(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.forgetSocket(socket);
    });
    socket.on('error', () => {});
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_REQUEST_HEAD_BYTES)
          socket.end('HTTP/1.1 431 Request Header Fields Too Large\r\n\r\n');
        return;
      }
      socket.off('data', onData);
      this.onRequest(socket, head.slice(0, end));
    };
    socket.on('data', onData);
  }

  private onRequest(socket: Socket, head: string): void {
    const [method, target] = (head.split('\r\n', 1)[0] ?? '').split(' ');
    const match = target ? GATE_PATH_RE.exec(target) : null;
    const clientId = match ? Number(match[1]) : Number.NaN;
    if (method !== 'GET' || !Number.isSafeInteger(clientId) || this.held.has(clientId)) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const arrivedAtMs = this.now();
    socket.write('HTTP/1.1 302 Found\r\n');
    const trickle = setInterval(() => socket.write('X-Hls-Swarm-Held: 1\r\n'), this.trickleIntervalMs);
    this.held.set(clientId, { socket, arrivedAtMs, trickle });
    this.emit('arrived', { clientId, atMs: arrivedAtMs });
    if (this.due.has(clientId)) this.answer(clientId);
  }

  private answer(clientId: number): void {
    const held = this.held.get(clientId);
    const due = this.due.get(clientId);
    if (!held || !due) return;
    clearInterval(held.trickle);
    this.held.delete(clientId);
    this.due.delete(clientId);
    this.released.add(clientId);
    held.socket.end(`Location: ${due.location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    const releasedAtMs = this.now();
    this.emit('released', {
      clientId,
      plannedAtMs: due.plannedAtMs,
      arrivedAtMs: held.arrivedAtMs,
      releasedAtMs,
      latenessSeconds: Math.max(0, releasedAtMs - due.plannedAtMs) / 1000,
    });
  }

  /** A held viewer that went away (died, restarted) is held again when it comes back. */
  private forgetSocket(socket: Socket): void {
    for (const [clientId, held] of this.held) {
      if (held.socket !== socket) continue;
      clearInterval(held.trickle);
      this.held.delete(clientId);
      return;
    }
  }

  /** Stops listening and drops every held request. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const held of this.held.values()) clearInterval(held.trickle);
    this.held.clear();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
