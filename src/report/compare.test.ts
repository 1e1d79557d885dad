import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { compareReports, formatComparison, parseRegressionBound, ReportMismatchError } from './compare.js';
import type { Report } from './schema.js';

// Reports recorded from real runs by src/report/test/record-reports.ts.
async function fixture(name: string): Promise<Report> {
  return JSON.parse(
    await readFile(new URL(`./test/fixtures/${name}.json`, import.meta.url), 'utf8'),
  ) as Report;
}

/** The recorded run with its segment download p95 multiplied by `factor`. */
function slowerSegments(report: Report, factor: number): Report {
  const swarm = report.swarm as NonNullable<Report['swarm']>;
  const durations = swarm.distributions.segmentDurationSeconds;
  return {
    ...report,
    swarm: {
      ...swarm,
      distributions: {
        ...swarm.distributions,
        segmentDurationSeconds: { ...durations, p95: durations.p95 * factor },
      },
    },
  };
}

describe('compareReports', () => {
  it('a run against itself: no change, no regression', async () => {
    const report = await fixture('pass');
    const rows = compareReports(report, report, 0.1);
    expect(rows.map((row) => row.name)).toEqual([
      'segment download p95',
      'segment download p99',
      'segment TTFB p95',
      'startup p95',
      'error rate',
      'throughput per viewer',
      'stalled viewers (max)',
      'origin CPU (mean)',
    ]);
    expect(rows.filter((row) => row.regression)).toEqual([]);
    for (const row of rows) if (row.change !== null) expect(row.change).toBe(0);
  });

  it('flags a slower segment p95 beyond the bound, not within it', async () => {
    const baseline = await fixture('pass');
    const slower = slowerSegments(baseline, 1.5);
    const flagged = compareReports(baseline, slower, 0.1).filter((row) => row.regression);
    expect(flagged.map((row) => row.name)).toEqual(['segment download p95']);
    expect(flagged[0]?.change).toBeCloseTo(0.5, 9);
    expect(compareReports(baseline, slower, 0.6).filter((row) => row.regression)).toEqual([]);
    // Faster is never a regression.
    expect(compareReports(slower, baseline, 0.1).filter((row) => row.regression)).toEqual([]);
    expect(formatComparison(compareReports(baseline, slower, 0.1), 0.1)).toMatch(
      /segment download p95 +\S+ +\S+ +\+50\.0% +REGRESSION \(> 10%\)/,
    );
  });

  it('refuses runs of different scenarios and says which', async () => {
    const pass = await fixture('pass');
    const outage = await fixture('outage');
    expect(() => compareReports(pass, outage, 0.1)).toThrow(ReportMismatchError);
    expect(() => compareReports(pass, outage, 0.1)).toThrow(
      `scenario '${pass.scenario.name}' vs '${outage.scenario.name}'`,
    );
  });

  it('parses the bound as a percentage', () => {
    expect(parseRegressionBound('10%')).toBe(0.1);
    expect(parseRegressionBound('2.5')).toBe(0.025);
    expect(parseRegressionBound('ten')).toBeNull();
  });
});
