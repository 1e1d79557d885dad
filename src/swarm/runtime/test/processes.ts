import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** True while `pid` exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Of `pids`, those `ps` still lists as live ffmpeg processes. */
export function liveFfmpeg(pids: Iterable<number>): number[] {
  const wanted = new Set(pids);
  const out = execFileSync('ps', ['-eo', 'pid=,stat=,comm='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([pid, stat, comm]) => wanted.has(Number(pid)) && comm === 'ffmpeg' && !stat?.startsWith('Z'))
    .map(([pid]) => Number(pid));
}

export async function waitUntil(check: () => boolean, timeoutMs: number, stepMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
  return check();
}
