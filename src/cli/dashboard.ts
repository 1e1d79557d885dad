import { liveDashboardWanted, type RunPhase, TerminalDashboard } from '../report/index.js';
import type { SwarmHandle } from '../swarm/index.js';

/*
 * `hls-swarm run` on a terminal: the live dashboard (report/terminal-dashboard.ts) replaces the
 * progress line printed every few seconds. Plain lines, exactly as before, whenever the output
 * is read by something other than a person at a terminal: stdout or stderr not a TTY, CI set,
 * --log-format json, or --log-commands (its lines on stdout would tear the frame on stderr).
 */

export interface RunDashboardChoice {
  logFormat: 'text' | 'json';
  logCommands?: boolean;
}

/** The dashboard on stderr (where the progress lines go), or undefined for plain lines. */
export function openRunDashboard(
  choice: RunDashboardChoice,
  streams: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream } = process,
  env: NodeJS.ProcessEnv = process.env,
): TerminalDashboard | undefined {
  if (choice.logFormat !== 'text' || choice.logCommands) return undefined;
  if (!liveDashboardWanted([streams.stdout, streams.stderr], env)) return undefined;
  return new TerminalDashboard(streams.stderr);
}

export interface SwarmDashboardOptions {
  /** Shown as the run's name (the stream URL, redacted). */
  title: string;
  startedMs: number;
  /** Planned run time; Infinity for --duration 0 (until Ctrl-C). */
  totalSeconds: number;
  intervalMs?: number;
}

/**
 * Feeds `dashboard` from a swarm started without a scenario (`hls-swarm run` without --report):
 * per-interval rates and percentiles by the runner's ProgressTracker. Returns the function that
 * draws the final frame and leaves it on screen.
 */
export async function showSwarmDashboard(
  dashboard: TerminalDashboard,
  swarm: SwarmHandle,
  options: SwarmDashboardOptions,
): Promise<() => void> {
  // The runner is loaded only here: its origin drivers are not needed by a plain run.
  const { ProgressTracker } = await import('../runner/index.js');
  const tracker = new ProgressTracker(options.title, options.totalSeconds, options.startedMs);
  const onRequest = tracker.onRequest.bind(tracker);
  swarm.on('request', onRequest);
  let phase: RunPhase = 'ramp';
  const onRampComplete = () => {
    phase = 'steady';
  };
  swarm.on('rampComplete', onRampComplete);
  const draw = (atMs: number, now: RunPhase) =>
    dashboard.update(tracker.update(swarm.snapshot(), atMs, now, options.startedMs));
  draw(Date.now(), phase);
  const timer = setInterval(() => draw(Date.now(), phase), options.intervalMs ?? 2000);
  return () => {
    clearInterval(timer);
    swarm.off('request', onRequest);
    swarm.off('rampComplete', onRampComplete);
    draw(Date.now(), 'done');
    dashboard.stop();
  };
}
