import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fitToColumns, renderDashboard } from './dashboard.js';
import type { ProgressUpdate } from './progress.js';
import { liveDashboardWanted } from './terminal-dashboard.js';

/*
 * The live dashboard's frames, from the progress updates of a real run (recorded by
 * src/report/test/record-progress.ts): an nginx origin with its node exporter behind a relay
 * that fails some segments with 404 and 503, thresholds that hold, break and wait.
 */
const recorded = JSON.parse(
  readFileSync(new URL('./test/fixtures/progress/faulty-origin.json', import.meta.url), 'utf8'),
) as { updates: ProgressUpdate[] };
const first = recorded.updates[0] as ProgressUpdate;
const last = recorded.updates.at(-1) as ProgressUpdate;

// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for them is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

describe('renderDashboard', () => {
  it('draws every figure of a steady update with a breach, one row each', () => {
    const lines = renderDashboard(last, { columns: 120 });
    expect(lines).toHaveLength(9);
    expect(lines[0]).toMatch(/^recorded faulty origin {3}steady {3}12s \/ 14s {3}2s left$/);
    expect(lines[1]).toBe(
      `viewers    ${last.clientsActive}/${last.clientsTarget} active   0 stalled   0 restarts`,
    );
    expect(lines[2]).toMatch(
      /^requests {3}segments \d+\.\d\/s {3}playlists \d+\.\d\/s {3}throughput \d+ kb\/s$/,
    );
    expect(lines[3]).toMatch(/^latency {4}segment p50 \d+(\.\d)?ms {3}p95 \d+(\.\d)?ms$/);
    expect(lines[4]).toBe(
      `errors     ${last.errorsTotal} failed requests (+${last.errorsInInterval})   http 404×7 503×3`,
    );
    // The relay's failed segments starved one viewer once: the player model rebuffered.
    expect(lines[5]).toMatch(
      /^qoe {8}rebuffering \d+\.\d+% \(1 stall\) {3}start failures 0 {3}live latency p50 \d+\.\d+s$/,
    );
    expect(lines[6]).toBe(`origin     cpu ${Math.round((last.originCpuUtilization ?? 0) * 100)}%`);
    expect(lines[7]).toMatch(/^generator {2}cpu \d+% {3}viewer cpu wait \d+% {3}event loop delay \d+ms$/);
    expect(lines[8]).toBe('thresholds 1/3 BREACHED so far: request_errors rate<0.01 (0.190)');
  });

  it('says which thresholds wait for their window, and leaves out what was not sampled yet', () => {
    // The first update: in warm-up, before the node exporter's second scrape gave a CPU delta.
    expect(first.originCpuUtilization).toBeUndefined();
    const lines = renderDashboard(first, { columns: 120 });
    expect(lines.some((line) => line.startsWith('origin'))).toBe(false);
    expect(lines[0]).toContain('   warmup   2s / 14s   12s left');
    expect(lines.at(-1)).toBe('thresholds 1/3 passing so far   2 not judged yet');
  });

  it('fits a narrow terminal: every line cut to its columns, no escape sequence', () => {
    for (const update of recorded.updates) {
      for (const columns of [40, 24]) {
        const lines = renderDashboard(update, { columns });
        for (const line of lines) {
          expect([...line].length).toBeLessThanOrEqual(columns);
          expect(line).not.toMatch(CONTROL);
        }
        expect(lines.filter((line) => line.endsWith('…')).length).toBeGreaterThan(0);
      }
    }
  });

  it('keeps escape sequences and line breaks from outside out of the frame', () => {
    const hostile = {
      ...last,
      scenario: 'evil\u001b[2J\u001b]0;title\u0007\nname',
      originProblem: 'nginx exited\r\n\u001b[31mred',
    };
    const lines = renderDashboard(hostile, { columns: 120 });
    for (const line of lines) expect(line).not.toMatch(CONTROL);
    expect(lines[0]).toMatch(/^evil +name {3}steady/);
    expect(lines.find((line) => line.startsWith('origin'))).toMatch(/problem: nginx exited +red$/);
  });

  it('shows an unbounded run (run --duration 0) without a remaining time', () => {
    const lines = renderDashboard({ ...last, totalSeconds: Number.POSITIVE_INFINITY }, { columns: 120 });
    expect(lines[0]).toContain('   12s elapsed, until Ctrl-C');
  });
});

describe('fitToColumns', () => {
  it('cuts with an ellipsis only what is longer', () => {
    expect(fitToColumns('abcdef', 6)).toBe('abcdef');
    expect(fitToColumns('abcdefg', 6)).toBe('abcde…');
    expect(fitToColumns('×'.repeat(5), 3)).toBe('××…');
  });
});

describe('liveDashboardWanted', () => {
  const tty = { isTTY: true };
  it('wants a terminal on every stream, outside CI, on a capable terminal', () => {
    expect(liveDashboardWanted([tty, tty], { TERM: 'xterm-256color' })).toBe(true);
    expect(liveDashboardWanted([tty, {}], { TERM: 'xterm-256color' })).toBe(false);
    expect(liveDashboardWanted([tty], { TERM: 'xterm', CI: 'true' })).toBe(false);
    expect(liveDashboardWanted([tty], { TERM: 'xterm', CI: '1' })).toBe(false);
    expect(liveDashboardWanted([tty], { TERM: 'xterm', CI: 'false' })).toBe(true);
    expect(liveDashboardWanted([tty], { TERM: 'dumb' })).toBe(false);
  });
});
