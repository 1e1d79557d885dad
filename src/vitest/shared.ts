/*
 * What crosses between the main process (plugin, reporter) and the test workers (fixtures,
 * scenario(), matcher): only serialisable values — provided options, task meta, report files
 * and console lines marked with PROGRESS_PREFIX.
 */
import type { Verdict } from '../report/index.js';

/** Lines the worker logs with this prefix are printed plainly by the reporter (progress, phases). */
export const PROGRESS_PREFIX = '[hls-swarm] ';

/** A progress update as JSON after this prefix: the reporter's live dashboard draws it (`dashboard`). */
export const DASHBOARD_PREFIX = `${PROGRESS_PREFIX}dashboard `;

/**
 * Reason the main process gives `vitest.cancelCurrentRun` on SIGINT/SIGTERM, followed by the
 * signal's name; the worker side names the signal in the report's reason.
 */
export const SIGNAL_CANCEL_PREFIX = 'hls-swarm:signal:';

/** Options the plugin provides to the workers (`inject('hlsSwarm')`). */
export interface HlsSwarmProvided {
  /** Absolute folder of reports/<file-stem>/<test-slug>.json. */
  reportDir: string;
  /** Project root: report paths and file names are shown relative to it. */
  root: string;
  /** Print live progress lines. */
  progress: boolean;
  /** The reporter draws a live dashboard (set by it on a terminal): send progress as DASHBOARD_PREFIX lines. */
  dashboard?: boolean;
}

/** Task meta a scenario test leaves for the reporter. */
export interface HlsSwarmTaskMeta {
  scenario: string;
  reportPath: string;
  verdict: Verdict;
}

declare module 'vitest' {
  interface ProvidedContext {
    hlsSwarm: HlsSwarmProvided;
  }
}

/** Reads our entry of a task's meta (kept untyped in vitest's TaskMeta on purpose: no global augmentation). */
export function hlsSwarmMeta(meta: object): HlsSwarmTaskMeta | undefined {
  return (meta as { hlsSwarm?: HlsSwarmTaskMeta }).hlsSwarm;
}
