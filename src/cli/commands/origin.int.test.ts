import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { alive, groupMembers, listeningPorts, waitUntil } from '../../system/test/processes.js';

const main = fileURLToPath(new URL('../main.ts', import.meta.url));

/** Runs `hls-swarm <args>` as a real process; resolves the first stdout line, the exit, and stderr. */
function runCli(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (data: Buffer) => {
    stderr += data.toString();
  });
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (data: Buffer) => {
      stdout += data.toString();
      if (stdout.includes('\n')) resolve(stdout.slice(0, stdout.indexOf('\n')));
    });
    child.once('exit', (code) => reject(new Error(`exited (${code}) before printing; stderr:\n${stderr}`)));
  });
  // Tests that expect an early exit never await the line: keep that rejection handled.
  firstLine.catch(() => {});
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, firstLine, exit, stdout: () => stdout, stderr: () => stderr };
}

describe('hls-swarm origin start', () => {
  it('prints one JSON line when ready, serves, and stops cleanly on SIGINT (exit 0)', async () => {
    const cli = runCli(['origin', 'start', '--kind', 'python', '--port', '0', '--profile', 'tiny']);
    const ready = JSON.parse(await cli.firstLine) as {
      kind: string;
      streamUrl: string;
      exporters: Record<string, string>;
      accessLog: string | null;
      logs: Record<string, string>;
      ports: Record<string, number>;
      pids: number[];
    };
    expect(ready).toMatchObject({ kind: 'python', exporters: {}, accessLog: null });
    expect(ready.streamUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/stream\.m3u8$/);
    const playlist = await fetch(ready.streamUrl);
    expect(playlist.status).toBe(200);
    expect(playlist.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(await playlist.text()).toContain('#EXTINF');
    const workspace = dirname(dirname(ready.logs.generator as string));
    expect(existsSync(workspace)).toBe(true);

    cli.child.kill('SIGINT');
    expect(await cli.exit).toBe(0);
    expect(cli.stdout().trim().split('\n')).toHaveLength(1);
    expect(cli.stderr()).toContain('SIGINT: stopping the python origin');
    expect(alive(cli.child.pid as number)).toBe(false);
    expect(ready.pids).toHaveLength(2);
    expect(ready.pids.filter(alive)).toEqual([]);
    expect(groupMembers(ready.pids)).toEqual([]);
    expect(
      await waitUntil(async () => (await listeningPorts(Object.values(ready.ports))).length === 0, 3000),
    ).toBe(true);
    expect(existsSync(workspace)).toBe(false);
  });

  it('rejects an invalid spec with exit 2 and names the field', async () => {
    const cli = runCli(['origin', 'start', '--kind', 'python', '--profile', 'huge']);
    expect(await cli.exit).toBe(2);
    expect(cli.stderr()).toMatch(/profile/);
    expect(cli.stderr()).toMatch(/tiny/);
  });

  it('rejects a remote external URL without --allow-remote (exit 1, no stack)', async () => {
    const cli = runCli(['origin', 'start', '--kind', 'external', '--url', 'http://192.0.2.7/s.m3u8']);
    expect(await cli.exit).toBe(1);
    expect(cli.stderr()).toContain('--allow-remote');
    expect(cli.stderr()).not.toMatch(/\n\s+at /);
  });
});
