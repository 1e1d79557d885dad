/* What every bench script does at its edges: read a positive number flag, and run its main. */

/** The flag `--name` as a positive number; exits 2 with the usage when it is not one. */
export function positiveNumberFlag(values: Record<string, unknown>, name: string, usage: string): number {
  const value = Number(values[name]);
  if (!Number.isFinite(value) || value <= 0) {
    process.stderr.write(`--${name} must be a positive number, got '${values[name]}'\n\n${usage}`);
    process.exit(2);
  }
  return value;
}

/** Runs a bench's main: exit 0 when it resolves, 1 with the error when it throws. */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(
        `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
