/**
 * Durations in scenarios are strings such as '500ms', '30s', '2m', '1h' or compounds
 * like '1m30s'. A bare number is taken as seconds only where a schema allows it.
 */
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const DURATION_RE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

export const DURATION_HINT = "a duration like '500ms', '30s', '2m' or '1m30s'";

/** Parses a duration string to milliseconds; returns undefined when it is not one. */
export function tryParseDurationMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (!DURATION_RE.test(trimmed)) return undefined;
  let total = 0;
  for (const match of trimmed.matchAll(PART_RE)) {
    total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  }
  return total;
}

/** Parses a duration string to milliseconds or throws a message naming what was expected. */
export function parseDurationMs(text: string, where = 'duration'): number {
  const ms = tryParseDurationMs(text);
  if (ms === undefined)
    throw new TypeError(`${where}: expected ${DURATION_HINT}, got ${JSON.stringify(text)}`);
  return ms;
}

/** Formats milliseconds compactly for humans: 1500 → '1.5s', 90000 → '1m30s'. */
export function formatDurationMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1))}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds === 0 ? `${minutes}m` : `${minutes}m${seconds}s`;
}
