// Test helpers shared by every layer's integration tests: is anything a test started still
// alive (zombies count as gone), and are its ports free again?
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
