import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, groupMembers, waitUntil } from '../../system/test/processes.js';
import { parseReportForHtml } from '../read.js';
import { REPORT_SCHEMA_VERSION, type Report, type RunSummary } from '../schema.js';
import { writeTextAtomic } from '../write.js';
import { renderRunIndex, writeHtmlReport } from './index.js';
import { HeadlessChromium } from './test/chromium.js';

/*
 * Opens the generated pages in Debian's headless chromium: no console error, no network
 * request, every chart drawn (its canvas has pixels in its series' colours), the thresholds
 * table as in the JSON. Pages and screenshots stay under reports/html-browser/ for a person.
 */

const FIXTURES = ['pass', 'outage', 'interrupted', 'baseline'] as const;
const OUT_DIR = fileURLToPath(new URL('../../../reports/html-browser/', import.meta.url));

// Per chart: how many canvas pixels are within a small distance of one of its series' colours.
const CHART_PIXELS = `(() => {
  const data = JSON.parse(document.getElementById('chart-data').textContent);
  const hex = (c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
  return data.charts.map((chart) => {
    const canvas = document.querySelector('#chart-' + chart.id + ' canvas');
    if (!canvas) return { id: chart.id, pixels: -1 };
    const image = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const colors = chart.series.filter((s) => s.column !== 'plan').map((s) => hex(s.color));
    let pixels = 0;
    for (let i = 0; i < image.length; i += 4) {
      if (image[i + 3] < 200) continue;
      if (colors.some(([r, g, b]) => Math.abs(r - image[i]) + Math.abs(g - image[i + 1]) + Math.abs(b - image[i + 2]) < 60)) pixels++;
    }
    return { id: chart.id, pixels };
  });
})()`;

const THRESHOLD_ROWS = `Array.from(document.querySelectorAll('table.thresholds tbody tr')).map((row) =>
  Array.from(row.querySelectorAll('td')).slice(0, 6).map((cell) => cell.textContent.trim()))`;

let browser: HeadlessChromium;
const reports = new Map<string, Report>();

beforeAll(async () => {
  await mkdir(OUT_DIR, { recursive: true });
  for (const name of FIXTURES) {
    const path = fileURLToPath(new URL(`../test/fixtures/${name}.json`, import.meta.url));
    const report = JSON.parse(await readFile(path, 'utf8')) as Report;
    reports.set(name, report);
    await writeHtmlReport(join(OUT_DIR, `${name}.html`), parseReportForHtml(report, path));
  }
  browser = await HeadlessChromium.launch();
}, 60_000);

afterAll(async () => {
  const pid = browser?.process.pid;
  await browser?.close();
  if (pid) {
    expect(await waitUntil(() => !alive(pid) && groupMembers([pid]).length === 0, 10_000)).toBe(true);
  }
});

describe('HTML reports in headless chromium', () => {
  it.each(FIXTURES)(
    '%s: no console error, no request, every chart drawn, thresholds as in the JSON',
    async (name) => {
      const report = reports.get(name) as Report;
      const visit = await browser.visit(pathToFileURL(join(OUT_DIR, `${name}.html`)).href);
      expect(visit.errors).toEqual([]);
      expect(visit.requests).toEqual([]);

      const charts = await browser.evaluate<{ id: string; pixels: number }[]>(CHART_PIXELS);
      expect(charts.length).toBeGreaterThan(0);
      for (const chart of charts) expect(chart.pixels, `chart ${chart.id}`).toBeGreaterThan(30);

      const rows = await browser.evaluate<string[][]>(THRESHOLD_ROWS);
      expect(rows).toEqual(
        report.thresholds.map((threshold) => [
          threshold.metric,
          threshold.expression,
          threshold.window,
          expect.any(String),
          threshold.ok ? '✓' : '✗',
          expect.stringMatching(threshold.strict ? /^strict/ : /^reported only/),
        ]),
      );
      const png = await browser.screenshot();
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      await writeFile(join(OUT_DIR, `${name}.png`), png);
    },
    60_000,
  );

  it('the harness sees a request and a console error when a page has them', async () => {
    // Port 9 (discard) on loopback: a request is attempted and fails, nothing leaves the machine.
    const page = join(OUT_DIR, 'harness-check.html');
    await writeTextAtomic(
      page,
      '<!doctype html><html><body><img src="http://127.0.0.1:9/x.png"><script>console.error("checked")</script></body></html>',
    );
    const visit = await browser.visit(pathToFileURL(page).href);
    expect(visit.requests).toContain('http://127.0.0.1:9/x.png');
    expect(visit.errors.join('\n')).toContain('checked');
  }, 60_000);

  it('the run index links every report and loads nothing', async () => {
    const summary: RunSummary = {
      schemaVersion: REPORT_SCHEMA_VERSION,
      tool: (reports.get('pass') as Report).tool,
      startedAt: (reports.get('pass') as Report).timeline.startedAt,
      endedAt: (reports.get('interrupted') as Report).timeline.endedAt,
      reason: 'failed',
      scenarios: FIXTURES.map((name) => {
        const report = reports.get(name) as Report;
        return {
          file: `scenarios/${name}.load.ts`,
          test: report.scenario.name,
          scenario: report.scenario.name,
          verdict: report.verdict,
          testState: report.verdict === 'pass' ? 'passed' : 'failed',
          reportPath: `reports/html-browser/${name}.json`,
          durationSeconds: report.timeline.durationSeconds,
          thresholds: null,
          errors: [],
        };
      }),
      environment: (reports.get('pass') as Report).environment,
    };
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const indexPath = join(OUT_DIR, 'index.html');
    await writeTextAtomic(indexPath, renderRunIndex(summary, { reportDir: OUT_DIR, root }));
    const visit = await browser.visit(pathToFileURL(indexPath).href);
    expect(visit.errors).toEqual([]);
    expect(visit.requests).toEqual([]);
    const links = await browser.evaluate<string[]>(
      `Array.from(document.querySelectorAll('a')).map((a) => a.href)`,
    );
    expect(links.filter((href) => href.endsWith('.html'))).toEqual(
      FIXTURES.map((name) => pathToFileURL(join(OUT_DIR, `${name}.html`)).href),
    );
  }, 60_000);
});
