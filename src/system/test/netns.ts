import { execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type OwnedProcess, spawnOwned } from '../owned-process.js';

/*
 * Test helpers for network namespaces a test makes itself (the only place load may go to an
 * address that is not 127.0.0.1): run the hls-swarm CLI inside one, and see what still runs there.
 */

const CLI = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));

export const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

/** PIDs of the processes inside namespace `ns`. */
export function pidsIn(ns: string): number[] {
  return execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map(Number);
}

/** `hls-swarm <args>` (from source) inside namespace `ns`, owned by the test. */
export function cliInNamespace(ns: string, args: string[], timeoutMs: number): OwnedProcess {
  return spawnOwned('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', CLI, ...args], {
    stdout: 'pipe',
    stderr: 'pipe',
    timeout: timeoutMs,
  });
}

/** `hls-swarm origin start <args>` inside `ns`, once it printed its ready line; with its access log path. */
export async function originInNamespace(
  ns: string,
  args: string[],
  /** How long the origin may live before its owner stops it (a test's whole duration). */
  timeoutMs = 180_000,
): Promise<{ origin: OwnedProcess; accessLog: string }> {
  const origin = cliInNamespace(ns, ['origin', 'start', ...args], timeoutMs);
  // The origin prints one JSON line once its playlist is live.
  const lines = createInterface({ input: origin.subprocess.stdout as Readable });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    origin.exited.then(() => reject(new Error('the origin exited before it was ready')));
  });
  return { origin, accessLog: (JSON.parse(first) as { accessLog: string }).accessLog };
}
