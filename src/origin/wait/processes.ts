import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BoundedLogFile,
  type OwnedProcess,
  ownDirectory,
  releaseDirectory,
  spawnOwned,
} from '../../system/index.js';
import type { OriginProcessStatus, OriginStatus } from '../types.js';
import { describeExit } from './exit.js';
import type { WatchedProcess } from './wait-for-all.js';

/*
 * The processes and folders one origin owns on this host (generator, server, exporters):
 * each process's output goes to its own bounded log, an unexpected exit is recorded as a
 * problem for status(), and stop() ends them all (SIGTERM → grace → SIGKILL per process
 * group) and removes the temporary folder — which the watchdog also removes if we are
 * SIGKILLed. Shared by the native drivers and the VM driver (QEMU or the Nix runner).
 */

interface Entry {
  name: string;
  process: OwnedProcess;
  log: BoundedLogFile;
  /** Where its stdout+stderr go. */
  logFile: string;
  /** The log status(), problems and waits point at (the process's own, or e.g. the VM console). */
  shownLog: ShownLog;
  exitedAtMs?: number;
}

/** A log as a user is pointed at it: `(console: /tmp/…/console.log)`. */
export interface ShownLog {
  label: string;
  file: string;
}

export interface StartOriginProcessOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Where stdout+stderr go. Default `<logDir>/<name>.log`. */
  logFile?: string;
  /** The log to point users at. Default `{ label: 'log', file: logFile }`. */
  shownLog?: ShownLog;
  /** Write `# <time> <file> <args>` as the log's first line. */
  logCommand?: boolean;
}

export interface OriginWorkspace {
  /** Temporary folder of this origin (removed on stop). */
  dir: string;
  /** Where logs go: `<dir>/logs` unless the caller gave a folder (which is kept). */
  logDir: string;
}

export class OriginProcesses {
  private readonly entries: Entry[] = [];
  private readonly problems: Array<{ entry: Entry; text: string }> = [];
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private readonly graceMs: number;
  readonly workspace: OriginWorkspace;

  /**
   * Creates `<tmp>/hls-swarm-<kind>-XXXX`, registered with the watchdog. It is made
   * world-readable (0755) because nginx started as root serves it from `nobody` workers;
   * `private: true` keeps it 0700 (the VM's QMP socket lives there).
   */
  constructor(
    readonly kind: string,
    options: { logDir?: string; graceMs?: number; private?: boolean } = {},
  ) {
    const dir = mkdtempSync(join(tmpdir(), `hls-swarm-${kind}-`));
    if (!options.private) chmodSync(dir, 0o755);
    ownDirectory(dir);
    const logDir = options.logDir ?? join(dir, 'logs');
    mkdirSync(logDir, { recursive: true });
    this.workspace = { dir, logDir };
    this.graceMs = options.graceMs ?? 3000;
  }

  /** A world-readable sub-folder of the workspace. */
  subdir(name: string): string {
    const path = join(this.workspace.dir, name);
    mkdirSync(path, { recursive: true, mode: 0o755 });
    chmodSync(path, 0o755);
    return path;
  }

  /** Starts `file args` owned by us, with stdout+stderr to `<logDir>/<name>.log` (or `logFile`). */
  start(
    name: string,
    file: string,
    args: readonly string[],
    options: StartOriginProcessOptions = {},
  ): OwnedProcess {
    const logFile = options.logFile ?? join(this.workspace.logDir, `${name}.log`);
    const log = new BoundedLogFile(logFile);
    if (options.logCommand) log.write(`# ${new Date().toISOString()} ${file} ${args.join(' ')}\n`);
    const owned = spawnOwned(file, args, {
      env: options.env ?? process.env,
      extendEnv: false,
      cwd: options.cwd,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      // Output goes to the bounded log, never into memory.
      buffer: false,
      graceMs: this.graceMs,
    });
    owned.subprocess.stdout?.on('data', (chunk: Buffer) => log.write(chunk));
    owned.subprocess.stderr?.on('data', (chunk: Buffer) => log.write(chunk));
    const shownLog = options.shownLog ?? { label: 'log', file: logFile };
    const entry: Entry = { name, process: owned, log, logFile, shownLog };
    this.entries.push(entry);
    void owned.exited.then((exit) => {
      entry.exitedAtMs = Date.now();
      if (!this.stopping && this.entries.includes(entry)) {
        const at = new Date(entry.exitedAtMs).toISOString();
        this.problems.push({
          entry,
          text: `${name} ${describeExit(exit, file)} at ${at} (${shownLog.label}: ${shownLog.file})`,
        });
      }
      // Let the last output land before closing the log.
      setTimeout(() => log.close(), 200).unref();
    });
    return owned;
  }

  /**
   * Stops a process that was replaced on purpose (the VM's KVM probe): it leaves status(), and
   * its exit, before or after, is no problem.
   */
  async retire(owned: OwnedProcess, graceMs: number): Promise<void> {
    const entry = this.entries.find((candidate) => candidate.process === owned);
    if (!entry) return;
    this.entries.splice(this.entries.indexOf(entry), 1);
    for (let i = this.problems.length - 1; i >= 0; i--)
      if (this.problems[i]?.entry === entry) this.problems.splice(i, 1);
    await owned.stop(graceMs);
    entry.log.close();
  }

  /** Log files (of each process's own output) by process name. */
  get logs(): Record<string, string> {
    return Object.fromEntries(this.entries.map((entry) => [entry.name, entry.logFile]));
  }

  /** The processes, for waitForAll's fail-fast watch. */
  watched(): WatchedProcess[] {
    return this.entries.map((entry) => ({
      name: entry.name,
      process: entry.process,
      logFile: entry.shownLog.file,
    }));
  }

  status(): OriginStatus {
    const processes: OriginProcessStatus[] = this.entries.map((entry) => {
      const exit = entry.process.exit;
      return {
        name: entry.name,
        ...(entry.process.pid > 0 ? { pid: entry.process.pid } : {}),
        running: entry.process.running,
        ...(exit?.exitCode !== undefined ? { exitCode: exit.exitCode } : {}),
        ...(exit?.signal !== undefined ? { signal: exit.signal } : {}),
        ...(entry.exitedAtMs !== undefined ? { exitedAtMs: entry.exitedAtMs } : {}),
        logFile: entry.shownLog.file,
      };
    });
    return {
      healthy: this.problems.length === 0,
      processes,
      problems: this.problems.map((problem) => problem.text),
    };
  }

  /** PIDs of every process started (for tests that check nothing is left). */
  get pids(): number[] {
    return this.entries.map((entry) => entry.process.pid).filter((pid) => pid > 0);
  }

  /**
   * Stops every process (in reverse start order, concurrently) and removes the workspace.
   * Idempotent. `beforeKill` asks politely first (the VM's power button); exits from then on
   * are not problems.
   */
  stop(beforeKill?: () => Promise<void>): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      await beforeKill?.();
      await Promise.all([...this.entries].reverse().map((entry) => entry.process.stop(this.graceMs)));
      for (const entry of this.entries) entry.log.close();
      rmSync(this.workspace.dir, { recursive: true, force: true });
      releaseDirectory(this.workspace.dir);
    })();
    return this.stopped;
  }
}

/** Host part for URLs to a server bound to `bind` (a wildcard bind is reached on loopback). */
export function urlHost(bind: string): string {
  if (bind === '0.0.0.0' || bind === '') return '127.0.0.1';
  if (bind === '::') return '[::1]';
  return bind.includes(':') ? `[${bind}]` : bind;
}
