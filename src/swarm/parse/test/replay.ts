import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { type ClientOutputEvent, ClientOutputParser, type ClientOutputParserOptions } from '../parser.js';

/** Test helper: reads fixtures/ffmpeg recordings (lines stamped "epochMs\tline" by stamp-lines.mjs). */
export function fixturePath(name: string): URL {
  return new URL(`../../../../fixtures/ffmpeg/${name}`, import.meta.url);
}

export function readFixture(name: string): string {
  const path = fixturePath(name);
  const raw = readFileSync(path);
  return (name.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
}

export interface StampedLine {
  atMs: number;
  line: string;
}

export function stampedLines(name: string): StampedLine[] {
  const lines: StampedLine[] = [];
  for (const row of readFixture(name).split('\n')) {
    const tab = row.indexOf('\t');
    if (tab === -1) continue;
    lines.push({ atMs: Number(row.slice(0, tab)), line: row.slice(tab + 1) });
  }
  return lines;
}

export interface Replay {
  events: ClientOutputEvent[];
  parser: ClientOutputParser;
  log: StampedLine[];
  progress: StampedLine[];
  endMs: number;
}

/**
 * Feeds a recording (`<name>.stderr` and `<name>.progress`) through a parser, as the runtime would.
 * With `pollLogMs`, the log reaches the parser as an untimed viewer's does: in batches, every
 * line written since the last poll stamped with the poll time (progress still line by line).
 */
export function replay(
  name: string,
  options: ClientOutputParserOptions = {},
  clientId = 0,
  pollLogMs?: number,
): Replay {
  const events: ClientOutputEvent[] = [];
  const parser = new ClientOutputParser(clientId, (event) => events.push(event), options);
  const log = stampedLines(`${name}.stderr`);
  const progress = stampedLines(`${name}.progress`);
  // Interleave both streams by arrival time, as they reach the runtime.
  let i = 0;
  let j = 0;
  while (i < log.length || j < progress.length) {
    const takeLog = j >= progress.length || (i < log.length && log[i]!.atMs <= progress[j]!.atMs);
    if (takeLog && pollLogMs !== undefined) {
      // Everything written up to the next poll comes at once, stamped with the poll time.
      const first = log[0]!.atMs;
      const pollMs = first + Math.ceil((log[i]!.atMs - first) / pollLogMs + 1e-9) * pollLogMs;
      let batch = '';
      while (i < log.length && log[i]!.atMs <= pollMs) batch += `${log[i++]!.line}\n`;
      while (j < progress.length && progress[j]!.atMs <= pollMs) {
        parser.progressChunk(`${progress[j]!.line}\n`, progress[j]!.atMs);
        j++;
      }
      parser.logChunk(batch, pollMs);
    } else if (takeLog) {
      parser.logChunk(`${log[i]!.line}\n`, log[i]!.atMs);
      i++;
    } else {
      parser.progressChunk(`${progress[j]!.line}\n`, progress[j]!.atMs);
      j++;
    }
  }
  const endMs = Math.max(log.at(-1)?.atMs ?? 0, progress.at(-1)?.atMs ?? 0);
  parser.end(endMs);
  return { events, parser, log, progress, endMs };
}

export function requestsOf(events: ClientOutputEvent[]) {
  return events.flatMap((event) => (event.type === 'request' ? [event.record] : []));
}

export function eventsOf<T extends ClientOutputEvent['type']>(events: ClientOutputEvent[], type: T) {
  return events.filter((event): event is Extract<ClientOutputEvent, { type: T }> => event.type === type);
}
