import { readFileSync } from 'node:fs';
import { parseAccessLog } from '../../src/metrics/index.js';
import { isTimedViewer } from '../../src/swarm/index.js';
import type { BenchOptions } from './options.js';
import type { Row } from './output.js';
import type { SwarmPhase } from './swarm-phase.js';

type Tally = { manifest: { count: number; bytes: number }; segment: { count: number; bytes: number } };

/** Swarm minus nginx, in % of nginx. */
interface DiffPercent {
  segmentCount: number;
  segmentBytes: number;
  manifestCount: number;
  manifestBytes: number;
}

type Scope = 'wholeRun' | 'wholeRunTimedViewers' | 'steadyWindow' | 'steadyWindowTimedViewers';

export type AccuracyResult = Record<Scope, { swarm: Tally; nginx: Tally; diffPercent: DiffPercent }>;

function pctDiff(measured: number, reference: number): number {
  return reference === 0 ? (measured === 0 ? 0 : 100) : ((measured - reference) / reference) * 100;
}

/**
 * The swarm's counts and bytes against nginx's access log, for the swarm's own viewers (user
 * agent client-<id>, id < clients): over the whole run, and over the steady window by request
 * start. Untimed viewers stamp a request when their log is polled (up to 1 s late), which moves
 * a few requests across the window's edges; the whole run has no edges but the stop, where the
 * few requests in flight are cut (nginx logs them, the swarm does not count them).
 */
export function accuracy(phase: SwarmPhase, accessLogPath: string, options: BenchOptions): AccuracyResult {
  const empty = (): Tally => ({ manifest: { count: 0, bytes: 0 }, segment: { count: 0, bytes: 0 } });
  const inWindow = (startMs: number) => startMs >= phase.windowStartMs && startMs < phase.windowEndMs;
  const scopes: Record<Scope, { swarm: Tally; nginx: Tally }> = {
    wholeRun: { swarm: empty(), nginx: empty() },
    wholeRunTimedViewers: { swarm: empty(), nginx: empty() },
    steadyWindow: { swarm: empty(), nginx: empty() },
    steadyWindowTimedViewers: { swarm: empty(), nginx: empty() },
  };
  const add = (tally: Tally, kind: string, bytes: number) => {
    if (kind !== 'manifest' && kind !== 'segment') return;
    tally[kind].count++;
    tally[kind].bytes += bytes;
  };
  for (const record of phase.requests) {
    add(scopes.wholeRun.swarm, record.kind, record.bytes);
    if (record.timed) add(scopes.wholeRunTimedViewers.swarm, record.kind, record.bytes);
    if (!inWindow(record.startMs)) continue;
    add(scopes.steadyWindow.swarm, record.kind, record.bytes);
    if (record.timed) add(scopes.steadyWindowTimedViewers.swarm, record.kind, record.bytes);
  }
  // The product's own access-log parser and URL classifier: both sides count by the same rule.
  for (const entry of parseAccessLog(readFileSync(accessLogPath, 'utf8'), Date.now())) {
    const client = /\/client-(\d+)$/.exec(entry.userAgent ?? '');
    if (!client || Number(client[1]) >= phase.clients) continue;
    const bytes = entry.bodyBytesSent ?? 0;
    add(scopes.wholeRun.nginx, entry.kind, bytes);
    const timed = isTimedViewer(Number(client[1]), options.timedViewers, phase.clients);
    if (timed) add(scopes.wholeRunTimedViewers.nginx, entry.kind, bytes);
    if (!inWindow(entry.atMs - entry.requestTimeSeconds * 1000)) continue;
    add(scopes.steadyWindow.nginx, entry.kind, bytes);
    if (timed) add(scopes.steadyWindowTimedViewers.nginx, entry.kind, bytes);
  }
  const diff = ({ swarm, nginx }: { swarm: Tally; nginx: Tally }): DiffPercent => ({
    segmentCount: pctDiff(swarm.segment.count, nginx.segment.count),
    segmentBytes: pctDiff(swarm.segment.bytes, nginx.segment.bytes),
    manifestCount: pctDiff(swarm.manifest.count, nginx.manifest.count),
    manifestBytes: pctDiff(swarm.manifest.bytes, nginx.manifest.bytes),
  });
  return Object.fromEntries(
    Object.entries(scopes).map(([name, scope]) => [name, { ...scope, diffPercent: diff(scope) }]),
  ) as AccuracyResult;
}

/** One table row per scope: within 1 % on every count and byte total. */
export function accuracyRows(result: AccuracyResult, options: BenchOptions): Row[] {
  const ok = (diff: number) => (Math.abs(diff) <= 1 ? 'yes' : 'NO');
  const scopeNames: Record<Scope, string> = {
    wholeRun: 'whole run',
    wholeRunTimedViewers: 'whole run, timed viewers only',
    steadyWindow: `${options.windowSeconds}s steady window`,
    steadyWindowTimedViewers: `${options.windowSeconds}s steady window, timed viewers only`,
  };
  return (Object.entries(scopeNames) as [Scope, string][]).map(([scope, label]) => {
    const { swarm: ours, nginx, diffPercent: d } = result[scope];
    return [
      `accuracy: ${options.clients} viewers, ${label}`,
      `segments swarm ${ours.segment.count} / nginx ${nginx.segment.count} (${d.segmentCount.toFixed(2)} %), bytes ${d.segmentBytes.toFixed(2)} %; manifests ${ours.manifest.count} / ${nginx.manifest.count} (${d.manifestCount.toFixed(2)} %), bytes ${d.manifestBytes.toFixed(2)} %`,
      'within 1 %',
      ok(Math.max(...Object.values(d).map(Math.abs))),
    ];
  });
}
