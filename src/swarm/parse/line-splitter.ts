import { StringDecoder } from 'node:string_decoder';

/**
 * Cuts one byte stream (a viewer's stderr, or its `-progress` fd) into lines, decoding UTF-8
 * across chunk boundaries. Memory is bounded: a line longer than `maxLineBytes` is dropped and
 * counted, and so is the rest of a line that never ends, up to its newline.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  /** The start of a line whose newline has not arrived yet. */
  private rest = '';
  /** Skipping the remainder of an over-long line until its newline. */
  private discarding = false;
  private droppedCount = 0;

  constructor(
    private readonly maxLineBytes: number,
    private readonly onLine: (line: string, atMs: number) => void,
  ) {}

  /** Lines dropped because they were longer than maxLineBytes. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** A chunk of the stream; every complete line goes to onLine stamped `atMs`. */
  write(chunk: Buffer | string, atMs: number): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let rest = this.rest;
    let discarding = this.discarding;
    let from = 0;
    for (;;) {
      const newline = text.indexOf('\n', from);
      if (newline === -1) break;
      if (discarding) {
        discarding = false;
      } else {
        const piece = text.slice(from, newline);
        const line = rest ? rest + piece : piece;
        if (line.length > this.maxLineBytes) this.droppedCount++;
        else this.onLine(line, atMs);
      }
      rest = '';
      from = newline + 1;
    }
    if (!discarding) {
      rest += text.slice(from);
      if (rest.length > this.maxLineBytes) {
        // Bounded buffer: a line that never ends is dropped, and so is what follows until its newline.
        this.droppedCount++;
        rest = '';
        discarding = true;
      }
    }
    this.rest = rest;
    this.discarding = discarding;
  }

  /** The stream ended: its last line if it had no newline (nothing when it was being dropped). */
  end(): string | undefined {
    const tail = this.rest + this.decoder.end();
    this.rest = '';
    return tail && !this.discarding ? tail : undefined;
  }
}
