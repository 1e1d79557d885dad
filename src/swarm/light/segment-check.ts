/*
 * Optional packet-level validation of segments, streaming and without decoding: a byte counter
 * cannot tell a segment that parses from one that does not, and a light viewer keeps no body
 * to hand to a demuxer. What is checked:
 *  - MPEG-TS: a 0x47 sync byte at every 188-byte boundary, and a whole number of packets;
 *  - fMP4 / CMAF (init sections and media segments): a chain of box headers — 32-bit size
 *    (≥ 8, or 1 with a 64-bit size ≥ 16, or 0 for "to the end") and a four-character ASCII
 *    type — that ends exactly at the end of the body.
 * Which check applies: init sections are fMP4; otherwise by the URL's extension, and for
 * anything else by the first byte (0x47 → TS). Packed audio, WebVTT and unknown types are not
 * checked. Each validator holds a few bytes of state, never the body.
 */

export interface SegmentValidator {
  push(chunk: Uint8Array): void;
  /** Why the body is broken, or undefined when it is sound. Call once, after the last chunk. */
  end(): string | undefined;
}

const TS_PACKET_BYTES = 188;
const TS_SYNC_BYTE = 0x47;

export class TsValidator implements SegmentValidator {
  private offset = 0;
  private problem: string | undefined;

  push(chunk: Uint8Array): void {
    if (this.problem === undefined) {
      const remainder = this.offset % TS_PACKET_BYTES;
      for (
        let index = remainder === 0 ? 0 : TS_PACKET_BYTES - remainder;
        index < chunk.length;
        index += TS_PACKET_BYTES
      ) {
        const byte = chunk[index] as number;
        if (byte !== TS_SYNC_BYTE) {
          this.problem = `MPEG-TS sync byte missing at byte ${this.offset + index} (0x${byte.toString(16).padStart(2, '0')} instead of 0x47)`;
          break;
        }
      }
    }
    this.offset += chunk.length;
  }

  end(): string | undefined {
    if (this.problem !== undefined) return this.problem;
    if (this.offset === 0) return 'empty segment';
    const tail = this.offset % TS_PACKET_BYTES;
    if (tail !== 0) return `MPEG-TS ends mid-packet: ${tail} bytes past the last whole 188-byte packet`;
    return undefined;
  }
}

export class Fmp4Validator implements SegmentValidator {
  private offset = 0;
  /** Where the next box header starts; Infinity once a box runs to the end (size 0). */
  private nextBoxAt = 0;
  private readonly header = new Uint8Array(16);
  private headerBytes = 0;
  private problem: string | undefined;

  push(chunk: Uint8Array): void {
    const chunkStart = this.offset;
    this.offset += chunk.length;
    while (this.problem === undefined) {
      // The next header byte to gather (a header may span chunks); bytes before it are checked.
      const headerPosition = this.nextBoxAt + this.headerBytes;
      if (headerPosition >= this.offset) return;
      let index = headerPosition - chunkStart;
      const need = this.headerNeeded();
      while (this.headerBytes < need && index < chunk.length)
        this.header[this.headerBytes++] = chunk[index++] as number;
      if (this.headerBytes < need) return;
      if (need === 8 && this.sizeField() === 1) continue; // a 64-bit size follows: gather 16 bytes
      this.closeHeader();
    }
  }

  end(): string | undefined {
    if (this.problem !== undefined) return this.problem;
    if (this.offset === 0) return 'empty segment';
    if (this.nextBoxAt === Number.POSITIVE_INFINITY) return undefined;
    if (this.headerBytes > 0)
      return `fMP4 ends inside a box header at byte ${this.nextBoxAt} (${this.headerBytes} of ${this.headerNeeded()} bytes)`;
    if (this.nextBoxAt > this.offset)
      return `fMP4 box ends at byte ${this.nextBoxAt} but the body ends at byte ${this.offset} (truncated)`;
    return undefined;
  }

  private headerNeeded(): number {
    return this.headerBytes >= 8 && this.sizeField() === 1 ? 16 : 8;
  }

  private sizeField(): number {
    const h = this.header;
    return (
      ((h[0] as number) * 2 ** 24 + ((h[1] as number) << 16) + ((h[2] as number) << 8) + (h[3] as number)) >>>
      0
    );
  }

  private closeHeader(): void {
    const h = this.header;
    for (let index = 4; index < 8; index++) {
      const byte = h[index] as number;
      if (byte < 0x20 || byte > 0x7e) {
        this.problem = `fMP4 box at byte ${this.nextBoxAt} has a type that is not four ASCII characters`;
        return;
      }
    }
    const size32 = this.sizeField();
    let size: number;
    if (size32 === 1) {
      let large = 0;
      for (let index = 8; index < 16; index++) large = large * 256 + (h[index] as number);
      size = large;
      if (size < 16) {
        this.problem = `fMP4 box at byte ${this.nextBoxAt} declares a 64-bit size of ${size} (< 16)`;
        return;
      }
    } else if (size32 === 0) {
      size = Number.POSITIVE_INFINITY;
    } else {
      size = size32;
      if (size < 8) {
        this.problem = `fMP4 box at byte ${this.nextBoxAt} declares a size of ${size} (< 8)`;
        return;
      }
    }
    this.nextBoxAt += size;
    this.headerBytes = 0;
  }
}

const TS_EXTENSIONS = new Set(['ts', 'mts', 'm2ts']);
const FMP4_EXTENSIONS = new Set(['m4s', 'mp4', 'm4v', 'm4a', 'cmfv', 'cmfa', 'fmp4', 'm4i', 'mp4i']);

function extensionOf(url: string): string {
  const end = url.search(/[?#]/);
  const path = end === -1 ? url : url.slice(0, end);
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot === -1 ? '' : name.slice(dot + 1).toLowerCase();
}

/** A validator that decides TS or nothing on the first byte (an extension that says neither). */
class SniffingValidator implements SegmentValidator {
  private inner: SegmentValidator | undefined;
  private decided = false;

  push(chunk: Uint8Array): void {
    if (!this.decided && chunk.length > 0) {
      this.decided = true;
      if (chunk[0] === TS_SYNC_BYTE) this.inner = new TsValidator();
    }
    this.inner?.push(chunk);
  }

  end(): string | undefined {
    return this.inner?.end();
  }
}

/** The validator for a segment (`init`: an EXT-X-MAP section). */
export function segmentValidatorFor(url: string, init: boolean): SegmentValidator {
  if (init) return new Fmp4Validator();
  const extension = extensionOf(url);
  if (TS_EXTENSIONS.has(extension)) return new TsValidator();
  if (FMP4_EXTENSIONS.has(extension)) return new Fmp4Validator();
  return new SniffingValidator();
}
