import { readFileSync } from 'node:fs';
import { freemem } from 'node:os';

/*
 * Bounds of the prepare phase that come from the host and the scenario.
 */

/**
 * Memory per waiting or playing viewer, for the held bound. A playing ffmpeg viewer is
 * 12–17 MB PSS here (DESIGN.md); 20 MB leaves room for bigger streams.
 */
export const VIEWER_MEMORY_BYTES = 20 * 1024 * 1024;
/** Share of the available memory pre-started viewers may take. */
export const HELD_MEMORY_SHARE = 0.6;

/** MemAvailable from /proc/meminfo (free memory elsewhere), in bytes. */
export function availableMemoryBytes(): number {
  try {
    const match = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {}
  return freemem();
}

/** How many viewers may wait at the gate at once without pushing the host out of memory. */
export function defaultMaxHeldViewers(availableBytes = availableMemoryBytes()): number {
  return Math.max(1, Math.floor((availableBytes * HELD_MEMORY_SHARE) / VIEWER_MEMORY_BYTES));
}

/**
 * How often the gate sends a header line to a held viewer: ffmpeg gives up after `-rw_timeout`
 * without data, so a third of it (at most 5 s, at least 100 ms).
 */
export function trickleIntervalMsFor(rwTimeoutMs: number): number {
  if (rwTimeoutMs <= 0) return 5000;
  return Math.min(5000, Math.max(100, Math.floor(rwTimeoutMs / 3)));
}

/** The first start of each client of a ramp plan, in plan order (later starts go straight to the origin). */
export function firstStartsOf(
  events: ReadonlyArray<{ clientId: number; atMs: number; action: 'start' | 'stop' }>,
): { clientId: number; atMs: number }[] {
  const seen = new Set<number>();
  const starts: { clientId: number; atMs: number }[] = [];
  for (const event of events) {
    if (event.action !== 'start' || seen.has(event.clientId)) continue;
    seen.add(event.clientId);
    starts.push({ clientId: event.clientId, atMs: event.atMs });
  }
  return starts;
}
