import { execFileSync } from 'node:child_process';

export { alive, waitUntil } from '../../../system/test/processes.js';

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
