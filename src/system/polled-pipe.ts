import { closeSync, constants, openSync, readSync } from 'node:fs';
import { execa } from 'execa';

/*
 * A named pipe (FIFO) read by polling instead of by the event loop.
 *
 * Why: a pipe that libuv watches wakes Node on every write, and a viewer at trace level writes
 * ~210 times a second (ffmpeg 5.1's stderr is unbuffered: three write(2)s per log line). Measured
 * side by side with 300 viewers (BENCHMARKS.md), such a viewer's ffmpeg costs 41 % more CPU than
 * a bare one writing to /dev/null, one writing into a FIFO read every second 6 % more. Node has
 * no API for an anonymous pipe it does not watch, so this uses a FIFO made by `mkfifo`
 * (coreutils), opened non-blocking.
 */

/** Creates FIFOs (mode 0600), in as few `mkfifo` runs as the argument list allows. */
export async function createFifos(paths: readonly string[], mkfifo = 'mkfifo'): Promise<void> {
  const chunk = 500;
  for (let index = 0; index < paths.length; index += chunk) {
    await execa(mkfifo, ['-m', '600', ...paths.slice(index, index + chunk)]);
  }
}

/** One shared read buffer: every chunk is handed on (and decoded) before the next read. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

export type DrainResult = 'open' | 'eof';

/**
 * The two ends of a FIFO for one child run: `writeFd` goes to the child's stdio, the parent
 * closes its copy right after spawning (`closeWriteEnd`) so that EOF means the child is gone.
 */
export class PolledPipe {
  private readFd: number;
  private writeFd: number;

  constructor(readonly path: string) {
    // Read end first and non-blocking: opening a FIFO's write end blocks until a reader exists.
    this.readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      this.writeFd = openSync(path, constants.O_WRONLY);
    } catch (error) {
      closeSync(this.readFd);
      throw error;
    }
  }

  /** The write end, for the child's stdio array. */
  get childFd(): number {
    return this.writeFd;
  }

  closeWriteEnd(): void {
    if (this.writeFd < 0) return;
    closeSync(this.writeFd);
    this.writeFd = -1;
  }

  /**
   * Reads everything buffered now. `onChunk` gets a view of a shared buffer, valid only during
   * the call. 'eof' once every writer has closed and nothing is left.
   */
  drain(onChunk: (chunk: Buffer) => void): DrainResult {
    if (this.readFd < 0) return 'eof';
    // An empty non-blocking pipe answers EAGAIN, which Node throws; without a stack trace the
    // throw costs ~5 µs instead of ~12 µs (measured, Node 20), and polls are mostly empty.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      for (;;) {
        let count: number;
        try {
          count = readSync(this.readFd, READ_BUFFER, 0, READ_BUFFER.length, null);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return 'open';
          throw error;
        }
        // 0 only once no writer is left (with one open, an empty pipe answers EAGAIN).
        if (count === 0) return 'eof';
        onChunk(READ_BUFFER.subarray(0, count));
        // A short read took all there was: skip the read that would only answer EAGAIN.
        if (count < READ_BUFFER.length) return 'open';
      }
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
  }

  close(): void {
    this.closeWriteEnd();
    if (this.readFd >= 0) closeSync(this.readFd);
    this.readFd = -1;
  }
}
