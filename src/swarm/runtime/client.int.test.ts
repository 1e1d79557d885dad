import { describe, expect, it } from 'vitest';
import { restartSchema } from '../../config/index.js';
import { backoffPolicyFromSpec } from './backoff.js';
import { type ClientExitInfo, type ClientRunInfo, SupervisedClient } from './client.js';
import { waitUntil } from './test/processes.js';

/* The supervisor with a real (tiny) process that fails at once: backoff, maxRestarts, categories. */

function quietParser() {
  let logBytes = 0;
  return {
    parser: {
      logChunk: (chunk: Buffer | string) => {
        logBytes += chunk.length;
      },
      progressChunk: () => {},
      end: () => {},
      droppedLines: 0,
    },
    bytes: () => logBytes,
  };
}

describe('supervised client', () => {
  it('restarts a failing process with growing backoff, up to maxRestarts, and reads its stderr', async () => {
    const starts: ClientRunInfo[] = [];
    const exits: ClientExitInfo[] = [];
    const { parser, bytes } = quietParser();
    const client = new SupervisedClient(
      {
        clientId: 7,
        command: { file: 'sh', args: ['-c', 'echo "[http @ 0x1] [error] boom" >&2; exit 3'] },
        restartEnabled: true,
        maxRestarts: 2,
        backoff: backoffPolicyFromSpec(restartSchema.parse({})),
        stopGraceMs: 1000,
      },
      {
        createParser: () => parser,
        onStarted: (info) => starts.push(info),
        onExited: (info) => exits.push(info),
      },
    );
    client.start();
    expect(await waitUntil(() => exits.length === 3, 10_000)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(starts.map((start) => start.restart)).toEqual([false, true, true]);
    expect(exits.map((exit) => [exit.exitCode, exit.category, exit.willRestart])).toEqual([
      [3, 'error', true],
      [3, 'error', true],
      [3, 'error', false],
    ]);
    // 250 ms then 425 ms, each ±20 %.
    expect(exits[0]?.restartDelayMs).toBeGreaterThanOrEqual(200);
    expect(exits[0]?.restartDelayMs).toBeLessThanOrEqual(300);
    expect(exits[1]?.restartDelayMs).toBeGreaterThanOrEqual(340);
    expect(exits[1]?.restartDelayMs).toBeLessThanOrEqual(510);
    expect((starts[1]?.atMs ?? 0) - (exits[0]?.atMs ?? 0)).toBeGreaterThanOrEqual(195);
    expect(starts).toHaveLength(3);
    expect(client.restarts).toBe(2);
    expect(bytes()).toBeGreaterThan(0);
    await client.stop();
  });

  it('a missing binary is a spawn failure, not a crash', async () => {
    const exits: ClientExitInfo[] = [];
    const client = new SupervisedClient(
      {
        clientId: 1,
        command: { file: 'hls-swarm-no-such-ffmpeg', args: [] },
        restartEnabled: false,
        backoff: backoffPolicyFromSpec(restartSchema.parse({})),
        stopGraceMs: 1000,
      },
      {
        createParser: () => quietParser().parser,
        onStarted: () => {},
        onExited: (info) => exits.push(info),
      },
    );
    client.start();
    expect(await waitUntil(() => exits.length === 1, 5000)).toBe(true);
    expect(exits[0]?.category).toBe('spawn_failed');
    expect(exits[0]?.willRestart).toBe(false);
    await client.stop();
  });
});
