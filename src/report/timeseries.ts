import type { ReportTimeseries } from './schema.js';

/** One value of a series at a time. */
export interface TimedValue {
  atMs: number;
  value: number;
}

/**
 * Bins series into rows of `stepSeconds` from `startMs` to `endMs`: each cell holds the last
 * sample that fell into its step (series are gauges or rates already), null when none did.
 */
export function buildTimeseries(
  startMs: number,
  endMs: number,
  columns: Record<string, readonly TimedValue[]>,
  stepSeconds = 1,
): ReportTimeseries {
  const stepMs = stepSeconds * 1000;
  const rows = Math.max(1, Math.ceil((Math.max(endMs, startMs) - startMs) / stepMs));
  const t = Array.from({ length: rows }, (_, row) => row * stepSeconds);
  const series: Record<string, (number | null)[]> = {};
  for (const [name, samples] of Object.entries(columns)) {
    const cells: (number | null)[] = new Array(rows).fill(null);
    let any = false;
    for (const sample of samples) {
      if (!Number.isFinite(sample.value)) continue;
      const row = Math.floor((sample.atMs - startMs) / stepMs);
      if (row < 0 || row >= rows) continue;
      cells[row] = sample.value;
      any = true;
    }
    if (any) series[name] = cells;
  }
  return { stepSeconds, startMs, t, series };
}
