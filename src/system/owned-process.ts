import { execa, type Options, type ResultPromise } from 'execa';
import { ownProcessGroup, releaseProcessGroup } from './reaper.js';

export interface OwnedProcessOptions extends Omit<Options, 'detached' | 'cleanup' | 'reject'> {
  /** Time between SIGTERM and SIGKILL when stopping; default 3000 ms. */
  graceMs?: number;
}

export interface ExitInfo {
  exitCode: number | undefined;
  signal: string | undefined;
}

const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A normal exit (or an uncaught error) runs this synchronously: kill what is left at once.
  process.on('exit', () => {
    for (const pgid of liveGroups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {}
    }
  });
}

/**
 * A child process that this Node process owns: started in its own process group (so nginx's
 * workers or a shell's children go with it), registered with the watchdog (so it dies even
 * if we are SIGKILLed), and stopped with SIGTERM, a grace period, then SIGKILL to the group.
 * Group signalling is why this does not use execa's forceKillAfterDelay, which signals the
 * leader only.
 */
export class OwnedProcess {
  readonly pid: number;
  readonly subprocess: ResultPromise;
  readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | undefined;
  private readonly graceMs: number;

  constructor(
    readonly file: string,
    readonly args: readonly string[],
    options: OwnedProcessOptions = {},
  ) {
    const { graceMs = 3000, ...execaOptions } = options;
    this.graceMs = graceMs;
    installExitHook();
    this.subprocess = execa(file, args, {
      ...execaOptions,
      detached: true,
      cleanup: false,
      reject: false,
    } as Options) as ResultPromise;
    if (this.subprocess.pid === undefined) {
      // execa reports spawn errors (ENOENT...) through the promise; surface them the same way.
      this.pid = -1;
    } else {
      this.pid = this.subprocess.pid;
      liveGroups.add(this.pid);
      ownProcessGroup(this.pid);
    }
    this.exited = this.subprocess.then(
      (result) => this.onExit({ exitCode: result.exitCode, signal: result.signal ?? undefined }),
      () => this.onExit({ exitCode: undefined, signal: undefined }),
    );
  }

  private onExit(info: ExitInfo): ExitInfo {
    this.exitInfo = info;
    if (this.pid > 0) {
      // The leader is gone; kill any stragglers in its group before forgetting it.
      try {
        process.kill(-this.pid, 'SIGKILL');
      } catch {}
      liveGroups.delete(this.pid);
      releaseProcessGroup(this.pid);
    }
    return info;
  }

  get running(): boolean {
    return this.pid > 0 && this.exitInfo === undefined;
  }

  get exit(): ExitInfo | undefined {
    return this.exitInfo;
  }

  /** Sends a signal to the whole process group. */
  signal(signal: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      process.kill(-this.pid, signal);
    } catch {}
  }

  /** SIGTERM, wait up to the grace period, then SIGKILL; resolves when the leader has exited. */
  async stop(graceMs = this.graceMs): Promise<ExitInfo> {
    if (!this.running) return this.exited;
    this.signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace-over'>((resolve) => {
      timer = setTimeout(() => resolve('grace-over'), graceMs);
    });
    const first = await Promise.race([this.exited, graceOver]);
    clearTimeout(timer);
    if (first === 'grace-over') this.signal('SIGKILL');
    return this.exited;
  }
}

/** Starts a process owned by this Node process. */
export function spawnOwned(
  file: string,
  args: readonly string[],
  options?: OwnedProcessOptions,
): OwnedProcess {
  return new OwnedProcess(file, args, options);
}
