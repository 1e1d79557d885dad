import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFifos, PolledPipe, spawnOwned } from './index.js';
import { alive, waitUntil } from './test/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'hls-swarm-fifo-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Drains `pipe` every `everyMs` until EOF; returns what was read, in order. */
async function drainToEnd(pipe: PolledPipe, everyMs: number, limitMs = 20_000): Promise<string> {
  let text = '';
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    if (pipe.drain((chunk) => (text += chunk.toString('utf8'))) === 'eof') return text;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`no EOF within ${limitMs} ms (read ${text.length} chars)`);
}

/** Runs `script` in sh with its stderr on the pipe's write end, which then only the child holds. */
function shellWritingInto(pipe: PolledPipe, script: string) {
  const child = spawnOwned('sh', ['-c', script], {
    stdio: ['ignore', 'ignore', pipe.childFd as unknown as 'pipe'],
    buffer: false,
  });
  pipe.closeWriteEnd();
  return child;
}

describe('PolledPipe (a FIFO read by polling)', () => {
  it('makes FIFOs with mkfifo, mode 0600, many in one go', async () => {
    const paths = Array.from({ length: 600 }, (_, index) => join(dir, `many-${index}`));
    await createFifos(paths);
    for (const path of [paths[0]!, paths[599]!]) {
      const stat = statSync(path);
      expect(stat.isFIFO()).toBe(true);
      expect(stat.mode & 0o777).toBe(0o600);
    }
  });

  it("hands over a real child's stderr in order, answers 'open' while it is quiet, then 'eof'", async () => {
    const path = join(dir, 'child');
    await createFifos([path]);
    const pipe = new PolledPipe(path);
    const child = shellWritingInto(pipe, 'for i in $(seq 1 2000); do echo "line $i" >&2; done; sleep 1');
    let text = '';
    const read = () => pipe.drain((chunk) => (text += chunk.toString('utf8')));
    expect(await waitUntil(() => read() === 'open' && text.endsWith('line 2000\n'), 5000)).toBe(true);
    // All written, the child still alive and quiet (sleeping): nothing to read, but not the end.
    expect(alive(child.pid)).toBe(true);
    expect(read()).toBe('open');
    text += await drainToEnd(pipe, 50);
    expect((await child.exited).exitCode).toBe(0);
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(2000);
    expect(lines[0]).toBe('line 1');
    expect(lines[1999]).toBe('line 2000');
    pipe.close();
  });

  it('a writer that filled the pipe (64 KiB) waits, and goes on once polled: nothing is lost', async () => {
    const path = join(dir, 'full');
    await createFifos([path]);
    const pipe = new PolledPipe(path);
    // 200 000 × 'x' + newline: three times the pipe's capacity, written before the first poll.
    const child = shellWritingInto(pipe, 'head -c 200000 /dev/zero | tr "\\0" x >&2; echo >&2');
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Blocked on the full pipe, not finished.
    expect(alive(child.pid)).toBe(true);
    const text = await drainToEnd(pipe, 20);
    expect(text).toBe(`${'x'.repeat(200_000)}\n`);
    expect(await waitUntil(() => !alive(child.pid), 5000)).toBe(true);
    pipe.close();
  });

  it('is reusable: the same FIFO serves the next run once the first reached EOF', async () => {
    const path = join(dir, 'reuse');
    await createFifos([path]);
    for (const word of ['first', 'second']) {
      const pipe = new PolledPipe(path);
      const child = shellWritingInto(pipe, `echo ${word} >&2`);
      expect(await drainToEnd(pipe, 20)).toBe(`${word}\n`);
      await child.exited;
      pipe.close();
    }
  });
});
