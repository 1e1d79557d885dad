import { describe, expect, it } from 'vitest';
import { PlaybackTracker } from '../stats/index.js';
import type { RequestRecord } from '../types.js';
import { type ClientOutputEvent, ClientOutputParser, classifyRequestUrl } from './index.js';
import { eventsOf, readFixture, replay, requestsOf, stampedLines } from './test/replay.js';

/** Values of a `[…] Statistics: N bytes read` line: what a closed connection really read (independent of our parse). */
function statisticsBytes(name: string): number[] {
  return stampedLines(`${name}.stderr`).flatMap(({ line }) => {
    const match = /Statistics: (\d+) bytes read/.exec(line);
    return match ? [Number(match[1])] : [];
  });
}

function countLines(name: string, pattern: RegExp): number {
  return stampedLines(`${name}.stderr`).filter(({ line }) => pattern.test(line)).length;
}

const pathOf = (url: string) => new URL(url).pathname;
const withoutTimes = (records: RequestRecord[]) =>
  records.map(({ kind, url, status, bytes, ok, error }) => ({ kind, url, status, bytes, ok, error }));

describe('classifyRequestUrl', () => {
  it.each([
    ['http://h/live/stream.m3u8', 'manifest'],
    ['http://h/live/stream.m3u8?token=1&x=y', 'manifest'],
    ['/master.M3U8', 'manifest'],
    ['http://h/seg00001.ts', 'segment'],
    ['http://h/seg00001.ts?ts=1.m3u8', 'segment'],
    ['http://h/v1/chunk_5.m4s', 'segment'],
    ['http://h/audio/aac_1.aac', 'segment'],
    ['http://h/fmp4/seg_3.mp4', 'segment'],
    ['http://h/fmp4/init.mp4', 'init'],
    ['http://h/fmp4/video_init.m4s#x', 'init'],
    ['http://h/fmp4/init_0.mp4', 'init'],
    ['http://h/fmp4/initial-segment.ts', 'segment'],
    ['http://h/key.bin', 'other'],
    ['http://h/', 'other'],
  ] as const)('%s → %s', (url, kind) => {
    expect(classifyRequestUrl(url)).toBe(kind);
  });

  it('treats a known EXT-X-MAP URI as init whatever its name', () => {
    expect(classifyRequestUrl('http://h/header.mp4', new Set(['http://h/header.mp4']))).toBe('init');
  });
});

describe('ClientOutputParser over a healthy live stream (python http.server, trace)', () => {
  const name = 'python-healthy-trace';
  const { events, parser } = replay(name);
  const records = requestsOf(events);
  const manifests = records.filter((r) => r.kind === 'manifest');
  const segments = records.filter((r) => r.kind === 'segment');

  it('sees every response: one record per http_code= line (but those cut by the stop), classified by URL', () => {
    expect(records.length + parser.cutAtEnd).toBe(countLines(name, /\] http_code=/));
    expect(parser.cutAtEnd).toBeLessThanOrEqual(1);
    expect(manifests.length).toBeGreaterThanOrEqual(5);
    expect(segments.length).toBeGreaterThanOrEqual(5);
    expect(records.every((r) => r.ok && r.status === 200 && r.clientId === 0)).toBe(true);
    expect(manifests.every((r) => /^http:\/\/127\.0\.0\.1:\d+\/stream\.m3u8$/.test(r.url))).toBe(true);
    expect(segments.every((r) => /^http:\/\/127\.0\.0\.1:\d+\/seg\d+\.ts$/.test(r.url))).toBe(true);
    expect(records.filter((r) => r.kind === 'init' || r.kind === 'other')).toHaveLength(0);
  });

  it('bytes per request equal what each closed connection read (AVIOContext Statistics)', () => {
    const closed = statisticsBytes(name);
    // python closes every connection once it is read (ffmpeg logs what it read then). The one
    // request the stop cut after its answer (flagged) has the announced length instead.
    const cut = records.filter((r) => r.cutByStop);
    expect(cut.length).toBeLessThanOrEqual(1);
    for (const record of records) if (!record.cutByStop) expect(closed).toContain(record.bytes);
    const segmentBytes = segments.map((r) => r.bytes!);
    expect(segmentBytes.every((bytes) => bytes > 50_000)).toBe(true);
  });

  it('times each request: 0 <= ttfb <= duration, segments fetched one after another', () => {
    for (const record of records) {
      expect(record.ttfbSeconds).toBeGreaterThanOrEqual(0);
      // Cut by the stop before its body was read: when the last byte came is unknown.
      if (record.cutByStop) {
        expect(record.durationSeconds).toBeUndefined();
        continue;
      }
      expect(record.durationSeconds).toBeGreaterThanOrEqual(record.ttfbSeconds!);
      // Loopback: nothing takes a segment's length to download.
      expect(record.durationSeconds).toBeLessThan(2);
    }
    // In segment order, requests start one after another (records may be emitted out of order:
    // a finished one waits for its connection's next answer).
    const inOrder = [...segments].sort((a, b) => pathOf(a.url).localeCompare(pathOf(b.url)));
    const starts = inOrder.map((r) => r.startMs);
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
    const names = segments.map((r) => pathOf(r.url));
    expect(new Set(names).size).toBe(names.length);
  });

  it('reads progress blocks (fd 3) and media sequence changes', () => {
    const progress = eventsOf(events, 'progress');
    expect(progress).toHaveLength(readFixture(`${name}.progress`).match(/\tprogress=/g)!.length);
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]!.outTimeUs).toBeGreaterThanOrEqual(progress[i - 1]!.outTimeUs);
    }
    expect(progress.at(-1)!.end).toBe(true);
    expect(progress.at(-1)!.outTimeUs).toBeGreaterThan(8_000_000);
    expect(progress.some((p) => p.speed !== undefined)).toBe(true);
    const sequence = eventsOf(events, 'media_sequence');
    expect(sequence.length).toBeGreaterThanOrEqual(3);
    expect(sequence.every((s) => s.to > s.from)).toBe(true);
  });

  it('has no errors, no open requests left and no dropped lines', () => {
    const kinds = new Set(events.map((e) => e.type));
    expect([...kinds].sort()).toEqual(['media_sequence', 'progress', 'request']);
    expect(parser.openRequests).toBe(0);
    expect(parser.droppedLines).toBe(0);
    expect(parser.lines).toBe(stampedLines(`${name}.stderr`).length);
  });
});

describe('ClientOutputParser over nginx (keep-alive, 206 answers)', () => {
  const name = 'nginx-healthy-trace';
  const { events, parser } = replay(name);
  const records = requestsOf(events);
  const access = readFixture('nginx-healthy-access.jsonl')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { request: string; status: number; body_bytes_sent: number });

  it('counts the same requests, statuses and bytes as nginx’s access log', () => {
    expect(records.every((r) => r.status === 206 && r.ok)).toBe(true);
    const theirs = access.map((a) => `${a.request.split(' ')[1]} ${a.status} ${a.body_bytes_sent}`);
    // Every request we count is in nginx's log with the same status and bytes…
    for (const record of records) {
      const key = `${pathOf(record.url)} ${record.status} ${record.bytes}`;
      expect(theirs, key).toContain(key);
      theirs.splice(theirs.indexOf(key), 1);
    }
    // …and nginx has only the ones the stop cut (ffmpeg had not read them when SIGTERM came).
    expect(theirs).toHaveLength(parser.cutAtEnd);
    expect(records.filter((r) => r.kind === 'segment').length).toBeGreaterThanOrEqual(5);
  });

  it('keeps the URL of requests reusing a connection (no Opening line for them)', () => {
    expect(records.every((r) => r.url.startsWith('http://127.0.0.1:'))).toBe(true);
    expect(countLines(name, /request: GET/)).toBe(records.length + parser.cutAtEnd);
  });
});

describe('ClientOutputParser over failures', () => {
  it('404 playlist: a failed manifest request, an http_error and the fatal error', () => {
    const { events } = replay('python-404-trace');
    const records = requestsOf(events);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ kind: 'manifest', status: 404, ok: false, error: 'http' });
    expect(records[0]!.url).toMatch(/\/missing\.m3u8$/);
    expect(eventsOf(events, 'http_error')).toEqual([
      expect.objectContaining({ status: 404, url: records[0]!.url }),
    ]);
    expect(eventsOf(events, 'fatal')[0]!.message).toMatch(/404 Not Found/);
    expect(eventsOf(events, 'progress')).toHaveLength(0);
  });

  it('origin down then killed: reconnects, failed connects and failed playlist reloads', () => {
    const name = 'python-origin-killed-trace';
    const { events } = replay(name);
    const records = requestsOf(events);
    const reconnects = eventsOf(events, 'reconnect');
    expect(reconnects).toHaveLength(countLines(name, /Will reconnect at/));
    expect(reconnects.length).toBeGreaterThanOrEqual(2);
    expect(reconnects.every((r) => r.url?.endsWith('/stream.m3u8'))).toBe(true);
    const refused = countLines(name, /\[error\] Connection to tcp:\/\/.* failed/);
    expect(eventsOf(events, 'connect_failed')).toHaveLength(refused);
    expect(records.filter((r) => r.error === 'connect')).toHaveLength(refused);
    expect(records.filter((r) => r.error === 'connect').every((r) => r.status === undefined && !r.ok)).toBe(
      true,
    );
    const reloadFailures = eventsOf(events, 'playlist_reload_failed');
    expect(reloadFailures).toHaveLength(countLines(name, /Failed to reload playlist/));
    expect(reloadFailures.every((r) => r.url?.endsWith('/stream.m3u8'))).toBe(true);
    // Between the outages it played.
    expect(
      records.filter((r) => r.kind === 'segment' && r.ok && r.status === 200).length,
    ).toBeGreaterThanOrEqual(3);
  });

  it('a frozen viewer falls out of the playlist window: segments skipped as expired, a stalled window', () => {
    const name = 'python-frozen-viewer-trace';
    const { events } = replay(name);
    const skipped = eventsOf(events, 'segment_skipped_expired');
    expect(skipped.length).toBeGreaterThanOrEqual(1);
    expect(skipped.reduce((sum, s) => sum + s.count, 0)).toBeGreaterThanOrEqual(1);
    const jumps = eventsOf(events, 'media_sequence').filter((s) => s.to - s.from > 1);
    expect(jumps.length).toBeGreaterThanOrEqual(1);

    const progress = eventsOf(events, 'progress');
    const tracker = new PlaybackTracker(0, { windowMs: 10_000 });
    tracker.start(stampedLines(`${name}.stderr`)[0]!.atMs);
    const samples = progress.flatMap((p) => tracker.progress(p.atMs, p.outTimeUs) ?? []);
    expect(samples.some((s) => s.stalled)).toBe(true);
    expect(samples.some((s) => !s.stalled)).toBe(true);
  });
});

describe('ClientOutputParser over a faulty origin (404 segments, bodies stopping halfway)', () => {
  const name = 'python-faulty-origin-trace';
  const { events } = replay(name);
  const records = requestsOf(events);
  const number = (r: RequestRecord) => Number(/seg(\d+)\.ts/.exec(r.url)?.[1]);

  it('records every 404 segment answer and the segments ffmpeg gave up on', () => {
    const notFound = records.filter((r) => r.kind === 'segment' && r.status === 404);
    expect(notFound.length).toBe(countLines(name, /\] http_code=404/));
    expect(notFound.every((r) => !r.ok && r.error === 'http' && number(r) % 6 === 2)).toBe(true);
    expect(eventsOf(events, 'http_error').filter((e) => e.status === 404)).toHaveLength(notFound.length);
    const failed = eventsOf(events, 'segment_failed');
    expect(failed).toHaveLength(countLines(name, /Failed to open segment/));
    expect(failed.length).toBeGreaterThanOrEqual(1);
  });

  it('marks a body the origin stopped sending as timed out, with the bytes really read when known', () => {
    const halves = records.filter((r) => r.kind === 'segment' && r.status === 200 && number(r) % 6 === 4);
    expect(halves.length).toBeGreaterThanOrEqual(1);
    const keepaliveTimeouts = countLines(name, /keepalive request failed .*timed out/);
    expect(keepaliveTimeouts).toBeGreaterThanOrEqual(1);
    // Each stall that ffmpeg noticed through the reused connection marks the stalled response.
    const markedTimeout = halves.filter((r) => !r.ok && r.error === 'timeout');
    expect(markedTimeout.length).toBeGreaterThanOrEqual(1);
    expect(markedTimeout.some((r) => statisticsBytes(name).includes(r.bytes!))).toBe(true);
    // The stall shows in the time: -rw_timeout (5 s) ended those bodies.
    for (const half of halves) expect(half.durationSeconds).toBeGreaterThan(4.5);
    expect(eventsOf(events, 'timeout').length).toBeGreaterThanOrEqual(keepaliveTimeouts);
    // Whole segments stay whole.
    const whole = records.filter((r) => r.kind === 'segment' && r.status === 200 && number(r) % 6 !== 4);
    expect(whole.length).toBeGreaterThanOrEqual(5);
    expect(whole.every((r) => r.ok && r.durationSeconds! < 2)).toBe(true);
  });
});

describe('ClientOutputParser over a 3-variant master playlist', () => {
  const variantOf = (r: RequestRecord) => /\/(v\d)\//.exec(r.url)?.[1];

  it('variant all (-map 0): manifests and segments of every variant', () => {
    const records = requestsOf(replay('python-abr-all-trace').events);
    expect(records.filter((r) => r.kind === 'manifest' && r.url.endsWith('/master.m3u8'))).toHaveLength(1);
    for (const variant of ['v0', 'v1', 'v2']) {
      const segments = records.filter((r) => r.kind === 'segment' && variantOf(r) === variant);
      expect(segments.length, variant).toBeGreaterThanOrEqual(3);
      expect(segments.every((r) => r.ok && r.status === 200 && r.bytes! > 0)).toBe(true);
    }
  });

  it.each(['python-abr-highest-trace', 'python-abr-lowest-trace'])(
    'one program mapped (-map 0:p:N), %s: only that variant is played after the start-up probe',
    (name) => {
      const records = requestsOf(replay(name).events);
      const segments = records.filter((r) => r.kind === 'segment');
      const counts = new Map<string | undefined, number>();
      for (const segment of segments)
        counts.set(variantOf(segment), (counts.get(variantOf(segment)) ?? 0) + 1);
      const [played, playedCount] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]!;
      expect(playedCount).toBeGreaterThanOrEqual(4);
      // ffmpeg probes the first segment of every variant once at start-up; nothing more.
      for (const [variant, count] of counts) if (variant !== played) expect(count).toBeLessThanOrEqual(1);
      // One variant: durations are download times (loopback), not paced by other variants.
      const playedSegments = segments.filter((r) => variantOf(r) === played);
      expect(playedSegments.every((r) => r.ok && (r.cutByStop || r.durationSeconds! < 1))).toBe(true);
    },
  );
});

describe('ClientOutputParser at debug level', () => {
  it.each([
    ['given', { logLevel: 'debug' as const }],
    ['read from ffmpeg’s option echo', {}],
  ])(
    'counts requests (one per request line) without status, bytes or timings (level %s)',
    (_how, options) => {
      const name = 'python-healthy-debug';
      const { events, parser } = replay(name, options);
      const records = requestsOf(events);
      expect(records).toHaveLength(countLines(name, /request: GET/));
      expect(records.every((r) => r.ok && r.status === undefined && r.bytes === undefined)).toBe(true);
      expect(records.filter((r) => r.kind === 'segment').length).toBeGreaterThanOrEqual(4);
      expect(records.filter((r) => r.kind === 'manifest').length).toBeGreaterThanOrEqual(3);
      expect(parser.openRequests).toBe(0);
    },
  );
});

describe('ClientOutputParser at verbose level', () => {
  it('sees segment requests only (HLS request lines), detected without being told', () => {
    // The trace recording, keeping the lines ffmpeg prints at -loglevel verbose.
    const name = 'python-healthy-trace';
    const verbose = stampedLines(`${name}.stderr`).filter(({ line }) =>
      /^(\[[^\]]+ @ [^\]]+\] )?\[(verbose|info|warning|error|fatal)\]/.test(line),
    );
    const events: ClientOutputEvent[] = [];
    const parser = new ClientOutputParser(0, (event) => events.push(event));
    for (const { atMs, line } of verbose) parser.logChunk(`${line}\n`, atMs);
    parser.end(verbose.at(-1)!.atMs);
    const records = requestsOf(events);
    expect(records).toHaveLength(verbose.filter(({ line }) => line.includes('HLS request for url')).length);
    expect(records.length).toBeGreaterThanOrEqual(5);
    expect(records.every((r) => r.kind === 'segment' && r.ok && r.status === undefined)).toBe(true);
  });
});

describe('ClientOutputParser robustness', () => {
  const name = 'python-healthy-trace';
  const text = stampedLines(`${name}.stderr`)
    .map(({ line }) => `${line}\n`)
    .join('');

  function parseWhole(feed: (parser: ClientOutputParser) => void, options = {}) {
    const events: ClientOutputEvent[] = [];
    const parser = new ClientOutputParser(0, (event) => events.push(event), options);
    feed(parser);
    parser.end(1000);
    return { events, parser };
  }

  it('gives the same requests whatever the chunking (bytes split anywhere, even inside UTF-8)', () => {
    const reference = requestsOf(parseWhole((p) => p.logChunk(text, 1000)).events);
    const bytes = Buffer.from(`${text}[info] ünïcödé ✓ line\n`, 'utf8');
    let seed = 1;
    const chunked = parseWhole((p) => {
      for (let offset = 0; offset < bytes.length; ) {
        seed = (seed * 16807) % 2147483647;
        const size = 1 + (seed % 700);
        p.logChunk(bytes.subarray(offset, offset + size), 1000);
        offset += size;
      }
    });
    expect(withoutTimes(requestsOf(chunked.events))).toEqual(withoutTimes(reference));
    expect(reference.length).toBeGreaterThan(10);
  });

  it('drops and counts lines longer than the bound, and still parses the rest', () => {
    const maxLineBytes = 120;
    const long = text.split('\n').filter((line) => line.length > maxLineBytes).length;
    expect(long).toBeGreaterThan(0);
    const { events, parser } = parseWhole((p) => p.logChunk(text, 1000), { maxLineBytes });
    expect(parser.droppedLines).toBe(long);
    expect(requestsOf(events).length).toBeGreaterThan(0);
  });

  it('bounds a line that never ends', () => {
    const { parser } = parseWhole(
      (p) => {
        for (let i = 0; i < 100; i++) p.logChunk('x'.repeat(1000), 1000);
        p.logChunk('\n[hls @ 0x1] [info] after\n', 1000);
      },
      { maxLineBytes: 4096 },
    );
    expect(parser.droppedLines).toBe(1);
  });

  it('never throws on garbage', () => {
    let seed = 7;
    const garbage = Buffer.alloc(50_000);
    for (let i = 0; i < garbage.length; i++) {
      seed = (seed * 16807) % 2147483647;
      garbage[i] = seed % 256;
    }
    const mixed = `${text.slice(0, 5000)}${garbage.toString('latin1')}\n[http @ 0x1] [trace] header='\n[http @ 0x1] [debug] request: GET\nhttp_code=abc\nprogress=`;
    expect(() =>
      parseWhole((p) => {
        p.logChunk(garbage, 1);
        p.logChunk(mixed, 2);
        p.progressChunk(garbage, 3);
        p.progressChunk('out_time_us=N/A\nspeed=N/A\nprogress=continue\n', 4);
      }),
    ).not.toThrow();
    // …and not because an exception was swallowed: every line was handled.
    const { parser } = parseWhole((p) => {
      p.logChunk(garbage, 1);
      p.logChunk(mixed, 2);
      p.progressChunk(garbage, 3);
    });
    expect(parser.swallowedErrors).toBe(0);
    expect(parser.lines).toBeGreaterThan(100);
  });

  it('reads the context ids newer ffmpeg prints instead of addresses ("[http #3]")', () => {
    // The recorded lines with every "[name @ 0x…]" rewritten as "[name #n]", one id per address.
    const ids = new Map<string, number>();
    const rewritten = stampedLines(`${name}.stderr`).map(({ atMs, line }) => ({
      atMs,
      line: line.replace(/^\[([^\]@]+) @ (0x[0-9a-f]+)\]/, (_all, tag: string, address: string) => {
        if (!ids.has(address)) ids.set(address, ids.size);
        return `[${tag} #${ids.get(address)}]`;
      }),
    }));
    expect(rewritten.some(({ line }) => line.startsWith('[mpegts #'))).toBe(true);
    const expected = requestsOf(replay(name).events);
    const { events } = parseWhole((p) => {
      for (const { atMs, line } of rewritten) p.logChunk(`${line}\n`, atMs);
    });
    expect(requestsOf(events)).toEqual(expected);
  });

  it('uses ffmpeg’s own time when lines carry the datetime flag (newer ffmpeg)', () => {
    // The recorded lines, prefixed with their arrival time the way `-loglevel +datetime` writes it.
    const pad = (n: number, width = 2) => String(n).padStart(width, '0');
    const local = (ms: number) => {
      const d = new Date(ms);
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
    };
    const stamped = stampedLines(`${name}.stderr`);
    const expected = requestsOf(replay(name).events).filter((r) => r.ttfbSeconds !== undefined);
    const { events } = parseWhole((p) => {
      for (const { atMs, line } of stamped) {
        p.logChunk(`${line.startsWith('[') ? `${local(atMs)} ` : ''}${line}\n`, 0);
      }
    });
    const dated = requestsOf(events).filter((r) => r.ttfbSeconds !== undefined);
    expect(dated.map((r) => [r.startMs, r.ttfbSeconds])).toEqual(
      expected.map((r) => [r.startMs, r.ttfbSeconds]),
    );
  });
});

describe('ClientOutputParser untimed (a log read in batches, as from a polled FIFO)', () => {
  const traceFixtures = [
    'python-healthy-trace',
    'nginx-healthy-trace',
    'throttled-nginx-trace',
    'python-404-trace',
    'python-origin-killed-trace',
    'python-faulty-origin-trace',
    'python-frozen-viewer-trace',
    'python-abr-all-trace',
  ];
  const sorted = (records: RequestRecord[]) =>
    withoutTimes(records).sort((a, b) =>
      `${a.url} ${a.status} ${a.bytes}`.localeCompare(`${b.url} ${b.status} ${b.bytes}`),
    );
  const typeCounts = (events: ClientOutputEvent[]) => {
    const counts: Record<string, number> = {};
    for (const event of events) counts[event.type] = (counts[event.type] ?? 0) + 1;
    return counts;
  };

  it.each(traceFixtures)(
    '%s: the same requests, statuses, bytes and events, only without timings',
    (name) => {
      const timed = replay(name);
      for (const pollMs of [100, 1000]) {
        const untimed = replay(name, { timed: false }, 0, pollMs);
        const records = requestsOf(untimed.events);
        expect(records.length).toBeGreaterThan(0);
        expect(sorted(records)).toEqual(sorted(requestsOf(timed.events)));
        expect(typeCounts(untimed.events)).toEqual(typeCounts(timed.events));
        for (const record of records) {
          expect(record.ttfbSeconds).toBeUndefined();
          expect(record.durationSeconds).toBeUndefined();
        }
      }
    },
  );

  it('still knows when each segment was read to its end, to the poll (for start-up times)', () => {
    for (const name of ['python-healthy-trace', 'nginx-healthy-trace']) {
      const timedEnds = new Map(
        requestsOf(replay(name).events)
          .filter((r) => r.kind === 'segment' && r.endMs !== undefined)
          .map((r) => [r.url, r.endMs!]),
      );
      const untimed = requestsOf(replay(name, { timed: false }, 0, 100).events).filter(
        (r) => r.kind === 'segment' && r.endMs !== undefined,
      );
      expect(untimed.length).toBeGreaterThanOrEqual(5);
      for (const record of untimed) {
        const exact = timedEnds.get(record.url)!;
        // The poll after the last data line: never before it, at most one poll interval later.
        expect(record.endMs! - exact).toBeGreaterThanOrEqual(0);
        expect(record.endMs! - exact).toBeLessThanOrEqual(100);
      }
    }
  });
});
