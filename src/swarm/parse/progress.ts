import type { ProgressEvent } from './events.js';

/**
 * Reads ffmpeg's `-progress` stream: `key=value` lines, each block closed by
 * `progress=continue` (every 0.5 s) or `progress=end`. `out_time_us` (or `out_time_ms`, which
 * also holds microseconds) is the media time written so far; `speed=` is padded and cumulative.
 */
export class ProgressBlockParser {
  private fields: Record<string, string> = {};

  /** One line; returns the block's event when the line closes a block. */
  line(line: string, atMs: number): ProgressEvent | undefined {
    if (line === '') return undefined;
    const eq = line.indexOf('=');
    if (eq <= 0) return undefined;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key !== 'progress') {
      this.fields[key] = value;
      return undefined;
    }
    const fields = this.fields;
    this.fields = {};
    const outTimeUs = toNumber(fields.out_time_us) ?? toNumber(fields.out_time_ms);
    const event: ProgressEvent = {
      type: 'progress',
      atMs,
      outTimeUs: outTimeUs ?? 0,
      end: value === 'end',
    };
    const speed = toNumber(fields.speed?.replace(/x$/, ''));
    if (speed !== undefined) event.speed = speed;
    const totalSize = toNumber(fields.total_size);
    if (totalSize !== undefined) event.totalSize = totalSize;
    const frame = toNumber(fields.frame);
    if (frame !== undefined) event.frame = frame;
    return event;
  }
}

function toNumber(text: string | undefined): number | undefined {
  if (text === undefined || text === '' || text === 'N/A') return undefined;
  const value = Number(text.trim());
  return Number.isFinite(value) ? value : undefined;
}
