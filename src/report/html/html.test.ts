import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatClock } from '../format.js';
import { parseReportForHtml, ReportFileError, readReportFile } from '../read.js';
import { REPORT_SCHEMA_VERSION, type Report, type RunSummary } from '../schema.js';
import { escapeHtml } from './escape.js';
import { buildCharts, renderHtmlReport, renderRunIndex } from './index.js';

// Reports recorded from real runs by src/report/test/record-reports.ts.
const FIXTURES = ['pass', 'outage', 'interrupted', 'baseline', 'mixed'] as const;
const fixturePath = (name: string) => new URL(`../test/fixtures/${name}.json`, import.meta.url).pathname;

async function fixture(name: string): Promise<Report> {
  return JSON.parse(await readFile(fixturePath(name), 'utf8')) as Report;
}

function decode(text: string): string {
  return text
    .replace(/<[^>]+>/g, '')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&')
    .trim();
}

/** The thresholds table's rows as cell texts. */
function thresholdRows(html: string): string[][] {
  const table = html.match(/<table class="grid thresholds">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/)?.[1] ?? '';
  return [...table.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...(row[1] ?? '').matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => decode(cell[1] ?? '')),
  );
}

const tmpDirs: string[] = [];
afterEach(async () => {
  for (const dir of tmpDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('renderHtmlReport on recorded reports', () => {
  it.each(FIXTURES)('%s: banner, thresholds table matching the JSON, one plot per chart', async (name) => {
    const report = await fixture(name);
    const html = renderHtmlReport(parseReportForHtml(report, name));
    expect(html).toMatch(
      new RegExp(
        `<div class="banner v-${report.verdict}" id="verdict"><div class="verdict">${report.verdict}</div>`,
      ),
    );
    expect(html).toContain(`<h1>${report.scenario.name}</h1>`);
    if (report.reason) expect(html).toContain(`<div class="reason">${escapeHtml(report.reason)}</div>`);

    const rows = thresholdRows(html);
    expect(rows).toHaveLength(report.thresholds.length);
    for (const [index, threshold] of report.thresholds.entries()) {
      const [metric, expression, window, , held, gate] = rows[index] ?? [];
      expect([metric, expression, window]).toEqual([
        threshold.metric,
        threshold.expression,
        threshold.window,
      ]);
      expect(held).toBe(threshold.ok ? '✓' : '✗');
      expect(gate?.startsWith(threshold.strict ? 'strict' : 'reported only')).toBe(true);
    }

    const charts = buildCharts(report);
    expect(charts?.charts.length).toBeGreaterThan(0);
    const plots = [...html.matchAll(/<div class="plot" id="chart-([^"]+)"><\/div>/g)].map(
      (match) => match[1],
    );
    expect(plots).toEqual(charts?.charts.map((chart) => chart.id));
  });

  it.each(FIXTURES)('%s: no URL the browser could load; URLs only as text the report holds', async (name) => {
    const report = await fixture(name);
    const html = renderHtmlReport(parseReportForHtml(report, name));
    expect(html).not.toMatch(/\b(src|href|action|srcset)\s*=/i);
    expect(html).not.toMatch(/url\(|@import/i);
    const withoutConfig = html.replace(/<pre class="config">[\s\S]*?<\/pre>/, '');
    const allowed = new Set([
      report.origin?.streamUrl,
      ...Object.values(report.origin?.exporters ?? {}),
      ...Object.values(report.scrapes).map((scrape) => scrape.url),
    ]);
    const urls = [...withoutConfig.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((match) => match[0]);
    for (const url of urls) expect(allowed).toContain(url);
  });

  it('marks the steady window and the origin-stop action of the outage run on the charts', async () => {
    const report = await fixture('outage');
    const charts = buildCharts(report);
    const timeseries = report.timeseries;
    if (!charts || !timeseries || report.timeline.steadyStartMs === null)
      throw new Error('the fixture has a timeseries');
    expect(charts.steady?.startSeconds).toBeCloseTo(
      (report.timeline.steadyStartMs - timeseries.startMs) / 1000,
      6,
    );
    expect(charts.markers).toEqual(
      report.timeline.actions.map((action) => ({
        atSeconds: (action.atMs - timeseries.startMs) / 1000,
        label: action.name,
        ok: action.ok,
      })),
    );
    // The planned target follows the scenario's ramp to its clients.
    const planned = charts.charts
      .find((chart) => chart.id === 'viewers')
      ?.series.find((series) => series.column === 'plan');
    expect(Math.max(...(planned?.values.map(Number) ?? [0]))).toBe(
      report.scenario.config.swarm && (report.scenario.config.swarm as { clients: number }).clients,
    );
  });

  it('a shard’s page plans its own slice of the viewers and says which shard it is', async () => {
    const report = await fixture('pass');
    const clients = (report.scenario.config.swarm as { clients: number }).clients;
    const shard = {
      index: 1,
      count: clients,
      viewers: `id % ${clients} == 1`,
      plannedClients: 1,
      host: 'shard-host',
      startAtMs: null,
      startLateMs: null,
      scrapesOrigin: false,
      window: { startMs: report.timeline.startMs, steadyStartMs: null, endMs: report.timeline.endMs },
      data: { version: 1 as const, metrics: [] },
    };
    const charts = buildCharts({ ...report, shard });
    const planned = charts?.charts
      .find((chart) => chart.id === 'viewers')
      ?.series.find((series) => series.column === 'plan');
    expect(Math.max(...(planned?.values.map(Number) ?? [0]))).toBe(1);
    const html = renderHtmlReport(parseReportForHtml({ ...report, shard }, 'shard'));
    expect(html).toContain(
      `<h2>Shard</h2><p>Shard 1 of ${clients} (0-based) on shard-host: viewers id % ${clients} == 1`,
    );
  });

  it('the baseline run: its comparisons in the thresholds table, its series dashed beside this run’s', async () => {
    const report = await fixture('baseline');
    const baseline = report.baseline;
    const timeseries = report.timeseries;
    if (!baseline?.timeseries || !timeseries) throw new Error('the fixture has a baseline with series');
    const html = renderHtmlReport(parseReportForHtml(report, 'baseline'));
    const compared = report.thresholds.filter((threshold) => threshold.baseline);
    expect(compared.length).toBeGreaterThan(0);
    const rows = thresholdRows(html).filter((row) => row[0]?.startsWith('baseline: '));
    expect(rows.map((row) => row[3])).toEqual(
      compared.map(
        ({ baseline: b }) => `${b?.text.current} (baseline ${b?.text.baseline}, ${b?.text.change})`,
      ),
    );
    const charts = buildCharts(report);
    const latency = charts?.charts.find((chart) => chart.id === 'latency');
    const overlay = latency?.series.find((series) => series.column === 'baseline:segment_duration_p95');
    const own = latency?.series.find((series) => series.column === 'segment_duration_p95');
    expect(overlay?.dashed).toBe(true);
    expect(overlay?.color).toBe(own?.color);
    // Row by row on this run's axis: the baseline's value at the same second since its start.
    const baseValues = baseline.timeseries.series.segment_duration_p95 ?? [];
    timeseries.t.forEach((seconds, index) => {
      const at = baseline.timeseries?.t.findIndex((t) => Math.round(t) === Math.round(seconds)) ?? -1;
      expect(overlay?.values[index]).toBe(at === -1 ? null : (baseValues[at] ?? null));
    });
    expect(html).toContain('dashed series: the baseline run');
    // The baseline section lists every compared figure, the one not measured in both runs too.
    const section = html.match(/<section id="baseline">[\s\S]*?<\/section>/)?.[0] ?? '';
    expect(section).toContain(escapeHtml(baseline.report));
    for (const row of baseline.comparisons) expect(section).toContain(`<td>${escapeHtml(row.name)}</td>`);
    expect(section).toContain('n/a: not measured in both runs');
  });

  it('the scenario config is shown redacted as the JSON has it', async () => {
    const report = await fixture('pass');
    const html = renderHtmlReport(parseReportForHtml(report, 'pass'));
    expect(html).toContain('&quot;Authorization&quot;: &quot;[redacted]&quot;');
    expect(html).not.toContain('recorded-secret-token');
  });

  it('a run with light viewers: both kinds side by side, each column from its own breakdown', async () => {
    const report = await fixture('mixed');
    const html = renderHtmlReport(parseReportForHtml(report, 'mixed'));
    const kinds = report.swarm?.viewerKinds;
    if (!kinds?.ffmpeg || !kinds.light) throw new Error('the fixture has both viewer kinds');
    const section = /<section id="viewer-kinds">(.*?)<\/section>/s.exec(html)?.[1] ?? '';
    expect(section).toContain('<thead><tr><th></th><th>ffmpeg</th><th>light</th></tr></thead>');
    expect(section).toContain(
      `<tr><th>viewers</th><td>${kinds.ffmpeg.viewers}</td><td>${kinds.light.viewers}</td></tr>`,
    );
    for (const kind of [kinds.ffmpeg, kinds.light])
      expect(section).toContain(
        `<td>${kind.requests.total} (<span class="">${kind.requests.failed}</span>)</td>`,
      );
    // A run of ffmpeg viewers alone has no such section.
    const pass = renderHtmlReport(parseReportForHtml(await fixture('pass'), 'pass'));
    expect(pass).not.toContain('id="viewer-kinds"');
  });

  it('shows an inconclusive verdict neutral and marks unreliable thresholds', async () => {
    const report = await fixture('pass');
    const newer = {
      ...report,
      verdict: 'inconclusive',
      thresholds: report.thresholds.map((threshold) => ({
        ...threshold,
        unreliable: true,
      })),
    };
    const html = renderHtmlReport(parseReportForHtml(newer, 'newer.json'));
    expect(html).toContain(
      '<div class="banner v-other" id="verdict"><div class="verdict">inconclusive</div>',
    );
    expect(html.match(/>unreliable<\/span>/g)).toHaveLength(report.thresholds.length);
  });
});

describe('bad input', () => {
  it('names the file and the problem', async () => {
    const report = await fixture('pass');
    expect(() => parseReportForHtml([1, 2], 'a.json')).toThrow(
      /a\.json is not an hls-swarm report: expected a JSON object/,
    );
    expect(() =>
      parseReportForHtml({ ...report, schemaVersion: REPORT_SCHEMA_VERSION + 1 }, 'b.json'),
    ).toThrow(
      `b.json has report schemaVersion ${REPORT_SCHEMA_VERSION + 1}; this hls-swarm reads version ${REPORT_SCHEMA_VERSION}`,
    );
    const { timeline: _timeline, ...withoutTimeline } = report;
    expect(() => parseReportForHtml(withoutTimeline, 'c.json')).toThrow(
      /c\.json is not a valid hls-swarm report:\n {2}timeline: /,
    );
    await expect(readReportFile('/nonexistent/d.json')).rejects.toThrow(
      '/nonexistent/d.json does not exist.',
    );
    const dir = await mkdtemp(join(tmpdir(), 'hls-swarm-html-'));
    tmpDirs.push(dir);
    await writeFile(join(dir, 'e.json'), '{ not json');
    await expect(readReportFile(join(dir, 'e.json'))).rejects.toBeInstanceOf(ReportFileError);
  });
});

describe('renderRunIndex', () => {
  it('lists every scenario with its verdict, duration and relative links', async () => {
    const reports = await Promise.all(FIXTURES.map(fixture));
    const summary: RunSummary = {
      schemaVersion: REPORT_SCHEMA_VERSION,
      tool: reports[0]?.tool ?? { name: 'hls-swarm', version: '0' },
      startedAt: reports[0]?.timeline.startedAt ?? '',
      endedAt: reports[2]?.timeline.endedAt ?? '',
      reason: 'failed',
      scenarios: reports.map((report, index) => ({
        file: `scenarios/${FIXTURES[index]}.load.ts`,
        test: report.scenario.name,
        scenario: report.scenario.name,
        verdict: report.verdict,
        testState: report.verdict === 'pass' ? 'passed' : 'failed',
        reportPath: `reports/${FIXTURES[index]}/${FIXTURES[index]}.json`,
        durationSeconds: report.timeline.durationSeconds,
        thresholds: null,
        errors: [],
      })),
      environment: reports[0]?.environment ?? ({} as RunSummary['environment']),
    };
    const html = renderRunIndex(summary, { reportDir: '/project/reports', root: '/project' });
    for (const [index, name] of FIXTURES.entries()) {
      const report = reports[index] as Report;
      expect(html).toContain(`<td class="verdict-cell v-${report.verdict}"><span>${report.verdict}</span>`);
      expect(html).toContain(
        `<a href="${name}/${name}.html">HTML</a> · <a href="${name}/${name}.json">JSON</a>`,
      );
      expect(html).toContain(`<td class="num">${formatClock(report.timeline.durationSeconds)}</td>`);
    }
  });
});
