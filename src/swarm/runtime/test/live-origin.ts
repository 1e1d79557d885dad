import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatorArgs, getProfile } from '../../../origin/index.js';
import { findFreePort, type OwnedProcess, spawnOwned } from '../../../system/index.js';

/*
 * Test helper: a live HLS stream served by python's http.server on loopback, from the origin
 * layer's `tiny` generator profile. Every process goes through spawnOwned. Used until (and
 * alongside) startOrigin({ kind: 'python' }), so the swarm's tests do not wait on the origin's.
 */

export interface LiveOrigin {
  url: string;
  port: number;
  dir: string;
  generator: OwnedProcess;
  server: OwnedProcess;
  stop(): Promise<void>;
}

function segmentsListed(dir: string): number {
  try {
    return readFileSync(join(dir, 'stream.m3u8'), 'utf8')
      .split('\n')
      .filter((line) => line.endsWith('.ts')).length;
  } catch {
    return 0;
  }
}

export async function startLiveOrigin(
  options: { minSegments?: number; timeoutMs?: number } = {},
): Promise<LiveOrigin> {
  const minSegments = options.minSegments ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'hls-swarm-test-origin-'));
  chmodSync(dir, 0o755);
  const profile = getProfile('tiny');
  const generator = spawnOwned('ffmpeg', generatorArgs(profile, dir), { stdio: 'ignore', buffer: false });
  const port = await findFreePort();
  const server = spawnOwned(
    'python3',
    ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', dir],
    {
      stdio: 'ignore',
      buffer: false,
    },
  );
  const stop = async () => {
    await Promise.all([generator.stop(2000), server.stop(2000)]);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (segmentsListed(dir) < minSegments) {
    if (Date.now() > deadline || !generator.running || !server.running) {
      await stop();
      throw new Error(
        `test origin did not list ${minSegments} segments in time (generator running: ${generator.running})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { url: `http://127.0.0.1:${port}/stream.m3u8`, port, dir, generator, server, stop };
}
