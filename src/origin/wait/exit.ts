/** How a process ended, as far as we know: its code, or the signal that killed it (neither: it never started). */
export interface ProcessExit {
  exitCode?: number | undefined;
  signal?: string | undefined;
}

/**
 * "was killed by SIGKILL", "exited with code 3", "could not be started (qemu-system-x86_64)":
 * the one wording every origin uses for a process that ended, after its name. `undefined` (the
 * exit is not known yet) reads "exited".
 */
export function describeExit(exit: ProcessExit | undefined, file?: string): string {
  if (!exit) return 'exited';
  if (exit.signal !== undefined) return `was killed by ${exit.signal}`;
  if (exit.exitCode === undefined) return `could not be started${file ? ` (${file})` : ''}`;
  return `exited with code ${exit.exitCode}`;
}
