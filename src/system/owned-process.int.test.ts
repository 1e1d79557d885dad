import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { spawnOwned } from './index.js';
import { alive, groupMembers, waitUntil } from './test/processes.js';

describe('owned processes', () => {
  it('stop() sends SIGTERM and the process group exits', async () => {
    const child = spawnOwned('sh', ['-c', 'sleep 300 & wait']);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(groupMembers([child.pid]).length).toBeGreaterThanOrEqual(2);
    const exit = await child.stop(2000);
    expect(exit.signal).toBe('SIGTERM');
    expect(await waitUntil(() => groupMembers([child.pid]).length === 0, 2000)).toBe(true);
  });

  it('escalates to SIGKILL when SIGTERM is ignored past the grace period', async () => {
    const child = spawnOwned('sh', ['-c', 'trap "" TERM; sleep 300 & wait; sleep 300']);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    const exit = await child.stop(500);
    expect(exit.signal).toBe('SIGKILL');
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(await waitUntil(() => groupMembers([child.pid]).length === 0, 2000)).toBe(true);
  });

  it('reports a missing binary through the exit promise instead of throwing', async () => {
    const child = spawnOwned('hls-swarm-no-such-binary', []);
    const exit = await child.exited;
    expect(exit.exitCode).toBeUndefined();
    expect(child.running).toBe(false);
  });

  it('kills every owned process group within 5 s when the owner is SIGKILLed', async () => {
    const script = fileURLToPath(new URL('./test/own-and-die.ts', import.meta.url));
    const owner = spawn(process.execPath, ['--import', 'tsx', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      owner.stdout.once('data', (data: Buffer) => resolve(data.toString()));
      owner.once('exit', () => reject(new Error('owner exited early')));
    });
    const { pids, watchdog } = JSON.parse(line) as { pids: number[]; watchdog: number };
    const members = groupMembers(pids);
    expect(members.length).toBeGreaterThanOrEqual(3);
    expect(members.every(alive)).toBe(true);

    owner.kill('SIGKILL');
    const killedAt = Date.now();
    expect(await waitUntil(() => members.every((pid) => !alive(pid)), 5000)).toBe(true);
    const cleanupMs = Date.now() - killedAt;
    expect(cleanupMs).toBeLessThan(5000);
    expect(await waitUntil(() => !alive(watchdog), 5000)).toBe(true);
  });
});
