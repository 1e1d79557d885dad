// log-update (sindresorhus): redraws a block in place with minimal diffs, hides the cursor and
// restores it on exit, and can print lines above the block (persist); v7 supports Node 20, ESM.
import { createLogUpdate } from 'log-update';
import { renderDashboard } from './dashboard.js';
import type { ProgressUpdate } from './progress.js';

/*
 * The live dashboard on a terminal, shared by `hls-swarm run` and the Vitest reporter (both may
 * import the report layer). It redraws one frame in place at every progress update, advances the
 * clock every second in between, prints other lines above the frame, and on stop() leaves the
 * last frame on screen with the cursor shown again, so the summary follows below it.
 */

/** Whether a live dashboard should replace the plain progress lines: a terminal, outside CI. */
export function liveDashboardWanted(
  streams: readonly { isTTY?: boolean }[],
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
  return streams.every((stream) => stream.isTTY === true) && !ci && env.TERM !== 'dumb';
}

/** Phases whose clock runs between two updates. */
const RUNNING_PHASES = new Set(['ramp', 'warmup', 'steady']);

export class TerminalDashboard {
  private readonly draw: ReturnType<typeof createLogUpdate>;
  private latest: { update: ProgressUpdate; receivedMs: number } | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private readonly onResize = () => this.render();

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly now: () => number = Date.now,
  ) {
    this.draw = createLogUpdate(stream);
  }

  /** True while a frame is on screen (between the first update and stop()). */
  get active(): boolean {
    return this.latest !== undefined;
  }

  /** Redraws the frame with `update`; the first update starts the dashboard. */
  update(update: ProgressUpdate): void {
    if (!this.latest) {
      this.ticker = setInterval(() => this.render(), 1000).unref();
      this.stream.on('resize', this.onResize);
    }
    this.latest = { update, receivedMs: this.now() };
    this.render();
  }

  /** A line above the frame (a log line); plain when no frame is on screen. */
  log(line: string): void {
    if (!this.latest) {
      this.stream.write(`${line}\n`);
      return;
    }
    this.draw.persist(line);
    this.render();
  }

  /** Leaves the last frame on screen and shows the cursor again; update() starts a new frame. */
  stop(): void {
    if (!this.latest) return;
    this.render();
    this.draw.done();
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    this.stream.off('resize', this.onResize);
    this.latest = undefined;
  }

  private render(): void {
    if (!this.latest) return;
    const { update, receivedMs } = this.latest;
    const sinceUpdateSeconds = RUNNING_PHASES.has(update.phase) ? (this.now() - receivedMs) / 1000 : 0;
    const elapsedSeconds = Math.min(update.totalSeconds, update.elapsedSeconds + sinceUpdateSeconds);
    const lines = renderDashboard({ ...update, elapsedSeconds }, { columns: this.stream.columns ?? 80 });
    this.draw(lines.join('\n'));
  }
}
