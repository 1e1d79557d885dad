// Test helpers shared by every layer's integration tests: is anything a test started still
// alive (zombies count as gone), and are its ports free again?
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { isPortListening } from '../index.js';

/** True while `pid` exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Live PIDs of every process in the given process groups (nginx workers, shells' children). */
export function groupMembers(pgids: number[]): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter(([pid, group]) => pgids.includes(group as number) && alive(pid as number))
    .map(([pid]) => pid as number);
}

/** Polls `check` every `stepMs` until it holds or `timeoutMs` passes; the last answer. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  stepMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
  return check();
}

/** Ports (of those given) that something still listens on. */
export async function listeningPorts(ports: number[]): Promise<number[]> {
  const busy: number[] = [];
  for (const port of ports) if (await isPortListening(port)) busy.push(port);
  return busy;
}

const WATCHED = /^(ffmpeg|nginx|python[\d.]*|prometheus-.*)$/;

/**
 * `name (pid)` of live ffmpeg/nginx/python/exporter processes whose environment carries
 * HLS_SWARM_TEST_TAG=`tag` (every child of a run started with that variable inherits it).
 */
export async function taggedProcesses(tag: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = await readFile(`/proc/${entry}/environ`, 'latin1');
      if (!environ.includes(`HLS_SWARM_TEST_TAG=${tag}`)) continue;
      const comm = (await readFile(`/proc/${entry}/comm`, 'utf8')).trim();
      if (!alive(Number(entry))) continue; // a zombie holds no resources and cannot be killed
      if (WATCHED.test(comm)) found.push(`${comm} (${entry})`);
    } catch {}
  }
  return found;
}

/** Tagged processes still there after a run ended, allowing 5 s for exits to land. */
export async function taggedLeftovers(tag: string): Promise<string[]> {
  let leftovers = await taggedProcesses(tag);
  for (let attempt = 0; attempt < 10 && leftovers.length > 0; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    leftovers = await taggedProcesses(tag);
  }
  return leftovers;
}
