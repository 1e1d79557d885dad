import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originSchema, parseWith } from '../../config/index.js';
import { type RunningOrigin, startOrigin } from '../../origin/index.js';

const main = fileURLToPath(new URL('../main.ts', import.meta.url));
const cacheHome = mkdtempSync(join(tmpdir(), 'hls-swarm-calibrate-cli-'));

/** Runs `hls-swarm calibrate <args>` as a real process with its own cache folder. */
function calibrateCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'calibrate', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, XDG_CACHE_HOME: cacheHome },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => {
    stdout += data.toString();
  });
  child.stderr.on('data', (data: Buffer) => {
    stderr += data.toString();
  });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

let origin: RunningOrigin;
beforeAll(async () => {
  origin = await startOrigin(parseWith(originSchema, { kind: 'python', profile: 'tiny', port: 0 }, 'test'));
});
afterAll(async () => {
  await origin?.stop();
  rmSync(cacheHome, { recursive: true, force: true });
});

describe('hls-swarm calibrate', () => {
  it('--json prints one object with the costs, the estimate and the cache file; the next run reads the cache', async () => {
    const first = await calibrateCli([origin.streamUrl, '--viewers', '4', '--seconds', '2', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const result = JSON.parse(first.stdout);
    expect(result).toMatchObject({
      format: 1,
      fromCache: false,
      timedViewers: 50,
      key: { logLevel: 'trace' },
    });
    expect(result.key.target).toMatch(/^url:[0-9a-f]{16}$/);
    expect(result.stream).toBe(origin.streamUrl);
    expect(result.origin).toBeNull(); // a URL: its server's CPU is not ours to count
    expect(result.costs.startCpuSeconds).toBeGreaterThan(0);
    expect(result.estimate.viewers).toBeGreaterThan(0);
    expect(result.cacheFile.startsWith(join(cacheHome, 'hls-swarm'))).toBe(true);
    expect(readdirSync(join(cacheHome, 'hls-swarm'))).toHaveLength(1);

    const cached = await calibrateCli([origin.streamUrl, '--json']);
    expect(cached.code, cached.stderr).toBe(0);
    expect(JSON.parse(cached.stdout)).toMatchObject({ fromCache: true, calibratedAt: result.calibratedAt });
  });

  it('a URL where nothing listens is a clear error naming it, without a stack trace', async () => {
    const url = 'http://127.0.0.1:9/live/stream.m3u8';
    const run = await calibrateCli([url, '--viewers', '2', '--seconds', '1']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('127.0.0.1:9');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe('');
  });

  it('refuses a remote host without --allow-remote, and a bad flag is a usage error', async () => {
    const remote = await calibrateCli(['http://192.0.2.1/stream.m3u8']);
    expect(remote.code).toBe(1);
    expect(remote.stderr).toContain('--allow-remote');
    const bad = await calibrateCli(['--profile', 'huge']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--profile: expected one of default, low-latency, abr, stress, tiny');
  });
});
