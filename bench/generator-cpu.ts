// Measures what each generator profile costs on this machine: runs the real generator
// (generatorArgs) for a window, reads utime+stime from /proc/<pid>/stat before and after,
// and checks it keeps real time (segments produced × segment length vs wall time).
// Run: node --import tsx bench/generator-cpu.ts [profiles,comma,separated] [windowSeconds]
// The numbers are only as good as the machine is quiet: loadavg is printed with each row.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROFILE_NAMES, type ProfileName } from '../src/config/index.js';
import { generatorArgs, getProfile, mediaPlaylistPaths, requireFfmpeg } from '../src/origin/index.js';

const CLOCK_TICKS_PER_SECOND = 100;
const names = (process.argv[2] ? process.argv[2].split(',') : [...PROFILE_NAMES]) as ProfileName[];
const windowSeconds = Number(process.argv[3] ?? 20);
const ffmpeg = requireFfmpeg();

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** Index just past the newest segment of a media playlist (media sequence + count). */
function segmentsProduced(path: string): number {
  try {
    const text = readFileSync(path, 'utf8');
    const sequence = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1] ?? 0);
    return sequence + (text.match(/#EXTINF/g)?.length ?? 0);
  } catch {
    return 0;
  }
}

console.log(`# ${cpus().length} CPUs (${cpus()[0]?.model}), window ${windowSeconds} s per profile`);
for (const name of names) {
  const profile = getProfile(name);
  const dir = mkdtempSync(join(tmpdir(), 'hls-swarm-bench-generator-'));
  const child = spawn(ffmpeg, generatorArgs(profile, dir), { stdio: 'ignore' });
  const playlist = join(dir, mediaPlaylistPaths(profile)[0] as string);
  try {
    await new Promise((resolve) => setTimeout(resolve, 5000)); // past start-up
    const cpu0 = cpuSeconds(child.pid as number);
    const segments0 = segmentsProduced(playlist);
    const wall0 = Date.now();
    await new Promise((resolve) => setTimeout(resolve, windowSeconds * 1000));
    const cpu1 = cpuSeconds(child.pid as number);
    const segments1 = segmentsProduced(playlist);
    const wallSeconds = (Date.now() - wall0) / 1000;
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
    console.log(
      JSON.stringify({
        profile: name,
        cpuPercentOfOneCore: Math.round(((cpu1 - cpu0) / wallSeconds) * 1000) / 10,
        realtimeRatio:
          Math.round((((segments1 - segments0) * profile.segmentSeconds) / wallSeconds) * 100) / 100,
        rssMiB: Math.round(rssKiB / 1024),
        loadavg1: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]),
      }),
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}
