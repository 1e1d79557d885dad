import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { findBinary, runForOutput } from '../system/index.js';
import { SwarmStartError } from './runtime/errors.js';

/*
 * Checks before any viewer starts: ffmpeg is there (and which one), and the process may open
 * enough files and start enough processes for the swarm.
 *
 * Open files: RLIMIT_NOFILE is per process. Node holds 2 descriptors per viewer (the stderr and
 * fd-3 pipes; measured), and each ffmpeg has its own table (at most 9 descriptors measured), so
 * what can run out is Node's table. The budget recommended for a swarm is clients × 20 + 100
 * (the reference tool's rule); below that we try to raise the limit, and refuse only below
 * what is really needed (clients × 4 + 100, twice the measured use).
 *
 * Raising: Node has no setrlimit(), but prlimit(2) may change the limits of another process of
 * the same user, and `prlimit --pid <our pid>` does just that for this Node process; every ffmpeg
 * forked afterwards inherits the new limit, so one call covers Node and all viewers — no
 * `sh -c 'ulimit -n …; exec ffmpeg'` wrapper (an extra exec per spawn). Node already lifts its
 * soft limit to the hard one at start-up, so in practice this is about the hard limit, which
 * needs CAP_SYS_RESOURCE (root outside a restricted container). Otherwise the message says the fix.
 */

/** Descriptors budgeted per viewer (the reference tool's rule) plus headroom. */
export const OPEN_FILES_PER_CLIENT = 20;
export const OPEN_FILES_BASE = 100;
/** Descriptors Node really needs per viewer: 2 pipes measured, doubled. */
export const OPEN_FILES_NEEDED_PER_CLIENT = 4;
/** Threads budgeted per ffmpeg viewer; RLIMIT_NPROC counts threads. Measured here: 1 (-c copy -f null); 2 for headroom. */
export const THREADS_PER_CLIENT = 2;
export interface ResourceLimit {
  soft: number;
  hard: number;
}

export interface PreflightReport {
  ffmpeg: { path: string; version: string };
  openFiles: ResourceLimit & { recommended: number; required: number; raisedFrom?: number };
  processes: ResourceLimit & { required: number; inUse: number; enforced: boolean; raisedFrom?: number };
  /** One line per check, for `--check` and logs. */
  lines: string[];
}

export interface PreflightOptions {
  /** ffmpeg viewers at the peak (each a process with its pipes in this one). */
  clients: number;
  /** Connections the light viewers' pool may open (one descriptor each); none without light viewers. */
  lightConnections?: number;
  /** ffmpeg binary name or path; default 'ffmpeg' on PATH. */
  ffmpegPath?: string;
  env?: NodeJS.ProcessEnv;
  /** Do not try to raise limits, only report (tests). */
  dryRun?: boolean;
  /**
   * `--skip-preflight` / `swarm.skipPreflight`: locate ffmpeg (the swarm cannot run without it)
   * but neither check nor raise the open-file and process limits; the report says so.
   */
  skipLimits?: boolean;
}

/** Parses one row of /proc/<pid>/limits ('unlimited' → Infinity). */
export function readLimit(
  name: 'Max open files' | 'Max processes',
  pid: number | 'self' = 'self',
): ResourceLimit {
  const text = readFileSync(`/proc/${pid}/limits`, 'utf8');
  const line = text.split('\n').find((row) => row.startsWith(name));
  if (!line) throw new Error(`${name} not found in /proc/${pid}/limits`);
  const [soft, hard] = line
    .slice(name.length)
    .trim()
    .split(/\s+/)
    .map((value) => (value === 'unlimited' ? Number.POSITIVE_INFINITY : Number(value)));
  return { soft: soft as number, hard: hard as number };
}

function formatLimit(value: number): string {
  return Number.isFinite(value) ? String(value) : 'unlimited';
}

/** Raises this process's soft (and, when needed and allowed, hard) limit with prlimit(1). */
function raiseLimit(resource: 'nofile' | 'nproc', required: number, current: ResourceLimit): boolean {
  const hard = Math.max(current.hard, required);
  const prlimit = findBinary('prlimit');
  if (!prlimit) return false;
  try {
    execFileSync(prlimit, ['--pid', String(process.pid), `--${resource}=${required}:${formatLimit(hard)}`], {
      stdio: 'ignore',
      timeout: 5000,
    });
    return true;
  } catch {
    return false;
  }
}

/** Tasks (threads) the real user runs now, from /proc (RLIMIT_NPROC counts them). */
function tasksOfUser(uid: number): number {
  try {
    const out = execFileSync('ps', ['-L', '-u', String(uid), '-o', 'lwp='], {
      encoding: 'utf8',
      timeout: 5000,
    });
    return out.split('\n').filter((line) => line.trim()).length;
  } catch {
    return 0;
  }
}

export async function preflight(options: PreflightOptions): Promise<PreflightReport> {
  const lines: string[] = [];
  const ffmpegName = options.ffmpegPath ?? 'ffmpeg';
  const ffmpegPath = findBinary(ffmpegName, options.env);
  if (!ffmpegPath) {
    throw new SwarmStartError(
      `ffmpeg was not found on PATH (${options.env?.PATH ?? process.env.PATH ?? ''}); every viewer is an ffmpeg process. ` +
        'Install it with: sudo apt-get install -y ffmpeg  (or run: hls-swarm doctor --fix)',
      { binary: ffmpegName },
    );
  }
  let version = 'unknown';
  try {
    const output = await runForOutput(ffmpegPath, ['-hide_banner', '-version']);
    version = /ffmpeg version (\S+)/.exec(output)?.[1] ?? 'unknown';
  } catch (error) {
    throw new SwarmStartError(
      `${ffmpegPath} -version failed: ${(error as Error).message}. Is it a working ffmpeg?`,
      {
        binary: ffmpegPath,
      },
    );
  }
  lines.push(`ffmpeg: ${ffmpegPath} (version ${version})`);

  const lightFiles = options.lightConnections ?? 0;
  const recommendedFiles = options.clients * OPEN_FILES_PER_CLIENT + lightFiles + OPEN_FILES_BASE;
  const requiredFiles = options.clients * OPEN_FILES_NEEDED_PER_CLIENT + lightFiles + OPEN_FILES_BASE;
  if (options.skipLimits) {
    const files = readLimit('Max open files');
    const tasks = readLimit('Max processes');
    lines.push(
      `limits: not checked (--skip-preflight): open files soft ${formatLimit(files.soft)}, ${recommendedFiles} recommended for ${options.clients} viewers`,
    );
    return {
      ffmpeg: { path: ffmpegPath, version },
      openFiles: { ...files, recommended: recommendedFiles, required: requiredFiles },
      processes: { ...tasks, required: 0, inUse: 0, enforced: false },
      lines,
    };
  }

  // Open files.
  let files = readLimit('Max open files');
  let filesRaisedFrom: number | undefined;
  if (files.soft < recommendedFiles && !options.dryRun) {
    const before = files.soft;
    if (raiseLimit('nofile', recommendedFiles, files)) {
      files = readLimit('Max open files');
      if (files.soft > before) filesRaisedFrom = before;
    }
  }
  if (files.soft < requiredFiles) {
    throw new SwarmStartError(
      `Open-files limit too low: ${options.clients} ${lightFiles > 0 ? `ffmpeg viewers and ${lightFiles} light-viewer connections` : 'viewers'} need at least ${requiredFiles} descriptors in this process ` +
        `(${recommendedFiles} recommended: ${OPEN_FILES_PER_CLIENT} per ${lightFiles > 0 ? 'ffmpeg viewer + 1 per light connection' : 'viewer'} + ${OPEN_FILES_BASE}); ` +
        `it has soft ${formatLimit(files.soft)}, hard ${formatLimit(files.hard)}, and could not raise it. ` +
        `Fix: run 'ulimit -n ${recommendedFiles}' in the shell first (as root, or after raising 'nofile' in /etc/security/limits.conf), or use fewer --clients.`,
      { limit: 'nofile', required: requiredFiles, recommended: recommendedFiles, ...files },
    );
  }
  lines.push(
    `open files: soft ${formatLimit(files.soft)} / hard ${formatLimit(files.hard)}, recommended ${recommendedFiles}` +
      (filesRaisedFrom !== undefined ? ` (raised from ${filesRaisedFrom} with prlimit)` : '') +
      (files.soft < recommendedFiles
        ? `; below the recommendation but above the ${requiredFiles} really needed (2 pipes per viewer in Node)`
        : ''),
  );

  // Processes (threads) of this user. Root is not held to RLIMIT_NPROC.
  const uid = process.getuid?.() ?? 0;
  const enforced = uid !== 0;
  const inUse = tasksOfUser(uid);
  const requiredTasks = inUse + options.clients * THREADS_PER_CLIENT;
  let tasks = readLimit('Max processes');
  let tasksRaisedFrom: number | undefined;
  if (enforced && tasks.soft < requiredTasks && !options.dryRun) {
    const before = tasks.soft;
    if (raiseLimit('nproc', requiredTasks, tasks)) {
      tasks = readLimit('Max processes');
      if (tasks.soft >= requiredTasks) tasksRaisedFrom = before;
    }
  }
  if (enforced && tasks.soft < requiredTasks) {
    throw new SwarmStartError(
      `Process limit too low: ${options.clients} viewers need about ${requiredTasks} tasks (${THREADS_PER_CLIENT} threads per ffmpeg + ${inUse} in use); ` +
        `'ulimit -u' is soft ${formatLimit(tasks.soft)}, hard ${formatLimit(tasks.hard)}. ` +
        `Fix: 'ulimit -u ${requiredTasks}' (raise 'nproc' in /etc/security/limits.conf if the hard limit is lower), or use fewer --clients.`,
      { limit: 'nproc', required: requiredTasks, ...tasks },
    );
  }
  lines.push(
    `processes: soft ${formatLimit(tasks.soft)} / hard ${formatLimit(tasks.hard)}, ${inUse} in use, need about ${requiredTasks}` +
      (enforced ? '' : ' (not enforced for root)') +
      (tasksRaisedFrom !== undefined ? ` (raised from ${tasksRaisedFrom} with prlimit)` : ''),
  );

  return {
    ffmpeg: { path: ffmpegPath, version },
    openFiles: {
      ...files,
      recommended: recommendedFiles,
      required: requiredFiles,
      raisedFrom: filesRaisedFrom,
    },
    processes: { ...tasks, required: requiredTasks, inUse, enforced, raisedFrom: tasksRaisedFrom },
    lines,
  };
}
