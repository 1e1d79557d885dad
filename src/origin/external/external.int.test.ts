import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originSchema, parseWith } from '../../config/index.js';
import { groupMembers, listeningPorts } from '../../system/test/processes.js';
import { OriginStartError, type RunningOrigin, startOrigin } from '../index.js';
import { isLoopbackHost } from './index.js';

describe('external origin', () => {
  let python: RunningOrigin;
  beforeAll(async () => {
    python = await startOrigin(
      parseWith(originSchema, { kind: 'python', port: 0, profile: 'tiny', minSegments: 2 }, 'test'),
    );
  });
  afterAll(async () => {
    await python?.stop();
  });

  it('is ready against a playlist that answers 200, starts nothing and passes exporters through', async () => {
    const origin = await startOrigin(
      parseWith(
        originSchema,
        {
          kind: 'external',
          url: python.streamUrl,
          minSegments: 2,
          exporters: { node: 'http://127.0.0.1:9/metrics' },
        },
        'test',
      ),
    );
    expect(origin.kind).toBe('external');
    expect(origin.streamUrl).toBe(python.streamUrl);
    expect(origin.exporters).toEqual({ node: 'http://127.0.0.1:9/metrics' });
    expect(origin.status()).toEqual({ healthy: true, processes: [], problems: [] });
    await origin.stop();
    // Stopping an external origin leaves the real one running.
    expect(python.status().healthy).toBe(true);
    expect((await fetch(python.streamUrl)).status).toBe(200);
  });

  it('refuses a non-loopback host unless allowRemote is set, before sending anything', async () => {
    const started = Date.now();
    const error = await startOrigin(
      parseWith(originSchema, { kind: 'external', url: 'http://192.0.2.10/live/stream.m3u8' }, 'test'),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OriginStartError);
    expect((error as Error).message).toContain('192.0.2.10 is not a loopback address');
    expect((error as Error).message).toContain('allowRemote: true');
    expect(Date.now() - started).toBeLessThan(1000);
    // A remote exporter URL counts too.
    const exporterError = await startOrigin(
      parseWith(
        originSchema,
        { kind: 'external', url: python.streamUrl, exporters: { nginx: 'http://example.com:9113/metrics' } },
        'test',
      ),
    ).catch((caught: unknown) => caught);
    expect((exporterError as Error).message).toContain('example.com:9113 is not a loopback address');
  });

  it('a playlist answering 404 times out with an error naming the URL and the status', async () => {
    const missing = new URL('/no-such-stream.m3u8', python.streamUrl).href;
    const error = await startOrigin(
      parseWith(originSchema, { kind: 'external', url: missing, readyTimeout: '1500ms' }, 'test'),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OriginStartError);
    expect((error as Error).message).toContain(`playlist ${missing}`);
    expect((error as Error).message).toContain('HTTP 404');
    expect((error as Error).message).toContain('not ready after 1.5 s');
  });

  it('stopping the python origin behind it leaves no process and no listener', async () => {
    const pids = python.status().processes.map((entry) => entry.pid as number);
    await python.stop();
    expect(groupMembers(pids)).toEqual([]);
    expect(await listeningPorts([python.ports?.http as number])).toEqual([]);
  });

  it('knows what loopback is', () => {
    for (const host of ['localhost', '127.0.0.1', '127.3.2.1', '[::1]', '::1', 'a.localhost'])
      expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['10.177.0.10', '192.0.2.1', 'example.com', '[2001:db8::1]', '128.0.0.1'])
      expect(isLoopbackHost(host)).toBe(false);
  });
});
