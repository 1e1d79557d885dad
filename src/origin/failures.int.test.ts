import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { originSchema, parseWith } from '../config/index.js';
import { findBinary, MissingBinaryError, PortInUseError } from '../system/index.js';
import { alive, groupMembers, listeningPorts, waitUntil } from '../system/test/processes.js';
import { OriginStartError, startOrigin } from './index.js';

/** The real python executable (python3 may be a pyenv shim that needs pyenv on PATH). */
function realPython(): string {
  return execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
}

describe('origin start failures', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'hls-swarm-origin-failures-'));
  });
  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  /** A folder to use as the only PATH entry, holding links to just the named programs. */
  function pathWith(name: string, programs: Record<string, string>): string {
    const bin = join(scratch, name, 'bin');
    mkdirSync(bin, { recursive: true });
    for (const [program, target] of Object.entries(programs)) symlinkSync(target, join(bin, program));
    return bin;
  }

  it('a busy port is an error naming the port and its holder, never a fallback', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const error = await startOrigin(parseWith(originSchema, { kind: 'python', port }, 'test')).catch(
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(PortInUseError);
      expect((error as Error).message).toContain(`127.0.0.1:${port}`);
      expect((error as Error).message).toContain('ORIGIN_PORT');
      expect((error as Error).message).toContain(`(pid ${process.pid})`);
      // The nginx origin refuses a busy exporter port the same way.
      const nginxError = await startOrigin(
        parseWith(originSchema, { kind: 'nginx', port: 0, nginxExporterPort: port }, 'test'),
      ).catch((caught: unknown) => caught);
      expect(nginxError).toBeInstanceOf(PortInUseError);
      expect((nginxError as Error).message).toContain(`${port} (nginx exporter`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('PATH without ffmpeg: MissingBinaryError naming ffmpeg and its package', async () => {
    const bin = pathWith('no-ffmpeg', { python3: realPython() });
    const error = await startOrigin(parseWith(originSchema, { kind: 'python', port: 0 }, 'test'), {
      env: { ...process.env, PATH: bin },
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MissingBinaryError);
    expect((error as Error).message).toMatch(/^ffmpeg was not found on PATH/);
    expect((error as Error).message).toContain('apt-get install -y ffmpeg');
  });

  it('PATH without nginx (nor its sbin): MissingBinaryError naming nginx', async () => {
    const bin = pathWith('no-nginx', { ffmpeg: findBinary('ffmpeg') as string });
    const error = await startOrigin(parseWith(originSchema, { kind: 'nginx', port: 0 }, 'test'), {
      env: { ...process.env, PATH: bin },
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MissingBinaryError);
    expect((error as Error).message).toMatch(/^nginx was not found on PATH/);
    expect((error as Error).message).toContain('nginx-light');
  });

  it('a process that dies while starting fails the start at once, with the tail of its log', async () => {
    const bin = pathWith('failing-ffmpeg', { python3: realPython() });
    const fake = join(bin, 'ffmpeg');
    writeFileSync(fake, '#!/bin/sh\necho "fake ffmpeg: cannot encode today" >&2\nexit 3\n');
    chmodSync(fake, 0o755);
    const started = Date.now();
    const error = await startOrigin(
      parseWith(originSchema, { kind: 'python', port: 0, readyTimeout: '60s' }, 'test'),
      { env: { ...process.env, PATH: `${bin}:/usr/bin:/bin` } },
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OriginStartError);
    const message = (error as Error).message;
    expect(message).toContain('generator exited with code 3 before the origin was ready');
    expect(message).toContain('fake ffmpeg: cannot encode today');
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('nothing of an origin survives its Node process being SIGKILLed (within 5 s)', async () => {
    const script = fileURLToPath(new URL('./test/start-and-wait.ts', import.meta.url));
    const owner: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script, 'nginx'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      let buffer = '';
      owner.stdout?.on('data', (data: Buffer) => {
        buffer += data.toString();
        if (buffer.includes('\n')) resolve(buffer.slice(0, buffer.indexOf('\n')));
      });
      owner.once('exit', (code) => reject(new Error(`origin owner exited early (code ${code})`)));
    });
    const started = JSON.parse(line) as {
      pids: number[];
      ports: number[];
      workspace: string;
      watchdog: number;
    };
    const members = groupMembers(started.pids);
    expect(members.length).toBeGreaterThanOrEqual(5); // generator, nginx master + worker, 2 exporters
    expect(await listeningPorts(started.ports)).toHaveLength(3);
    expect(existsSync(started.workspace)).toBe(true);

    owner.kill('SIGKILL');
    const killedAt = Date.now();
    expect(await waitUntil(() => members.every((pid) => !alive(pid)), 5000)).toBe(true);
    expect(await waitUntil(async () => (await listeningPorts(started.ports)).length === 0, 5000)).toBe(true);
    expect(await waitUntil(() => !existsSync(started.workspace), 5000)).toBe(true);
    expect(Date.now() - killedAt).toBeLessThan(5000);
    expect(await waitUntil(() => !alive(started.watchdog), 5000)).toBe(true);
  });
});
