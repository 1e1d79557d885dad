import { constants } from 'node:os';

/*
 * SIGINT/SIGTERM for a process that must end in a report: the first signal starts an
 * interruption (the caller stops its run and writes the report) and the process then exits
 * with 128 + the signal number (130, 143), as shells and CI runners expect of a process a
 * signal ended. It waits at most `graceMs`; a second signal exits at once. Whatever is left
 * running then is the system watchdog's (see reaper.ts).
 */

export const INTERRUPT_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
export type InterruptSignal = (typeof INTERRUPT_SIGNALS)[number];

/** 128 + the signal's number: 130 for SIGINT, 143 for SIGTERM. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + constants.signals[signal];
}

export interface SignalInterruptionOptions {
  /** Starts each message, e.g. 'hls-swarm run: '. */
  prefix: string;
  /** Longest wait for the interrupted run to end after the first signal. */
  graceMs: number;
  /**
   * Called on the first signal: start stopping the run and return true, or return false when
   * there is nothing to wait for (the process then exits at once).
   */
  onInterrupt(signal: InterruptSignal): boolean;
  log(line: string): void;
  /** How to exit at once; default process.exit(code). */
  exitNow?(code: number, signal: InterruptSignal): void;
  /**
   * The first signal is the run's planned end (`run --duration 0`, until Ctrl-C): the run ends
   * as usual and its own exit code stands instead of 128 + the signal's number.
   */
  signalIsPlannedEnd?: boolean;
}

export class SignalInterruption {
  private received: InterruptSignal | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private installed = false;

  constructor(private readonly options: SignalInterruptionOptions) {}

  /** The first signal received, if any. */
  get signal(): InterruptSignal | undefined {
    return this.received;
  }

  /** 130/143 once a signal interrupted the run (never when the signal is its planned end). */
  get exitCode(): number | undefined {
    return this.received && !this.options.signalIsPlannedEnd ? signalExitCode(this.received) : undefined;
  }

  install(): this {
    if (this.installed) return this;
    this.installed = true;
    for (const signal of INTERRUPT_SIGNALS) process.on(signal, this.onSignal);
    return this;
  }

  uninstall(): void {
    if (!this.installed) return;
    this.installed = false;
    for (const signal of INTERRUPT_SIGNALS) process.off(signal, this.onSignal);
    clearTimeout(this.deadline);
  }

  private readonly onSignal = (signal: InterruptSignal): void => {
    const { prefix, graceMs, log } = this.options;
    if (this.received) {
      log(`${prefix}${signal} again: exiting now; the watchdog stops whatever is still running`);
      this.exit(signal);
      return;
    }
    if (!this.options.onInterrupt(signal)) {
      this.exit(signal);
      return;
    }
    this.received = signal;
    const code = this.exitCode;
    if (code !== undefined) {
      process.exitCode = code;
      // Whatever the interrupted run leaves in process.exitCode (a failed test sets 1), a
      // signal ends the process with 128 + its number.
      process.on('exit', () => {
        process.exitCode = code;
      });
    }
    log(
      `${prefix}${signal}: stopping the run and writing its report (up to ${Math.round(graceMs / 1000)} s; send ${signal} again to exit at once)`,
    );
    this.deadline = setTimeout(() => {
      log(`${prefix}the run did not stop within ${Math.round(graceMs / 1000)} s of ${signal}; exiting`);
      this.exit(signal);
    }, graceMs);
    // The deadline bounds the wait; it must not be what keeps the process alive.
    this.deadline.unref();
  };

  private exit(signal: InterruptSignal): void {
    const code = signalExitCode(this.received ?? signal);
    process.exitCode = code;
    if (this.options.exitNow) this.options.exitNow(code, signal);
    else process.exit(code);
  }
}
