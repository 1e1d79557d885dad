import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { useTinyNginxOrigin } from '../origin/test/tiny-nginx.js';
import { alive, taggedLeftovers, waitUntil } from '../system/test/processes.js';

/*
 * The live dashboard in a real terminal: the built CLI (`npm run build` makes dist/) runs in a
 * tmux pane of 120x30 against a local nginx origin; the pane is read as a person would see it.
 * The frame must be there once (redrawn, not appended), hold no raw escape sequence, hide the
 * cursor while it runs, and after Ctrl-C stay above the summary with the cursor shown again.
 * The tmux server is the test's own (a socket of its own, no user config), killed at the end.
 */
const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const origin = useTinyNginxOrigin();

const folder = mkdtempSync(join(tmpdir(), 'hls-swarm-dashboard-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** The pane's environment: a person's terminal, not CI or the Vitest under which this runs. */
function terminalEnv(tag: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(CI|TMUX|TMUX_PANE|VITEST|VITEST_.*|TEST|NODE_ENV|FORCE_COLOR|NO_COLOR)$/.test(name),
    ),
  );
  return { ...env, HLS_SWARM_TEST_TAG: tag };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const RAW_ESCAPE = /\u001b|\^\[|\[\d*(?:;\d+)*[ABCDGHJKm]|\[\?\d+[hl]/;

describe('hls-swarm run on a terminal (tmux)', () => {
  it('redraws one dashboard in place, leaves it above the summary at Ctrl-C, restores the cursor', async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run 'npm run build' first`);
    const tag = randomUUID();
    const config = join(folder, 'tmux.conf');
    writeFileSync(config, 'set -g history-limit 2000\n');
    const socket = `hls-swarm-test-${tag}`;
    const env = terminalEnv(tag);
    const tmux = (...args: string[]) =>
      execFileSync('tmux', ['-L', socket, '-f', config, ...args], { env, encoding: 'utf8' });
    const screen = () => tmux('capture-pane', '-p', '-t', 'run');
    const everything = () => tmux('capture-pane', '-p', '-t', 'run', '-S', '-');
    const paneFormat = (format: string) => tmux('display-message', '-p', '-t', 'run', format).trim();
    let pid: number | undefined;
    try {
      // bash runs the CLI in the foreground (Ctrl-C reaches it), then says how it ended and
      // stays: a live pane tells the cursor's state truly (a dead pane's does not).
      tmux(
        ...['new-session', '-d', '-s', 'run', '-x', '120', '-y', '30'],
        ...['bash', '-c', '"$@"; echo "hls-swarm exited with $?"; exec sleep 60', 'bash'],
        ...[process.execPath, MAIN, 'run', origin().streamUrl],
        ...['--clients', '2', '--ramp-rate', '2', '--duration', '60s', '--metrics', '0', '--skip-preflight'],
      );
      const shell = paneFormat('#{pane_pid}');
      const cliPid = () =>
        Number(execFileSync('ps', ['-o', 'pid=', '--ppid', shell], { encoding: 'utf8' }).trim()) || undefined;
      expect(await waitUntil(() => cliPid() !== undefined, 5_000, 100)).toBe(true);
      pid = cliPid();

      // A frame with segment timings, then the same frame redrawn by its 1 s clock.
      const framed = await waitUntil(() => /^latency +segment p50 \d/m.test(screen()), 15_000, 250);
      expect(framed, screen()).toBe(true);
      const clock = (text: string) => /^hls-swarm run \S+ {3}\w+ {3}(\d+s) \/ 1m00s/m.exec(text)?.[1];
      const before = clock(screen());
      expect(await waitUntil(() => clock(screen()) !== before, 5_000, 250), screen()).toBe(true);
      const running = screen();
      expect(running.match(/^hls-swarm run http:\/\/127\.0\.0\.1:\d+\/\S+ {3}(ramp|steady) /gm)).toHaveLength(
        1,
      );
      expect(running.match(/^viewers +2\/2 active {3}0 stalled {3}0 restarts$/gm)).toHaveLength(1);
      expect(running.match(/^requests +segments \d/gm)).toHaveLength(1);
      expect(running).not.toMatch(RAW_ESCAPE);
      expect(running).not.toMatch(/hls-swarm: \d+s {2}viewers/); // no plain progress line
      expect(paneFormat('#{cursor_flag}')).toBe('0');

      tmux('send-keys', '-t', 'run', 'C-c');
      expect(await waitUntil(() => /hls-swarm exited with/.test(screen()), 15_000, 250)).toBe(true);
      expect(alive(pid as number)).toBe(false);
      const final = everything();
      expect(final).toContain('hls-swarm exited with 130');
      expect(final).not.toMatch(RAW_ESCAPE);
      const frames = final.match(/^hls-swarm run http:\/\/127\.0\.0\.1:\d+\/\S+ {3}done /gm) ?? [];
      expect(frames, final).toHaveLength(1);
      expect(final.match(/^viewers +\d\/2 active/gm)).toHaveLength(1);
      expect(final.indexOf('hls-swarm run summary')).toBeGreaterThan(final.indexOf(frames[0] as string));
      expect(final).toMatch(/hls-swarm run: SIGINT/);
      expect(paneFormat('#{cursor_flag}')).toBe('1');
      expect(await taggedLeftovers(tag)).toEqual([]);
    } finally {
      try {
        tmux('kill-server');
      } catch {}
      if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
    }
  }, 45_000);
});
