// A command run as a real process for a test (vitest, hls-swarm), owned (its own process
// group, the watchdog, stopped when the test ends) and tagged, so that whatever it starts can
// be found afterwards by the HLS_SWARM_TEST_TAG its children inherit.
import { randomUUID } from 'node:crypto';
import { onTestFinished } from 'vitest';
import { type OwnedProcess, spawnOwned } from '../index.js';
import { taggedLeftovers, waitUntil } from './processes.js';

export interface TaggedRunEnd {
  exitCode: number | undefined;
  signal: string | undefined;
  /** `name (pid)` of ffmpeg/nginx/python/exporter processes of the run still alive after it ended. */
  leftovers: string[];
}

export interface TaggedRun {
  readonly process: OwnedProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Waits until the output matches; throws with the output if it does not within timeoutMs. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<void>;
  /** Waits for the exit and looks for leftovers. */
  ended(): Promise<TaggedRunEnd>;
}

/** Variables of the Vitest running this test, which must not leak into a Vitest under test. */
const PARENT_ONLY = /^(VITEST|VITEST_.*|TEST|NODE_ENV|FORCE_COLOR)$/;

export function startTaggedRun(
  file: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): TaggedRun {
  const tag = randomUUID();
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !PARENT_ONLY.test(name)),
  ) as Record<string, string>;
  const owned = spawnOwned(file, args, {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: { ...env, NO_COLOR: '1', ...options.env, HLS_SWARM_TEST_TAG: tag },
    extendEnv: false,
    stdin: 'ignore',
    all: true,
    buffer: false,
  });
  onTestFinished(() => owned.stop().then(() => undefined));
  let output = '';
  owned.subprocess.all?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return {
    process: owned,
    output: () => output,
    async waitForOutput(pattern, timeoutMs) {
      const ended = owned.exited.then(() => true);
      let exited = false;
      void ended.then(() => {
        exited = true;
      });
      if (!(await waitUntil(() => pattern.test(output) || exited, timeoutMs, 200)) || !pattern.test(output))
        throw new Error(`no ${pattern} in the output within ${timeoutMs} ms:\n${output}`);
    },
    async ended() {
      const exit = await owned.exited;
      return { ...exit, leftovers: await taggedLeftovers(tag) };
    },
  };
}
