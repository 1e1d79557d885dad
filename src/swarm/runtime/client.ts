import type { Readable } from 'node:stream';
import {
  type ExitInfo,
  type OwnedProcess,
  PolledPipe,
  seededRandom,
  setAutogroupNice,
  spawnOwned,
} from '../../system/index.js';
import type { ExitCategory, RequestRecord } from '../types.js';
import { attemptForRestart, type BackoffPolicy, restartDelayMs } from './backoff.js';
import { hashClientId } from './ramp.js';

/*
 * One supervised viewer: spawns its ffmpeg as an owned process (own process group, watchdog),
 * feeds stderr and the fd-3 progress pipe to its parser as the bytes arrive (so ffmpeg never
 * blocks on a full pipe), and restarts it with backoff when it exits while it should run.
 * With `logFifo`, stderr goes into that FIFO instead and is read when the swarm polls
 * (`pollLog`): no wake-up per write, but lines are stamped with the poll time (untimed).
 */

/** What the client needs from an output parser (A1's ClientOutputParser fits). */
export interface ClientParser {
  logChunk(chunk: Buffer | string, atMs: number): void;
  progressChunk(chunk: Buffer | string, atMs: number): void;
  end(atMs: number): void;
  readonly droppedLines: number;
}

export interface ClientCommandLine {
  file: string;
  args: string[];
}

export interface ClientRunInfo {
  clientId: number;
  pid: number;
  atMs: number;
  restart: boolean;
  /** Spawned with the gated command: it waits at the start gate until released. */
  held: boolean;
}

export interface ClientExitInfo {
  clientId: number;
  atMs: number;
  exitCode?: number;
  signal?: string;
  category: ExitCategory;
  uptimeMs: number;
  /** Whether the supervisor will start it again. */
  willRestart: boolean;
  restartDelayMs?: number;
  /** We ended this run (stop, or a restart on stall), not the viewer itself. */
  stoppedByUs: boolean;
}

export interface ClientHooks {
  /** A fresh parser per process run (each run's output is a new stream). */
  createParser(clientId: number): ClientParser;
  onStarted(info: ClientRunInfo): void;
  onExited(info: ClientExitInfo): void;
  /** Called when the spawn itself failed (e.g. EAGAIN, EMFILE). */
  onSpawnError?(clientId: number, error: unknown): void;
  /** Whether this run's autogroup nice could be set (only with autogroupNice). */
  onPriority?(lowered: boolean): void;
}

export interface ClientOptions {
  clientId: number;
  command: ClientCommandLine;
  restartEnabled: boolean;
  maxRestarts?: number;
  backoff: BackoffPolicy;
  stopGraceMs: number;
  env?: NodeJS.ProcessEnv;
  now?: () => number;
  /** Injected for tests: the backoff jitter source; default seeded by the client id. */
  random?: () => number;
  /** A FIFO (see PolledPipe) for stderr, read by `pollLog()` instead of as it arrives. */
  logFifo?: string;
  /**
   * The command whose input is the start gate: used until the gate released this viewer once
   * (a viewer that dies while held comes back to the gate); later runs go straight to the origin.
   */
  gatedCommand?: ClientCommandLine;
  /** Autogroup nice of each run (see system/autogroup.ts); 0 or absent leaves it alone. */
  autogroupNice?: number;
}

type ClientState = 'idle' | 'running' | 'backoff' | 'stopping' | 'stopped';

export class SupervisedClient {
  readonly clientId: number;
  private state: ClientState = 'idle';
  private process: OwnedProcess | undefined;
  private parser: ClientParser | undefined;
  private logPipe: PolledPipe | undefined;
  private spawnedAtMs = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private quickExits = 0;
  private restartPending = false;
  /** Dropped lines of finished runs (a run's parser is replaced on restart). */
  private droppedLinesDone = 0;
  /** The most recent failure reason seen in this run's output, for the exit category. */
  private lastFailure: RequestRecord['error'] | undefined;
  private stopRequested = false;
  private exitedOnce: Promise<void> = Promise.resolve();
  /** Whether the gate has let this viewer through (always, for a viewer without a gate). */
  private releasedOnce: boolean;
  restarts = 0;
  runs = 0;
  readonly now: () => number;
  private readonly random: () => number;

  constructor(
    private readonly options: ClientOptions,
    private readonly hooks: ClientHooks,
  ) {
    this.clientId = options.clientId;
    this.releasedOnce = options.gatedCommand === undefined;
    this.now = options.now ?? Date.now;
    this.random = options.random ?? seededRandom(hashClientId(options.clientId, 0x52535452));
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** Running, or waiting to restart: the client counts toward the fleet. */
  get wanted(): boolean {
    return this.state === 'running' || this.state === 'backoff';
  }

  /** Running and waiting at the start gate: not a viewer yet. */
  get held(): boolean {
    return this.state === 'running' && !this.releasedOnce;
  }

  /** Running and past the start gate: a viewer that counts as active. */
  get playing(): boolean {
    return this.state === 'running' && this.releasedOnce;
  }

  /** Whether the gate has let this viewer through once (always true without a gate). */
  get passedGate(): boolean {
    return this.releasedOnce;
  }

  /** The gate let this run through at `atMs`: start-up is measured from here. */
  markReleased(atMs: number): void {
    this.releasedOnce = true;
    this.spawnedAtMs = atMs;
  }

  get pid(): number | undefined {
    return this.process?.running ? this.process.pid : undefined;
  }

  get droppedLines(): number {
    return this.droppedLinesDone + (this.parser?.droppedLines ?? 0);
  }

  /** Spawn time of the current run, or its release by the start gate (epoch ms). */
  get runStartedAtMs(): number {
    return this.spawnedAtMs;
  }

  /** The parser calls this (through the swarm) when a request failed, to categorise the exit. */
  noteFailure(reason: RequestRecord['error']): void {
    this.lastFailure = reason;
  }

  start(): void {
    if (this.state === 'running' || this.state === 'stopping') return;
    this.stopRequested = false;
    this.spawn(false);
  }

  /** Kills the current run and starts a new one right away (restart-on-stall). */
  restartNow(): void {
    if (this.state !== 'running' || !this.process) return;
    this.restartPending = true;
    void this.process.stop(this.options.stopGraceMs);
  }

  /** SIGTERM, grace, SIGKILL; no restart afterwards. Resolves when the process has exited. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    if (this.state === 'running' && this.process) {
      this.state = 'stopping';
      await this.process.stop(this.options.stopGraceMs);
    }
    await this.exitedOnce;
    this.state = 'stopped';
  }

  private spawn(restart: boolean): void {
    this.restartTimer = undefined;
    const { file, args } = this.releasedOnce
      ? this.options.command
      : (this.options.gatedCommand ?? this.options.command);
    const held = !this.releasedOnce;
    const atMs = this.now();
    this.spawnedAtMs = atMs;
    this.lastFailure = undefined;
    this.restartPending = false;
    const parser = this.hooks.createParser(this.clientId);
    this.parser = parser;
    let child: OwnedProcess;
    try {
      const logPipe = this.options.logFifo ? new PolledPipe(this.options.logFifo) : undefined;
      this.logPipe = logPipe;
      child = spawnOwned(file, args, {
        // execa passes a file descriptor through as it is; its types list only 3-9 for stdio items.
        stdio: ['ignore', 'ignore', (logPipe ? logPipe.childFd : 'pipe') as 'pipe', 'pipe'],
        buffer: false,
        stripFinalNewline: false,
        graceMs: this.options.stopGraceMs,
        env: this.options.env,
        extendEnv: this.options.env === undefined,
      });
      // Only the child may hold the write end: EOF then means it is gone.
      logPipe?.closeWriteEnd();
      if (this.options.autogroupNice) {
        const lowered = setAutogroupNice(child.pid, this.options.autogroupNice);
        this.hooks.onPriority?.(lowered);
      }
    } catch (error) {
      this.hooks.onSpawnError?.(this.clientId, error);
      this.afterExit({ exitCode: undefined, signal: undefined }, true);
      return;
    }
    this.process = child;
    this.runs++;
    if (restart) this.restarts++;
    this.state = 'running';
    const stderr = child.subprocess.stderr as Readable | null;
    const progress = child.subprocess.stdio[3] as Readable | null | undefined;
    // Read both as they arrive; the parsers are bounded, so ffmpeg is never blocked by us.
    stderr?.on('data', (chunk: Buffer) => parser.logChunk(chunk, this.now()));
    progress?.on('data', (chunk: Buffer) => parser.progressChunk(chunk, this.now()));
    stderr?.on('error', () => {});
    progress?.on('error', () => {});
    const spawnFailed = child.pid <= 0;
    if (!spawnFailed) this.hooks.onStarted({ clientId: this.clientId, pid: child.pid, atMs, restart, held });
    this.exitedOnce = child.exited.then((info) => {
      // Let stream 'data' events queued before the exit reach the parser first.
      return new Promise<void>((resolve) =>
        setImmediate(() => {
          this.afterExit(info, spawnFailed);
          resolve();
        }),
      );
    });
  }

  /** Hands what the log FIFO holds now to the parser (a no-op for a viewer read as it arrives). */
  pollLog(atMs: number = this.now()): void {
    const parser = this.parser;
    if (!this.logPipe || !parser) return;
    if (this.logPipe.drain((chunk) => parser.logChunk(chunk, atMs)) === 'eof') this.closeLogPipe();
  }

  private closeLogPipe(): void {
    this.logPipe?.close();
    this.logPipe = undefined;
  }

  private categorise(info: ExitInfo, spawnFailed: boolean): ExitCategory {
    if (spawnFailed) return 'spawn_failed';
    if (this.stopRequested || this.restartPending) return 'clean';
    if (info.signal) return 'signal';
    if (info.exitCode === 0) return 'clean';
    switch (this.lastFailure) {
      case 'http':
        return 'http_error';
      case 'connect':
        return 'network';
      case 'timeout':
        return 'timeout';
      default:
        return 'error';
    }
  }

  private afterExit(info: ExitInfo, spawnFailed: boolean): void {
    const atMs = this.now();
    const uptimeMs = atMs - this.spawnedAtMs;
    // The child has exited, so every writer is closed: this reads the FIFO to its end.
    this.pollLog(atMs);
    this.closeLogPipe();
    this.parser?.end(atMs);
    this.droppedLinesDone += this.parser?.droppedLines ?? 0;
    this.parser = undefined;
    this.process = undefined;
    const category = this.categorise(info, spawnFailed);
    const restartForStall = this.restartPending && !this.stopRequested;
    const mayRestart =
      !this.stopRequested &&
      (restartForStall || this.options.restartEnabled) &&
      (this.options.maxRestarts === undefined || this.restarts < this.options.maxRestarts);
    let delayMs: number | undefined;
    if (mayRestart) {
      if (restartForStall) delayMs = 0;
      else {
        const attempt = attemptForRestart(this.quickExits, uptimeMs, this.options.backoff);
        delayMs = restartDelayMs(attempt, this.options.backoff, this.random);
        this.quickExits = attempt + 1;
      }
    }
    this.hooks.onExited({
      clientId: this.clientId,
      atMs,
      exitCode: info.exitCode,
      signal: info.signal,
      category,
      uptimeMs,
      willRestart: mayRestart,
      restartDelayMs: delayMs,
      stoppedByUs: this.stopRequested || this.restartPending,
    });
    if (mayRestart && delayMs !== undefined) {
      this.state = 'backoff';
      this.restartTimer = setTimeout(() => {
        if (this.state === 'backoff' && !this.stopRequested) this.spawn(true);
      }, delayMs);
    } else {
      this.state = 'stopped';
    }
  }
}
