import { type ChildProcess, spawn } from 'node:child_process';

/*
 * The one thing execa cannot do: make sure nothing we started outlives us when this Node
 * process is killed with SIGKILL (no exit handler runs then). A tiny watchdog process,
 * started once per Node process in its own session, holds the read end of a pipe from us.
 * We tell it what we own; when the pipe reaches EOF (we died, however) it sends SIGTERM to
 * every owned process group, SIGKILL after a grace period, removes owned containers and
 * folders, and exits. It is plain Node source passed with -e so it needs no file on disk.
 */
const WATCHDOG_SOURCE = String.raw`
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const groups = new Set(); const containers = new Map(); const dirs = new Set();
let buffer = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let nl;
  while ((nl = buffer.indexOf('\n')) >= 0) {
    const [op, kind, ...rest] = buffer.slice(0, nl).split(' ');
    buffer = buffer.slice(nl + 1);
    const value = rest.join(' ');
    const set = kind === 'pg' ? groups : kind === 'dir' ? dirs : null;
    if (kind === 'ctr') { op === '+' ? containers.set(rest[0], rest[1] || '') : containers.delete(rest[0]); }
    else if (set) { op === '+' ? set.add(value) : set.delete(value); }
  }
});
const signalAll = (signal) => { for (const pg of groups) { try { process.kill(-Number(pg), signal); } catch {} } };
process.stdin.on('end', () => {
  signalAll('SIGTERM');
  setTimeout(() => {
    signalAll('SIGKILL');
    for (const [id, host] of containers) {
      try { execFileSync('docker', ['rm', '-f', '-v', id], { stdio: 'ignore', timeout: 20000, env: host ? { ...process.env, DOCKER_HOST: host } : process.env }); } catch {}
    }
    for (const dir of dirs) { try { fs.rmSync(dir, { recursive: true, force: true }); } catch {} }
    process.exit(0);
  }, Number(process.env.HLS_SWARM_REAPER_GRACE_MS || 2000));
});
process.on('SIGINT', () => {}); process.on('SIGTERM', () => {}); process.on('SIGHUP', () => {});
`;

let watchdog: ChildProcess | undefined;

function send(line: string): void {
  if (!watchdog) {
    watchdog = spawn(process.execPath, ['-e', WATCHDOG_SOURCE], {
      detached: true, // its own session: a Ctrl-C to our group must not kill it before it cleans up
      stdio: ['pipe', 'ignore', 'ignore'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    watchdog.unref();
    // The pipe must not keep our event loop alive either.
    (watchdog.stdin as unknown as { unref?: () => void }).unref?.();
    watchdog.stdin?.on('error', () => {});
  }
  watchdog.stdin?.write(`${line}\n`);
}

/** The watchdog's PID, for tests that check it exits after its parent. */
export function watchdogPid(): number | undefined {
  return watchdog?.pid;
}

/** Registers a process group (a leader's PID spawned detached) to be killed if we die. */
export function ownProcessGroup(pgid: number): void {
  send(`+ pg ${pgid}`);
}
export function releaseProcessGroup(pgid: number): void {
  send(`- pg ${pgid}`);
}
/** Registers a container to `docker rm -f` if we die. */
export function ownContainer(id: string, dockerHost = process.env.DOCKER_HOST ?? ''): void {
  send(`+ ctr ${id} ${dockerHost}`);
}
export function releaseContainer(id: string): void {
  send(`- ctr ${id}`);
}
/** Registers a temporary folder to remove if we die. */
export function ownDirectory(path: string): void {
  send(`+ dir ${path}`);
}
export function releaseDirectory(path: string): void {
  send(`- dir ${path}`);
}
