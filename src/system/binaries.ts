import { execFile } from 'node:child_process';
import { HlsSwarmError } from './errors.js';
import { locate } from './requirements.mjs';

/** A program we need is not installed. The message names it and the command that installs it. */
export class MissingBinaryError extends HlsSwarmError {
  override readonly name = 'MissingBinaryError';
  readonly code = 'HLS_SWARM_MISSING_BINARY';
  constructor(
    readonly binary: string,
    readonly debianPackage: string,
    readonly neededFor: string,
  ) {
    super(
      `${binary} was not found on PATH; it is needed for ${neededFor}. ` +
        `Install it with: sudo apt-get install -y ${debianPackage}  (or run: hls-swarm doctor --fix)`,
    );
  }
}

/** Absolute path of `binary` on PATH or in the sbin folders (where Debian puts nginx), or undefined. */
export function findBinary(binary: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (binary.includes('/')) return binary;
  return locate(binary, env);
}

/** `findBinary` or a MissingBinaryError naming the Debian package to install. */
export function requireBinary(
  binary: string,
  debianPackage: string,
  neededFor: string,
  env?: NodeJS.ProcessEnv,
): string {
  const path = findBinary(binary, env);
  if (!path) throw new MissingBinaryError(binary, debianPackage, neededFor);
  return path;
}

/** Runs `binary args` and returns stdout+stderr (many tools print versions to stderr). */
export function runForOutput(binary: string, args: string[], timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      args,
      { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        if (error && !output) reject(error);
        else resolve(output);
      },
    );
  });
}
