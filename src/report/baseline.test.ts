import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseScenario } from '../config/index.js';
import {
  BASELINE_OVERLAY_COLUMNS,
  baselineSection,
  baselineThresholds,
  compareWithBaseline,
  formatSummary,
  loadBaseline,
  type Report,
  ReportFileError,
  ReportMismatchError,
  reportSchema,
} from './index.js';
import { withTimingsScaled } from './test/scale-timings.js';

// A report of a real run, recorded by src/report/test/record-reports.ts: 'recorded pass',
// python origin (tiny), 2 viewers.
const PASS = new URL('./test/fixtures/pass.json', import.meta.url).pathname;

async function recorded(): Promise<Report> {
  return reportSchema.parse(JSON.parse(await readFile(PASS, 'utf8')));
}

function scenarioLike(
  report: Report,
  baseline: Record<string, unknown>,
  overrides: Record<string, unknown> = {},
) {
  const config = report.scenario.config as { origin: unknown; swarm: Record<string, unknown> };
  return parseScenario({
    name: report.scenario.name,
    origin: config.origin,
    swarm: { clients: config.swarm.clients, duration: '10s', metricsPort: 0 },
    baseline,
    ...overrides,
  });
}

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hls-swarm-baseline-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const key = { fileStem: 'steady.load', testSlug: 'recorded-pass' };

describe('loadBaseline', () => {
  it('reads a report file, or this scenario’s report inside a reports directory', async () => {
    const report = await recorded();
    const lines: string[] = [];
    const fromFile = await loadBaseline(scenarioLike(report, { report: PASS }), key, (line) =>
      lines.push(line),
    );
    expect(fromFile?.path).toBe(PASS);
    expect(fromFile?.maxRegression).toBe(0.1);
    expect(fromFile?.strict).toBe(true);
    expect(lines[0]).toContain(`baseline: ${PASS} (pass, ${report.timeline.startedAt})`);

    const dir = await tempDir();
    await mkdir(join(dir, 'steady-load'), { recursive: true });
    await copyFile(PASS, join(dir, 'steady-load', 'recorded-pass.json'));
    const fromDir = await loadBaseline(
      scenarioLike(report, { report: dir, maxRegression: '25%' }),
      key,
      () => {},
    );
    expect(fromDir?.path).toBe(join(dir, 'steady-load', 'recorded-pass.json'));
    expect(fromDir?.maxRegression).toBe(0.25);
  });

  it('names the path when there is no report, and runs without one under missing: warn', async () => {
    const report = await recorded();
    const dir = await tempDir();
    const error = await loadBaseline(scenarioLike(report, { report: dir }), key, () => {}).catch((e) => e);
    expect(error).toBeInstanceOf(ReportFileError);
    expect(error.message).toContain(`baseline.report: no report at ${dir}`);
    expect(error.message).toContain(join(dir, 'steady-load', 'recorded-pass.json'));
    expect(error.message).toContain("baseline.missing: 'warn'");

    const lines: string[] = [];
    const none = await loadBaseline(scenarioLike(report, { report: dir, missing: 'warn' }), key, (line) =>
      lines.push(line),
    );
    expect(none).toBeUndefined();
    expect(lines[0]).toContain('this run is not compared');
  });

  it('refuses a baseline of another scenario, viewer count or origin, saying which', async () => {
    const report = await recorded();
    const other = scenarioLike(
      report,
      { report: PASS },
      { name: 'another', swarm: { clients: 3, duration: '10s', metricsPort: 0 } },
    );
    const error = await loadBaseline(other, key, () => {}).catch((e) => e);
    expect(error).toBeInstanceOf(ReportMismatchError);
    expect(error.message).toContain("scenario 'recorded pass' vs 'another'");
    expect(error.message).toContain('2 vs 3 viewers');
  });

  it('says what is wrong with a file that is not a report, and with a bad bound', async () => {
    const report = await recorded();
    const dir = await tempDir();
    await writeFile(join(dir, 'not-a-report.json'), '{"hello": 1}');
    const error = await loadBaseline(
      scenarioLike(report, { report: join(dir, 'not-a-report.json') }),
      key,
      () => {},
    ).catch((e) => e);
    expect(error).toBeInstanceOf(ReportFileError);
    expect(error.message).toContain('not-a-report.json is not a valid hls-swarm report');
    expect(() => scenarioLike(report, { report: PASS, maxRegression: 'ten' })).toThrow(
      /baseline\.maxRegression.*percentage/,
    );
  });
});

describe('the baseline gate', () => {
  it('a run twice as slow as its baseline fails the latency figures, with both values and the bound', async () => {
    const report = await recorded();
    const loaded = await loadBaseline(scenarioLike(report, { report: PASS }), key, () => {});
    if (!loaded) throw new Error('the recorded baseline did not load');
    const slower = withTimingsScaled(report, 2);
    const rows = compareWithBaseline(loaded, slower);
    const entries = baselineThresholds(rows, loaded, false);
    const byName = new Map(entries.map((entry) => [entry.metric, entry]));
    const p95 = byName.get('baseline: segment download p95');
    expect(p95?.ok).toBe(false);
    expect(p95?.strict).toBe(true);
    expect(p95?.observed).toBeCloseTo(0.13, 6);
    expect(p95?.baseline?.value).toBeCloseTo(0.065, 6);
    expect(p95?.baseline?.change).toBeCloseTo(1, 6);
    expect(p95?.message).toBe(`65ms → 130ms (+100.0%): worse than the baseline ${PASS} by more than 10%`);
    // Not a timing: unchanged, holds.
    expect(byName.get('baseline: error rate')?.ok).toBe(true);
    // Origin CPU: the python origin has no node exporter in either run, so it does not gate.
    expect(byName.has('baseline: origin CPU (mean)')).toBe(false);
    expect(rows.find((row) => row.name === 'origin CPU (mean)')?.current).toBeNull();

    // The same comparison on a saturated generator: the timings are marked, the others are not.
    const saturated = baselineThresholds(rows, loaded, true);
    expect(saturated.find((entry) => entry.metric === 'baseline: segment download p95')?.unreliable).toBe(
      true,
    );
    expect(saturated.find((entry) => entry.metric === 'baseline: error rate')?.unreliable).toBeUndefined();

    // Non-strict baselines report without gating.
    expect(
      baselineThresholds(rows, { ...loaded, strict: false }, false).every((entry) => !entry.strict),
    ).toBe(true);
  });

  it('the report carries the comparison and the baseline series, and its summary says so', async () => {
    const report = await recorded();
    const loaded = await loadBaseline(scenarioLike(report, { report: PASS }), key, () => {});
    if (!loaded) throw new Error('the recorded baseline did not load');
    const rows = compareWithBaseline(loaded, report);
    const section = baselineSection(loaded, rows);
    expect(section.report).toBe(PASS);
    expect(section.comparisons.every((row) => !row.regression)).toBe(true);
    const columns = Object.keys(section.timeseries?.series ?? {});
    expect(columns.length).toBeGreaterThan(0);
    for (const column of columns) expect(BASELINE_OVERLAY_COLUMNS).toContain(column);
    expect(section.timeseries?.t).toEqual(report.timeseries?.t);

    const withBaseline = reportSchema.parse({
      ...report,
      thresholds: [...report.thresholds, ...baselineThresholds(rows, loaded, false)],
      baseline: section,
    });
    const summary = formatSummary(withBaseline);
    expect(summary).toContain(`baseline     ${PASS} (pass, ${report.timeline.startedAt}) · 0 of`);
    expect(summary).toContain('n/a (not measured in both runs): origin CPU (mean)');
    expect(summary).toMatch(
      /✓ baseline: segment download p95 worse by <=10% \[whole\] observed 65ms vs baseline 65ms/,
    );
  });
});
