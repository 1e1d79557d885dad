import type { RequestCounts, RequestRecord, ViewerKind, ViewerKindSnapshot } from '../types.js';
import { Distribution } from './distribution.js';
import type { FleetQoe } from './qoe.js';

/*
 * The per-kind breakdown of a mixed swarm (ffmpeg and light viewers): the same request counts,
 * segment timings and startup as FleetStats, split by the record's viewer kind, so a run can
 * compare the two kinds. Recorded alongside FleetStats from the same records: the kinds add up
 * to the fleet's figures.
 */

interface KindStats {
  viewers: Set<number>;
  requests: RequestCounts;
  segmentTtfb: Distribution;
  segmentDuration: Distribution;
  startup: Distribution;
}

const kindStats = (): KindStats => ({
  viewers: new Set(),
  requests: { total: 0, ok: 0, failed: 0, bytes: 0 },
  segmentTtfb: new Distribution(1e6),
  segmentDuration: new Distribution(1e6),
  startup: new Distribution(1e6),
});

export class ViewerKindStats {
  private readonly kinds: Record<ViewerKind, KindStats> = { ffmpeg: kindStats(), light: kindStats() };

  /** The plan's viewer ids of `kind` (counted once each). */
  planned(kind: ViewerKind, clientId: number): void {
    this.kinds[kind].viewers.add(clientId);
  }

  /** The same rules as FleetStats.recordRequest: every request counted, timings of sound ones. */
  recordRequest(record: RequestRecord): void {
    const stats = this.kinds[record.viewerKind ?? 'ffmpeg'];
    const counts = stats.requests;
    counts.total++;
    if (record.ok) counts.ok++;
    else counts.failed++;
    if (record.bytes !== undefined && record.bytes > 0) counts.bytes += record.bytes;
    if (!record.ok || record.kind !== 'segment') return;
    if (record.ttfbSeconds !== undefined) stats.segmentTtfb.record(record.ttfbSeconds);
    if (record.durationSeconds !== undefined) stats.segmentDuration.record(record.durationSeconds);
  }

  recordStartup(kind: ViewerKind, seconds: number): void {
    this.kinds[kind].startup.record(seconds);
  }

  /** The kinds that have viewers in the plan, each with its QoE share from `qoe`. */
  snapshot(qoe: FleetQoe): Partial<Record<ViewerKind, ViewerKindSnapshot>> {
    const out: Partial<Record<ViewerKind, ViewerKindSnapshot>> = {};
    for (const kind of ['ffmpeg', 'light'] as const) {
      const stats = this.kinds[kind];
      if (stats.viewers.size === 0) continue;
      out[kind] = {
        viewers: stats.viewers.size,
        requests: { ...stats.requests },
        segmentTtfbSeconds: stats.segmentTtfb.summary(),
        segmentDurationSeconds: stats.segmentDuration.summary(),
        startupSeconds: stats.startup.summary(),
        qoe: qoe.kindSummary(kind),
      };
    }
    return out;
  }
}
