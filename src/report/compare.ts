import { HlsSwarmError } from '../system/index.js';
import { formatBitrate, formatNumber, formatPercent, formatSeconds } from './format.js';
import type { Report } from './schema.js';

/*
 * Baseline comparison: the same scenario run twice (e.g. the last release and this one), the
 * numbers a release gate cares about side by side, and which moved the wrong way by more than
 * the bound. A small absolute floor per metric keeps noise (0 → 1 ms) from counting as +∞ %.
 */

/** The two reports cannot be compared (different scenario, viewers or origin). */
export class ReportMismatchError extends HlsSwarmError {
  override readonly name = 'ReportMismatchError';
  readonly code = 'HLS_SWARM_REPORT_MISMATCH';
}

export type ComparableRun = { scenario: Pick<Report['scenario'], 'name'> } & Pick<
  Report,
  'swarm' | 'origin' | 'timeseries'
>;

interface MetricDefinition {
  name: string;
  /** A timing the swarm measures (unreliable when the generator was saturated). */
  latency?: boolean;
  better: 'lower' | 'higher';
  /** Differences at or below this (in the metric's unit) are noise, never a regression. */
  noiseFloor: number;
  format: (value: number) => string;
  read: (report: ComparableRun) => number | null;
}

export interface ComparedMetric {
  name: string;
  latency: boolean;
  baseline: number | null;
  current: number | null;
  /** (current − baseline) / baseline; null when either is missing or the baseline is 0. */
  change: number | null;
  regression: boolean;
  text: { baseline: string; current: string; change: string };
}

function seriesMean(report: ComparableRun, column: string): number | null {
  const values = (report.timeseries?.series[column] ?? []).filter((value): value is number => value !== null);
  return values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : null;
}

function errorRate(report: ComparableRun): number | null {
  if (!report.swarm) return null;
  const counts = Object.values(report.swarm.requests);
  const total = counts.reduce((sum, entry) => sum + entry.total, 0);
  return total ? counts.reduce((sum, entry) => sum + entry.failed, 0) / total : null;
}

function maxStalled(report: ComparableRun): number | null {
  const values = (report.timeseries?.series.stalled_clients ?? []).filter(
    (value): value is number => value !== null,
  );
  return values.length ? Math.max(...values) : (report.swarm?.stalledClients ?? null);
}

const METRICS: MetricDefinition[] = [
  ...(['p95', 'p99'] as const).map(
    (quantile): MetricDefinition => ({
      name: `segment download ${quantile}`,
      latency: true,
      better: 'lower',
      noiseFloor: 0.001,
      format: formatSeconds,
      read: (report) => report.swarm?.distributions.segmentDurationSeconds[quantile] ?? null,
    }),
  ),
  {
    name: 'segment TTFB p95',
    latency: true,
    better: 'lower',
    noiseFloor: 0.001,
    format: formatSeconds,
    read: (report) => report.swarm?.distributions.segmentTtfbSeconds.p95 ?? null,
  },
  {
    name: 'startup p95',
    latency: true,
    better: 'lower',
    noiseFloor: 0.01,
    format: formatSeconds,
    read: (report) => report.swarm?.distributions.startupSeconds.p95 ?? null,
  },
  { name: 'error rate', better: 'lower', noiseFloor: 0.001, format: formatPercent, read: errorRate },
  {
    name: 'throughput per viewer',
    better: 'higher',
    noiseFloor: 0,
    format: formatBitrate,
    read: (report) =>
      report.swarm && report.swarm.clientsTarget > 0
        ? report.swarm.throughputBytesPerSecond / report.swarm.clientsTarget
        : null,
  },
  { name: 'stalled viewers (max)', better: 'lower', noiseFloor: 0, format: formatNumber, read: maxStalled },
  {
    name: 'origin CPU (mean)',
    better: 'lower',
    noiseFloor: 0.02,
    format: formatPercent,
    read: (report) => seriesMean(report, 'node_cpu_utilization'),
  },
];

/** What makes two runs comparable: the same scenario, viewer count and origin kind. */
export interface RunSetup {
  scenario: string;
  viewers: number | null;
  origin: string | null;
}

export function setupOfRun(report: ComparableRun): RunSetup {
  return {
    scenario: report.scenario.name,
    viewers: report.swarm?.clientsTarget ?? null,
    origin: report.origin?.kind ?? null,
  };
}

/** One phrase per difference between two setups (none: comparable). */
export function setupDifferences(baseline: RunSetup, current: RunSetup): string[] {
  const differences: string[] = [];
  if (baseline.scenario !== current.scenario)
    differences.push(`scenario '${baseline.scenario}' vs '${current.scenario}'`);
  if (baseline.viewers !== current.viewers)
    differences.push(`${baseline.viewers} vs ${current.viewers} viewers`);
  if (baseline.origin !== current.origin) differences.push(`origin ${baseline.origin} vs ${current.origin}`);
  return differences;
}

/** Throws when the reports are not runs of the same scenario with the same viewers and origin. */
export function assertComparable(baseline: ComparableRun, current: ComparableRun): void {
  const differences = setupDifferences(setupOfRun(baseline), setupOfRun(current));
  if (differences.length > 0) {
    throw new ReportMismatchError(
      `the reports are runs of different setups (${differences.join('; ')}): compare two runs of the same scenario.`,
    );
  }
}

/** Side-by-side metrics; `maxRegression` is a ratio (0.1 = 10 %). */
export function compareReports(
  baseline: ComparableRun,
  current: ComparableRun,
  maxRegression: number,
): ComparedMetric[] {
  assertComparable(baseline, current);
  return METRICS.map((metric) => {
    const before = metric.read(baseline);
    const after = metric.read(current);
    const change = before !== null && after !== null && before !== 0 ? (after - before) / before : null;
    const worse =
      before !== null && after !== null ? (metric.better === 'lower' ? after - before : before - after) : 0;
    const beyondNoise = worse > metric.noiseFloor;
    // From a zero baseline any change beyond the noise floor counts (e.g. 0 → 3 stalled viewers).
    const regression =
      beyondNoise && (before === 0 || (before !== null && worse / Math.abs(before) > maxRegression));
    return {
      name: metric.name,
      latency: metric.latency ?? false,
      baseline: before,
      current: after,
      change,
      regression,
      text: {
        baseline: before === null ? 'n/a' : metric.format(before),
        current: after === null ? 'n/a' : metric.format(after),
        change:
          change === null
            ? before === 0 && after !== null && after !== 0
              ? 'new'
              : '–'
            : `${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)}%`,
      },
    };
  });
}

/** '10%' → 0.1; '0.5%' → 0.005; a bare number is a percentage too. */
export function parseRegressionBound(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  return match ? Number(match[1]) / 100 : null;
}

/** The comparison as a plain table for a terminal or a CI log. */
export function formatComparison(rows: ComparedMetric[], maxRegression: number): string {
  const header = ['metric', 'baseline', 'current', 'change', ''];
  const lines = rows.map((row) => [
    row.name,
    row.text.baseline,
    row.text.current,
    row.text.change,
    row.regression
      ? `REGRESSION (> ${formatNumber(maxRegression * 100)}%)`
      : row.baseline === null || row.current === null
        ? 'n/a'
        : 'ok',
  ]);
  const widths = header.map((_, column) =>
    Math.max(...[header, ...lines].map((line) => (line[column] ?? '').length)),
  );
  return [header, ...lines]
    .map((line) =>
      line
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
