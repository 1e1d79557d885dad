import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import { tailFile } from '../../system/index.js';
import { OriginStartError } from '../errors.js';
import { describeExit, type ProcessExit } from './exit.js';
import type { CheckResult, WaitStrategy } from './strategies.js';

/** A process whose death while waiting fails the wait at once (instead of at the timeout). */
export interface WatchedProcess {
  name: string;
  process: { readonly running: boolean; readonly exit?: ProcessExit | undefined };
  logFile?: string;
}

export interface WaitForAllOptions {
  /** One overall deadline for every strategy together. */
  timeoutMs: number;
  /** Origin kind, for the error. */
  kind?: string;
  signal?: AbortSignal;
  /** Delay between attempts of a strategy that is not ready yet. Default 250 ms. */
  pollIntervalMs?: number;
  /** Per-attempt HTTP timeout. Default 2000 ms. */
  attemptTimeoutMs?: number;
  /** Processes that must stay alive while waiting. */
  watch?: WatchedProcess[];
  /** Lines of each log to show on failure. Default 20. */
  tailLines?: number;
}

async function logSections(entries: Array<{ logFile?: string }>, lines: number): Promise<string> {
  const seen = new Set<string>();
  const sections: string[] = [];
  for (const { logFile } of entries) {
    if (!logFile || seen.has(logFile)) continue;
    seen.add(logFile);
    const tail = await tailFile(logFile, lines);
    sections.push(`--- last lines of ${logFile} ---\n${tail || '(empty)'}`);
  }
  return sections.join('\n');
}

/**
 * Polls every strategy until all are ready, under one overall timeout. On timeout the
 * OriginStartError names each strategy that did not come up, its last reason, and the tail of
 * its log; a watched process that dies fails the wait at once with its own log tail.
 * Resolves with each strategy's ready detail.
 */
export async function waitForAll(strategies: WaitStrategy[], options: WaitForAllOptions): Promise<string[]> {
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 2000;
  const tailLines = options.tailLines ?? 20;
  const deadline = Date.now() + options.timeoutMs;
  const stop = new AbortController();
  const onAbort = () => stop.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const dispatcher = new Agent({ keepAliveTimeout: 1000, connections: 4 });

  const last: Array<CheckResult | undefined> = strategies.map(() => undefined);
  const details: string[] = strategies.map(() => '');
  let deadProcess: WatchedProcess | undefined;

  const deadWatched = () => options.watch?.find((watched) => !watched.process.running);

  const runOne = async (index: number): Promise<void> => {
    const strategy = strategies[index] as WaitStrategy;
    while (!stop.signal.aborted) {
      const result = await strategy.check({ signal: stop.signal, dispatcher, attemptTimeoutMs });
      last[index] = result;
      if (result.ready) {
        details[index] = result.detail ?? strategy.description;
        return;
      }
      if (Date.now() >= deadline) return;
      await sleep(Math.min(pollIntervalMs, Math.max(0, deadline - Date.now())), undefined, {
        signal: stop.signal,
      }).catch(() => {});
    }
  };

  // A watcher ends the wait early if a watched process dies or the caller aborts.
  const watcher = (async () => {
    while (!stop.signal.aborted) {
      deadProcess = deadWatched();
      if (deadProcess) {
        stop.abort(new Error('process died'));
        return;
      }
      await sleep(100, undefined, { signal: stop.signal }).catch(() => {});
    }
  })();

  try {
    await Promise.all(strategies.map((_, index) => runOne(index)));
  } finally {
    // Either everything finished (ready or deadline) or we were aborted: stop the watcher.
    const endedByWatcher = stop.signal.aborted;
    if (!endedByWatcher) stop.abort(new Error('done'));
    await watcher;
    options.signal?.removeEventListener('abort', onAbort);
    await dispatcher.close().catch(() => {});
  }

  deadProcess = deadProcess ?? deadWatched();
  if (deadProcess) {
    const logs = await logSections([deadProcess], tailLines);
    throw new OriginStartError(
      `${options.kind ? `${options.kind} origin: ` : ''}${deadProcess.name} ${describeExit(deadProcess.process.exit)} before the origin was ready.\n${logs}`,
      { kind: options.kind, part: deadProcess.name, logFile: deadProcess.logFile },
    );
  }
  if (options.signal?.aborted) {
    throw new OriginStartError(`${options.kind ? `${options.kind} origin: ` : ''}start was aborted`, {
      kind: options.kind,
      part: 'abort',
    });
  }
  const pending = strategies.flatMap((strategy, index) => {
    const result = last[index];
    return result?.ready
      ? []
      : [{ strategy, reason: result && !result.ready ? result.reason : 'not checked' }];
  });
  if (pending.length > 0) {
    const lines = pending.map(({ strategy, reason }) => `  - ${strategy.description}: ${reason}`);
    const logs = await logSections(
      pending.map(({ strategy }) => strategy),
      tailLines,
    );
    throw new OriginStartError(
      `${options.kind ? `${options.kind} origin: ` : ''}not ready after ${Math.round(options.timeoutMs / 100) / 10} s; waiting for:\n${lines.join('\n')}${logs ? `\n${logs}` : ''}`,
      { kind: options.kind, part: pending[0]?.strategy.description, logFile: pending[0]?.strategy.logFile },
    );
  }
  return details;
}
