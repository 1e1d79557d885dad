import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BoundedLogFile } from '../../system/index.js';
import type { ClientParser } from './client.js';
import { LOG_FILE_MAX_BYTES } from './handle.js';

/*
 * Viewers' stderr kept per client in a bounded file (client-<id>.log, 1 MiB + one rotation)
 * when the swarm has a `logDir`: off by default, since at trace level a large swarm writes
 * tens of MB/s. One file per viewer id, shared by its restarts.
 */
export class ClientLogFiles {
  private readonly files = new Map<number, BoundedLogFile>();

  constructor(private readonly dir: string | undefined) {}

  /** `parser`, with every stderr chunk also written to the viewer's file (as is, without a dir). */
  tee(clientId: number, parser: ClientParser): ClientParser {
    const dir = this.dir;
    if (!dir) return parser;
    let file = this.files.get(clientId);
    if (!file) {
      mkdirSync(dir, { recursive: true });
      file = new BoundedLogFile(join(dir, `client-${clientId}.log`), LOG_FILE_MAX_BYTES);
      this.files.set(clientId, file);
    }
    const log = file;
    return {
      logChunk: (chunk, atMs) => {
        log.write(chunk);
        parser.logChunk(chunk, atMs);
      },
      progressChunk: (chunk, atMs) => parser.progressChunk(chunk, atMs),
      end: (atMs) => parser.end(atMs),
      get droppedLines() {
        return parser.droppedLines;
      },
    };
  }

  close(): void {
    for (const file of this.files.values()) file.close();
  }
}
