import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originSchema, swarmSchema } from '../../config/index.js';
import { type RunningOrigin, startOrigin } from '../../origin/index.js';
import { spawnOwned } from '../../system/index.js';
import { startSwarm } from './start-swarm.js';
import { alive, liveFfmpeg, waitUntil } from './test/processes.js';

/*
 * What happens to viewers when things go wrong around them: a stalled stream (restart-on-stall)
 * and a SIGKILLed Node parent (the watchdog must take every ffmpeg down within 5 s).
 */

let origin: RunningOrigin;

beforeAll(async () => {
  origin = await startOrigin(originSchema.parse({ kind: 'python', port: 0, profile: 'tiny' }));
});

afterAll(async () => {
  await origin?.stop();
});

describe('viewer lifecycle', () => {
  it('no ffmpeg, and no FIFO folder, outlives a SIGKILLed Node parent (within 5 s)', async () => {
    const script = fileURLToPath(new URL('./test/swarm-and-die.ts', import.meta.url));
    const fifoDirs = () => readdirSync(tmpdir()).filter((name) => name.startsWith('hls-swarm-logs-'));
    const dirsBefore = fifoDirs();
    // 2 viewers, 1 timed: one reads stderr as it arrives, the other through a FIFO.
    const parent = spawnOwned(process.execPath, ['--import', 'tsx', script, origin.streamUrl, '2', '1'], {
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
    });
    let output = '';
    parent.subprocess.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    let errors = '';
    parent.subprocess.stderr?.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    expect(await waitUntil(() => output.includes('\n'), 30_000), errors).toBe(true);
    const { pids } = JSON.parse(output.split('\n')[0] as string) as { pids: number[] };
    expect(pids).toHaveLength(2);
    expect(liveFfmpeg(pids)).toEqual(pids);
    const newDirs = fifoDirs().filter((name) => !dirsBefore.includes(name));
    expect(newDirs).toHaveLength(1);
    // Only the Node process is killed (not its group): the viewers are in their own groups anyway.
    process.kill(parent.pid, 'SIGKILL');
    const killedAtMs = Date.now();
    expect(await waitUntil(() => liveFfmpeg(pids).length === 0, 5000)).toBe(true);
    expect(Date.now() - killedAtMs).toBeLessThanOrEqual(5000);
    await parent.exited;
    expect(alive(parent.pid)).toBe(false);
    // The watchdog removes the FIFO folder after its grace period (2 s).
    expect(await waitUntil(() => !fifoDirs().includes(newDirs[0] as string), 5000)).toBe(true);
  });

  it('restart-on-stall really restarts a viewer whose playback stalls', async () => {
    // The origin answers but stops producing: the viewer's out_time stops advancing.
    const stallOrigin = origin;
    const spec = swarmSchema.parse({
      clients: 1,
      duration: '60s',
      metricsPort: 0,
      stallWindow: '10s',
      restart: { onStall: true },
    });
    const swarm = await startSwarm({ url: stallOrigin.streamUrl, spec });
    const starts: { pid: number; restart: boolean }[] = [];
    let stalledSamples = 0;
    swarm.on('clientStarted', (event) => starts.push(event));
    swarm.on('playback', (sample) => {
      if (sample.stalled) stalledSamples++;
    });
    try {
      expect(await waitUntil(() => starts.length === 1, 5000)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      // SIGSTOP the generator: the playlist stays, no new segment ever comes.
      const generator = stallOrigin.status().processes.find((p) => p.name === 'generator');
      expect(generator?.pid).toBeGreaterThan(0);
      process.kill(generator?.pid as number, 'SIGSTOP');
      expect(await waitUntil(() => starts.length >= 2, 30_000, 250)).toBe(true);
      expect(stalledSamples).toBeGreaterThanOrEqual(1);
      expect(starts[1]?.restart).toBe(true);
      expect(swarm.snapshot().stallRestarts).toBeGreaterThanOrEqual(1);
    } finally {
      const generator = stallOrigin.status().processes.find((p) => p.name === 'generator');
      if (generator?.pid) process.kill(generator.pid, 'SIGCONT');
      await swarm.stop();
      expect(liveFfmpeg(starts.map((start) => start.pid))).toEqual([]);
    }
  });
});
