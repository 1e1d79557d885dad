import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from './line-splitter.js';
import { ClientOutputParser } from './parser.js';
import { PendingStarts } from './pending-starts.js';
import { emptyLinePrefix, readLinePrefix } from './prefix.js';
import { ProgressBlockParser } from './progress.js';
import { fixturePath, replay, stampedLines } from './test/replay.js';

/* The parser's parts, each fed recorded ffmpeg output (fixtures/ffmpeg, fixtures/record/ffmpeg-logs.sh). */

const name = 'python-healthy-trace';
const recorded = stampedLines(`${name}.stderr`);
const text = recorded.map(({ line }) => `${line}\n`).join('');

describe('LineSplitter', () => {
  it('gives back the recorded lines whatever the chunking, and the unterminated last one at the end', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter(16 * 1024, (line) => lines.push(line));
    const bytes = Buffer.from(`${text}tail without newline ✓`, 'utf8');
    for (let offset = 0, size = 1; offset < bytes.length; offset += size, size = (size * 7 + 3) % 997) {
      splitter.write(bytes.subarray(offset, offset + size), 1);
    }
    expect(lines).toEqual(recorded.map(({ line }) => line));
    expect(splitter.end()).toBe('tail without newline ✓');
    expect(splitter.dropped).toBe(0);
  });

  it('drops a line over the bound and the rest of it up to its newline', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter(100, (line) => lines.push(line));
    splitter.write('x'.repeat(80), 1);
    splitter.write('x'.repeat(80), 1);
    splitter.write('still the long line\nnext\n', 1);
    expect(lines).toEqual(['next']);
    expect(splitter.dropped).toBe(1);
  });
});

describe('readLinePrefix', () => {
  const read = (line: string) => ({ ...readLinePrefix(line, 5, emptyLinePrefix()) });

  it('reads every recorded line: demuxer lines on their prefix, others to tag, context and message', () => {
    const forms = new Map<string, number>();
    for (const { line } of recorded) {
      const prefix = read(line);
      forms.set(prefix.form, (forms.get(prefix.form) ?? 0) + 1);
      if (prefix.form === 'demuxer') expect(line.startsWith('[mpegts @ ')).toBe(true);
      if (prefix.form === 'tagged' && prefix.tag !== '')
        expect(line).toContain(`[${prefix.tag} @ ${prefix.ctx}]`);
      if (prefix.form === 'tagged') expect(line.endsWith(prefix.message)).toBe(true);
    }
    expect(forms.get('demuxer')).toBeGreaterThan(100);
    expect(forms.get('tagged')).toBeGreaterThan(100);
    expect(forms.get('unreadable')).toBeUndefined();
  });

  it('splits a recorded request line, and a global line (no context: its level)', () => {
    // ffmpeg ends a request line with CR LF; the parser strips the CR before reading the prefix.
    const requestLine = recorded
      .find(({ line }) => line.includes('] request: GET '))!
      .line.replace(/\r$/, '');
    expect(read(requestLine)).toMatchObject({ form: 'tagged', tag: 'http', atMs: 5 });
    expect(read(requestLine).message).toMatch(/^request: GET \/\S+ HTTP\/1\.1$/);
    const global = recorded.find(({ line }) => line.startsWith('[debug] '))!.line;
    expect(read(global)).toMatchObject({ form: 'tagged', tag: '', ctx: '', level: 'debug' });
    expect(read('Host: 127.0.0.1:1').form).toBe('continuation');
  });

  it('takes the time from a datetime stamp (local time) and reads the rest as usual', () => {
    const prefix = read('2024-05-01 12:00:00.123 [mpegts @ 0x1] [trace] pid=256 stream_id=224');
    expect(prefix.form).toBe('demuxer');
    expect(prefix.atMs).toBe(new Date(2024, 4, 1, 12, 0, 0, 123).getTime());
    expect(prefix.line.startsWith('[mpegts ')).toBe(true);
  });
});

describe('ProgressBlockParser', () => {
  it('gives one event per recorded block, the last one the end', () => {
    const progress = new ProgressBlockParser();
    const events = stampedLines(`${name}.progress`).flatMap(({ line, atMs }) => {
      const event = progress.line(line.trim(), atMs);
      return event ? [event] : [];
    });
    const blocks = stampedLines(`${name}.progress`).filter(({ line }) => line.startsWith('progress='));
    expect(events).toHaveLength(blocks.length);
    expect(events.at(-1)!.end).toBe(true);
    expect(events.filter((event) => event.end)).toHaveLength(1);
    expect(events.at(-1)!.outTimeUs).toBeGreaterThan(8_000_000);
  });
});

describe('PendingStarts', () => {
  it('matches a request line to the URL named before it, consuming the older ones', () => {
    const starts = new PendingStarts();
    starts.add({ url: 'http://h/stream.m3u8', atMs: 1 });
    starts.add({ url: 'http://h/seg1.ts', atMs: 2, playlist: 0 });
    // The Opening line for the same URL right after the HLS request line keeps the first stamp.
    starts.add({ url: 'http://h/seg1.ts', atMs: 3 });
    expect(starts.latest()).toEqual({ url: 'http://h/seg1.ts', atMs: 2, playlist: 0 });
    expect(starts.latestOfKind('manifest')?.url).toBe('http://h/stream.m3u8');
    expect(starts.take('/seg1.ts', 4)).toEqual({ url: 'http://h/seg1.ts', atMs: 2, playlist: 0 });
    expect(starts.latest()).toBeUndefined();
    expect(starts.take('/seg1.ts', 5)).toBeUndefined();
  });
});

describe('ClientOutputParser swallows no exception', () => {
  // A line whose handling throws is skipped and counted; on real recordings that would be a bug.
  const recordings = readdirSync(fileURLToPath(fixturePath(''))).flatMap((file) =>
    file.endsWith('.stderr') ? [file.slice(0, -'.stderr'.length)] : [],
  );

  it.each(recordings)('%s: at every level and timing, 0 swallowed', (recording) => {
    expect(replay(recording).parser.swallowedErrors).toBe(0);
    expect(replay(recording, { logLevel: 'debug' }).parser.swallowedErrors).toBe(0);
    expect(replay(recording, { logLevel: 'verbose' }).parser.swallowedErrors).toBe(0);
    expect(replay(recording, { timed: false }, 0, 1000).parser.swallowedErrors).toBe(0);
  });

  it('reads every recording', () => {
    expect(recordings.length).toBeGreaterThanOrEqual(10);
  });

  it('counts a line whose handling threw instead of stopping (here: a listener that throws)', () => {
    let requests = 0;
    let progress = 0;
    const parser = new ClientOutputParser(0, (event) => {
      if (event.type === 'progress') progress++;
      if (event.type === 'request' && ++requests <= 2) throw new Error('listener failed');
    });
    parser.logChunk(text, 1000);
    parser.progressChunk('out_time_us=1\nprogress=continue\n', 1000);
    parser.end(2000);
    expect(parser.swallowedErrors).toBe(2);
    expect(requests).toBeGreaterThan(10);
    expect(progress).toBe(1);
  });
});
