import { stat } from 'node:fs/promises';
import type { BaselineSpec, Scenario } from '../config/index.js';
import {
  type ComparableRun,
  type ComparedMetric,
  compareReports,
  parseRegressionBound,
  ReportMismatchError,
  setupDifferences,
  setupOfRun,
} from './compare.js';
import { type HtmlReport, ReportFileError, readReportFile } from './read.js';
import type { ReportBaseline, ReportTimeseries, ThresholdResultEntry } from './schema.js';
import { reportPathFor } from './write.js';

/*
 * The baseline gate of a scenario (`baseline: { report, maxRegression }`): the report of an
 * earlier run of the same scenario (the last release, a CI artifact) is read before anything
 * starts, so a wrong path or a different setup costs nothing; after the run each release-gate
 * figure of `hls-swarm compare` becomes a threshold ("worse than the baseline by at most 10 %"),
 * and the baseline's key series go into the report so its page can overlay them.
 */

export interface LoadedBaseline {
  /** The file read (a directory in the spec resolved to this scenario's report in it). */
  path: string;
  report: HtmlReport;
  maxRegression: number;
  strict: boolean;
}

/** Series of the baseline kept in the report for the page's overlay (the figures compare reads). */
export const BASELINE_OVERLAY_COLUMNS = [
  'clients_active',
  'requests',
  'request_errors',
  'segment_duration_p95',
  'segment_ttfb_p95',
  'throughput_bytes_per_second',
  'node_cpu_utilization',
  'stalled_clients',
] as const;

async function resolveBaselinePath(
  location: string,
  fileStem: string,
  testSlug: string,
): Promise<string | null> {
  const found = await stat(location).catch(() => null);
  if (!found) return null;
  if (!found.isDirectory()) return location;
  const inDir = reportPathFor(location, fileStem, testSlug);
  return (await stat(inDir).catch(() => null))?.isFile() ? inDir : null;
}

/**
 * Reads the scenario's baseline before the run. Undefined when the scenario has none, or when
 * none exists and `missing: 'warn'` (logged). Throws ReportFileError (missing, unreadable,
 * invalid) or ReportMismatchError (another scenario, viewer count or origin kind).
 */
export async function loadBaseline(
  scenario: Scenario,
  where: { fileStem: string; testSlug: string },
  log: (line: string) => void,
): Promise<LoadedBaseline | undefined> {
  const spec: BaselineSpec | undefined = scenario.baseline;
  if (!spec) return undefined;
  const path = await resolveBaselinePath(spec.report, where.fileStem, where.testSlug);
  if (path === null) {
    const looked = `${spec.report} (as a file, or ${reportPathFor(spec.report, where.fileStem, where.testSlug)} in it)`;
    if (spec.missing === 'warn') {
      log(`baseline: no report at ${looked}; this run is not compared (baseline.missing: 'warn')`);
      return undefined;
    }
    throw new ReportFileError(
      `baseline.report: no report at ${looked}. Point it at an earlier report of this scenario, or set baseline.missing: 'warn' for a first run.`,
    );
  }
  const report = await readReportFile(path);
  // A report of a run whose swarm never started still names its setup in its config.
  const config = report.scenario.config as { swarm?: { clients?: number }; origin?: { kind?: string } };
  const recorded = setupOfRun(report);
  const differences = setupDifferences(
    {
      ...recorded,
      viewers: recorded.viewers ?? config.swarm?.clients ?? null,
      origin: recorded.origin ?? config.origin?.kind ?? null,
    },
    { scenario: scenario.name, viewers: scenario.swarm.clients, origin: scenario.origin.kind },
  );
  if (differences.length > 0) {
    throw new ReportMismatchError(
      `baseline.report ${path} is a run of a different setup (${differences.join('; ')}): give a report of this scenario with the same viewers and origin.`,
    );
  }
  // The schema checked the text; a percentage always parses.
  const maxRegression = parseRegressionBound(spec.maxRegression) ?? 0.1;
  log(
    `baseline: ${path} (${report.verdict}, ${report.timeline.startedAt}); allowed change for the worse ${spec.maxRegression}`,
  );
  return { path, report, maxRegression, strict: spec.strict };
}

/** The comparison of this run with its baseline (what the gate and the page read). */
export function compareWithBaseline(baseline: LoadedBaseline, current: ComparableRun): ComparedMetric[] {
  return compareReports(baseline.report, current, baseline.maxRegression);
}

/**
 * One threshold entry per compared figure measured in both runs (a figure one run lacks, such
 * as origin CPU without an exporter, is listed in the report's baseline section as n/a and does
 * not gate). Latency figures are unreliable when this run's generator was saturated.
 */
export function baselineThresholds(
  rows: readonly ComparedMetric[],
  baseline: Pick<LoadedBaseline, 'path' | 'maxRegression' | 'strict'>,
  generatorSaturated: boolean,
): ThresholdResultEntry[] {
  const bound = `${Math.round(baseline.maxRegression * 1000) / 10}%`;
  return rows
    .filter((row) => row.baseline !== null && row.current !== null)
    .map((row) => ({
      metric: `baseline: ${row.name}`,
      expression: `worse by <=${bound}`,
      window: 'whole',
      observed: row.current,
      ok: !row.regression,
      strict: baseline.strict,
      ...(row.regression
        ? {
            message: `${row.text.baseline} → ${row.text.current} (${row.text.change}): worse than the baseline ${baseline.path} by more than ${bound}`,
          }
        : {}),
      ...(generatorSaturated && row.latency ? { unreliable: true } : {}),
      baseline: { value: row.baseline, change: row.change, text: row.text },
    }));
}

/** The baseline's series on its own time axis (seconds since its swarm started), overlay columns only. */
function overlaySeries(timeseries: ReportTimeseries | null): ReportTimeseries | null {
  if (!timeseries) return null;
  const series: Record<string, (number | null)[]> = {};
  for (const column of BASELINE_OVERLAY_COLUMNS) {
    const values = timeseries.series[column];
    if (values) series[column] = values;
  }
  return { ...timeseries, series };
}

/** The report's `baseline` section. */
export function baselineSection(baseline: LoadedBaseline, rows: readonly ComparedMetric[]): ReportBaseline {
  return {
    report: baseline.path,
    scenario: baseline.report.scenario.name,
    verdict: baseline.report.verdict,
    startedAt: baseline.report.timeline.startedAt,
    maxRegression: baseline.maxRegression,
    strict: baseline.strict,
    comparisons: rows.map((row) => ({ ...row })),
    timeseries: overlaySeries(baseline.report.timeseries),
  };
}
