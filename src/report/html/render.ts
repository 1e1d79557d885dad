import { formatClock, formatNumber, formatSeconds } from '../format.js';
import type { HtmlReport } from '../read.js';
import { CHART_SCRIPT, uplotAssets } from './assets.js';
import { buildCharts, type ChartsData } from './charts.js';
import { escapeHtml, jsonForScript } from './escape.js';
import {
  baselineSection,
  configSection,
  distributionsSection,
  environmentSection,
  keyNumbers,
  originSection,
  qoeSection,
  shardsSection,
  startGateSection,
  swarmSection,
  viewerKindsSection,
} from './sections.js';
import { PAGE_CSS, verdictClass } from './style.js';

/*
 * The self-contained HTML report: one page from the report JSON alone, CSS, uPlot and the
 * chart data inline, no URL the browser would fetch. For a streaming SRE reviewing a gate:
 * verdict and why first, then the thresholds, then the charts that show when things moved.
 */

function bannerSection(report: HtmlReport): string {
  const timeline = report.timeline;
  const facts = [
    `started ${timeline.startedAt}`,
    `ran ${formatClock(timeline.durationSeconds)} (swarm planned ${formatClock(timeline.plannedSwarmSeconds)})`,
    report.scenario.file ? `file ${report.scenario.file}` : '',
    report.scenario.test && report.scenario.test !== report.scenario.name
      ? `test ${report.scenario.test}`
      : '',
  ].filter(Boolean);
  const failedStrict = report.thresholds.filter((threshold) => !threshold.ok && threshold.strict).length;
  const reason =
    report.reason ??
    (report.verdict === 'pass'
      ? `every strict threshold held (${report.thresholds.length} threshold(s))`
      : failedStrict > 0
        ? `${failedStrict} strict threshold(s) failed`
        : '');
  const error = report.error
    ? `<div class="bad">${escapeHtml(`${report.error.name}: ${report.error.message}`)}</div>`
    : '';
  return `<div class="banner ${verdictClass(report.verdict)}" id="verdict"><div class="verdict">${escapeHtml(report.verdict)}</div><div><h1>${escapeHtml(report.scenario.name)}</h1>${
    report.scenario.description ? `<div>${escapeHtml(report.scenario.description)}</div>` : ''
  }${reason ? `<div class="reason">${escapeHtml(reason)}</div>` : ''}${error}<div class="muted">${escapeHtml(facts.join(' · '))}</div></div></div>`;
}

function observedText(observed: number | null, expression: string): string {
  if (observed === null) return 'n/a';
  // Expressions with a time unit (p(95)<1s) compare seconds; show them as durations.
  return /\d(ms|s|m)\b/.test(expression) ? formatSeconds(observed) : formatNumber(observed);
}

function thresholdsSection(report: HtmlReport): string {
  if (report.thresholds.length === 0) {
    return '<section id="thresholds"><h2>Thresholds</h2><p class="muted">The scenario has no thresholds.</p></section>';
  }
  const rows = report.thresholds
    .map((threshold) => {
      const unreliable = (threshold as { unreliable?: unknown }).unreliable;
      const rowClass = threshold.ok ? '' : threshold.strict ? 'failed-strict' : 'failed-soft';
      return `<tr class="${rowClass}"><td><code>${escapeHtml(threshold.metric)}</code></td><td><code>${escapeHtml(threshold.expression)}</code></td><td>${escapeHtml(threshold.window)}</td><td class="num">${escapeHtml(threshold.baseline ? `${threshold.baseline.text.current} (baseline ${threshold.baseline.text.baseline}, ${threshold.baseline.text.change})` : observedText(threshold.observed, threshold.expression))}</td><td class="mark">${threshold.ok ? '<span class="ok" title="held">✓</span>' : '<span class="bad" title="failed">✗</span>'}</td><td>${threshold.strict ? 'strict' : 'reported only'}${threshold.abortOnFail ? '<span class="tag">abortOnFail</span>' : ''}${unreliable ? `<span class="tag" title="${escapeHtml(typeof unreliable === 'string' ? unreliable : 'the measurement may not be trusted')}">unreliable</span>` : ''}</td><td class="muted">${escapeHtml(threshold.message ?? '')}</td></tr>`;
    })
    .join('');
  return `<section id="thresholds"><h2>Thresholds</h2><table class="grid thresholds"><thead><tr><th>metric</th><th>expression</th><th>window</th><th>observed</th><th>held</th><th>gate</th><th>detail (sliding windows: when the worst one was)</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function chartsSection(charts: ChartsData | null): string {
  if (!charts || charts.charts.length === 0) {
    return '<section id="charts"><h2>Over time</h2><p class="muted">The report has no timeseries (the swarm never ran).</p></section>';
  }
  const note = [
    charts.steady ? 'shaded: the steady window the steady thresholds judge' : '',
    charts.markers.length ? "dashed vertical lines: the scenario's actions" : '',
    charts.charts.some((chart) => chart.series.some((series) => series.column.startsWith('baseline:')))
      ? 'dashed series: the baseline run, on the same time since its swarm started'
      : '',
    'x axis: time since the swarm started',
  ]
    .filter(Boolean)
    .join(' · ');
  const blocks = charts.charts
    .map(
      (chart) =>
        `<div class="chart"><h3>${escapeHtml(chart.title)}</h3><div class="plot" id="chart-${escapeHtml(chart.id)}"></div></div>`,
    )
    .join('');
  return `<section id="charts"><h2>Over time</h2><p class="legend-note">${escapeHtml(note)}</p><div class="charts">${blocks}</div></section>`;
}

/** The whole page, from the report alone. */
export function renderHtmlReport(report: HtmlReport): string {
  const charts = buildCharts(report);
  const { script, css } = uplotAssets();
  const title = `${report.verdict.toUpperCase()} · ${report.scenario.name} · hls-swarm report`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${escapeHtml(`${report.tool.name} ${report.tool.version}`)}">
<title>${escapeHtml(title)}</title>
<style>${css}</style><style>${PAGE_CSS}</style></head>
<body><main>
${bannerSection(report)}
${keyNumbers(report)}
${thresholdsSection(report)}
${baselineSection(report)}
${shardsSection(report)}
${chartsSection(charts)}
${distributionsSection(report.swarm)}
${qoeSection(report.swarm)}
${viewerKindsSection(report.swarm)}
${startGateSection(report.swarm)}
${swarmSection(report.swarm)}
${originSection(report)}
${environmentSection(report)}
${configSection(report)}
</main>
<script type="application/json" id="chart-data">${jsonForScript(charts)}</script>
<script>${script}</script>
<script>${CHART_SCRIPT}</script>
</body></html>
`;
}
