import { closeSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/**
 * An append-only log file that never grows past `maxBytes`: when full it is rotated to
 * `<path>.1` (one previous generation kept), so a long soak cannot fill the disk.
 * Writes are synchronous so that the tail is on disk when a process dies.
 */
export class BoundedLogFile {
  private fd: number;
  private size: number;

  constructor(
    readonly path: string,
    readonly maxBytes = 8 * 1024 * 1024,
  ) {
    this.fd = openSync(path, 'a');
    this.size = statSync(path).size;
  }

  write(text: string | Uint8Array): void {
    if (this.fd < 0) return;
    const data = typeof text === 'string' ? Buffer.from(text) : text;
    if (this.size + data.length > this.maxBytes) this.rotate();
    writeSync(this.fd, data);
    this.size += data.length;
  }

  private rotate(): void {
    closeSync(this.fd);
    renameSync(this.path, `${this.path}.1`);
    this.fd = openSync(this.path, 'a');
    this.size = 0;
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/** The last `lines` lines of a log file (empty string if it does not exist). */
export async function tailFile(path: string, lines = 20): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    return text.split('\n').filter(Boolean).slice(-lines).join('\n');
  } catch {
    return '';
  }
}
