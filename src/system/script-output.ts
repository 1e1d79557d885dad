import type { Readable } from 'node:stream';

/** What a script said: all of its stdout, and the last lines of its stderr (for an error's log tail). */
export interface ScriptOutput {
  readonly stdout: string;
  readonly recentStderr: readonly string[];
}

/**
 * Follows a long-running script (the VM image build, the container base import): keeps its
 * stdout whole (it prints KEY=value results), the last `keepLines` stderr lines, and hands each
 * stderr line to `onStderrLine` as it comes, so progress can be passed on while it runs.
 */
export function followScriptOutput(
  subprocess: { stdout?: Readable | null; stderr?: Readable | null },
  onStderrLine: (line: string) => void,
  keepLines = 30,
): ScriptOutput {
  let stdout = '';
  const recent: string[] = [];
  let partial = '';
  subprocess.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  subprocess.stderr?.on('data', (chunk: Buffer) => {
    partial += chunk.toString('utf8');
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      recent.push(line);
      if (recent.length > keepLines) recent.shift();
      onStderrLine(line);
    }
  });
  return {
    get stdout() {
      return stdout;
    },
    // With a last line that had no newline yet (a script killed mid-line).
    get recentStderr() {
      return partial ? [...recent, partial] : recent;
    },
  };
}
