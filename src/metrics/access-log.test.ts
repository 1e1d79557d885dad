import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyRequestUrl } from '../swarm/index.js';
import {
  AccessLogTailer,
  accessLogKind,
  accessLogLabelKind,
  parseAccessLog,
  parseAccessLogLine,
} from './access-log.js';
import { MetricStore } from './store.js';

// A real nginx JSON access log, recorded by fixtures/record/exporter-scrapes.sh.
const recorded = readFileSync(
  new URL('../../fixtures/exporters/nginx-access.json.log', import.meta.url),
  'utf8',
);
const recordedLines = recorded.split('\n').filter(Boolean);

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempLog(): string {
  const dir = mkdtempSync(join(tmpdir(), 'access-log-test-'));
  dirs.push(dir);
  return join(dir, 'access.json');
}

describe('parseAccessLogLine', () => {
  it('reads every line nginx wrote', () => {
    const entries = recordedLines.map((line) => parseAccessLogLine(line, 0));
    expect(entries.every((entry) => entry !== undefined)).toBe(true);
    const kinds = new Set(entries.map((entry) => entry?.kind));
    expect(kinds).toEqual(new Set(['manifest', 'segment']));
    const first = entries[0];
    const raw = JSON.parse(recordedLines[0] as string);
    expect(first).toMatchObject({
      uri: raw.uri,
      status: raw.status,
      requestTimeSeconds: raw.request_time,
      bodyBytesSent: raw.body_bytes_sent,
      atMs: Date.parse(raw.time),
    });
    expect(entries.some((entry) => entry?.status === 404)).toBe(true);
  });

  it('prefers msec, and rejects lines that are not JSON or lack request_time', () => {
    expect(
      parseAccessLogLine('{"msec":"1700000000.123","request_time":"0.250","uri":"/a.ts"}', 5),
    ).toMatchObject({
      atMs: 1700000000123,
      requestTimeSeconds: 0.25,
      kind: 'segment',
    });
    expect(parseAccessLogLine('127.0.0.1 - - [..] "GET / HTTP/1.1" 200', 5)).toBeUndefined();
    expect(parseAccessLogLine('{"uri":"/a.ts"}', 5)).toBeUndefined();
  });

  it('classifies URIs', () => {
    expect(accessLogKind('/live/stream.m3u8?token=x')).toBe('manifest');
    expect(accessLogKind('/seg00012.ts')).toBe('segment');
    expect(accessLogKind('/init.mp4')).toBe('segment');
    expect(accessLogKind('/health')).toBe('other');
  });

  it('classifies with the swarm classifier: one rule, init folded into segment for the label', () => {
    const uris = [
      '/a.m3u8',
      '/a.M3U',
      '/v/init.mp4',
      '/v/seg1.m4s',
      '/a.ac3',
      '/a.ec3',
      '/a.vtt?x=1',
      '/x',
      '/a.ts#t',
    ];
    for (const uri of uris) expect(accessLogKind(uri), uri).toBe(accessLogLabelKind(classifyRequestUrl(uri)));
    expect(accessLogKind('/a.M3U')).toBe('manifest');
    expect(accessLogKind('/a.ec3')).toBe('segment');
    const init = parseAccessLogLine('{"msec":1700000000.5,"request_time":0.01,"uri":"/v/init.mp4"}', 0);
    expect(init?.kind).toBe('init');
  });
});

describe('parseAccessLog (a whole log, as the accuracy benchmark reads it)', () => {
  it('returns one entry per recorded line, with the client User-Agent', () => {
    const entries = parseAccessLog(`${recorded}\n\nnot json\n`, 0);
    expect(entries).toHaveLength(recordedLines.length);
    const raw = recordedLines.map((line) => JSON.parse(line) as { http_user_agent: string; uri: string });
    expect(entries.map((entry) => entry.userAgent)).toEqual(raw.map((line) => line.http_user_agent));
    expect(entries.map((entry) => entry.kind)).toEqual(raw.map((line) => classifyRequestUrl(line.uri)));
  });
});

describe('CMCD session ids (which viewer sent each request)', () => {
  // Our nginx origin's own format with 2 viewers' CMCD-Session, recorded by fixtures/record/cmcd-access-log.ts.
  const cmcdLog = readFileSync(
    new URL('../../fixtures/origin/nginx-cmcd-access.jsonl', import.meta.url),
    'utf8',
  );

  it("reads each viewer's sid from cmcd_session: one per viewer, distinct, absent for other clients", () => {
    const entries = parseAccessLog(cmcdLog, 0);
    const viewers = new Map<string, Set<string | undefined>>();
    for (const entry of entries) {
      const viewer = /\/client-(\d+)$/.exec(entry.userAgent ?? '')?.[1];
      if (viewer === undefined) {
        expect(entry.sessionId, entry.userAgent).toBeUndefined();
        continue;
      }
      viewers.set(viewer, (viewers.get(viewer) ?? new Set()).add(entry.sessionId));
    }
    expect([...viewers.keys()].sort()).toEqual(['0', '1']);
    const sids = [...viewers.entries()].map(([viewer, set]) => {
      expect(set.size, `viewer ${viewer}`).toBe(1);
      const [sid] = [...set];
      expect(sid).toMatch(new RegExp(`^[0-9a-f-]{36}-${viewer}$`));
      return sid;
    });
    expect(new Set(sids).size).toBe(2);
  });

  it('parses older logs without the field, and CMCD sent as a query parameter', () => {
    expect(parseAccessLog(recorded, 0).every((entry) => entry.sessionId === undefined)).toBe(true);
    const query = parseAccessLogLine(
      JSON.stringify({
        msec: 1,
        request_time: 0,
        uri: '/a.ts',
        args: `CMCD=${encodeURIComponent('sid="q-1",st=l')}`,
      }),
      0,
    );
    expect(query?.sessionId).toBe('q-1');
  });
});

describe('AccessLogTailer', () => {
  it('follows appends, waits for partial lines, and starts over after truncation', async () => {
    const path = tempLog();
    const store = new MetricStore();
    const tailer = AccessLogTailer.intoStore(path, store, { pollMs: 10_000 });
    await tailer.readNew(); // the file does not exist yet: no error
    expect(tailer.status().lastError).toBeUndefined();

    const [a, b, c] = recordedLines as [string, string, string];
    writeFileSync(path, `${a}\n${b.slice(0, 20)}`);
    await tailer.readNew();
    expect(store.window('nginx_request_time', {}, 0, Number.MAX_SAFE_INTEGER)?.count).toBe(1);
    appendFileSync(path, `${b.slice(20)}\n${c}\n`);
    await tailer.readNew();
    expect(store.window('nginx_request_time', {}, 0, Number.MAX_SAFE_INTEGER)?.count).toBe(3);

    truncateSync(path, 0);
    appendFileSync(path, `${a}\n`);
    await tailer.readNew();
    expect(store.window('nginx_request_time', {}, 0, Number.MAX_SAFE_INTEGER)?.count).toBe(4);
    appendFileSync(path, 'not json\n');
    await tailer.stop();
    expect(tailer.status()).toMatchObject({ linesRead: 4, linesRejected: 1 });
  });

  it('follows a rotation to a new file even when it is already as long as the old one', async () => {
    const path = tempLog();
    const store = new MetricStore();
    const tailer = AccessLogTailer.intoStore(path, store, { pollMs: 10_000 });
    const [a, b] = recordedLines as [string, string];
    writeFileSync(path, `${a}\n`);
    await tailer.readNew();
    renameSync(path, `${path}.1`);
    writeFileSync(path, `${b}\n${b}\n`);
    await tailer.readNew();
    expect(tailer.status().linesRead).toBe(3);
  });

  it('polls on its own and reads the whole recorded log by stop()', async () => {
    const path = tempLog();
    const store = new MetricStore();
    const tailer = AccessLogTailer.intoStore(path, store, { pollMs: 20 });
    tailer.start();
    writeFileSync(path, recorded);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await tailer.stop();
    const segments = store.window('nginx_request_time', { kind: 'segment' }, 0, Number.MAX_SAFE_INTEGER);
    const expected = recordedLines.filter((line) => JSON.parse(line).uri.endsWith('.ts')).length;
    expect(segments?.count).toBe(expected);
    expect(store.window('nginx_request_time', { status: '404' }, 0, Number.MAX_SAFE_INTEGER)?.count).toBe(
      recordedLines.filter((line) => JSON.parse(line).status === 404).length,
    );
  });
});
