import { relative, resolve, sep } from 'node:path';
import { formatClock } from '../format.js';
import type { RunSummary } from '../schema.js';
import { escapeHtml } from './escape.js';
import { PAGE_CSS, verdictClass } from './style.js';

/*
 * reports/index.html: every scenario of the last run (from the run summary) with its verdict,
 * duration and links to its HTML and JSON report, relative so the folder can be moved or
 * archived by CI as it is.
 */

const INDEX_CSS = `
table.runs td.verdict-cell span { display: inline-block; min-width: 92px; text-align: center; color: #fff; font-weight: 700; text-transform: uppercase; border-radius: 4px; padding: 1px 8px; font-size: 12px; }
.v-pass span { background: #16a34a; } .v-fail span { background: #dc2626; } .v-interrupted span { background: #d97706; }
.v-error span { background: #7f1d1d; } .v-other span { background: #64748b; }
`;

function link(fromDir: string, root: string, path: string): string {
  return relative(fromDir, resolve(root, path)).split(sep).map(encodeURIComponent).join('/');
}

/**
 * The run index page. `reportDir` is where index.html is written and `root` the folder the
 * summary's paths are relative to.
 */
export function renderRunIndex(summary: RunSummary, options: { reportDir: string; root: string }): string {
  const rows = summary.scenarios
    .map((entry) => {
      const verdict = entry.verdict ?? 'no report';
      const links = entry.reportPath
        ? `<a href="${escapeHtml(link(options.reportDir, options.root, entry.reportPath.replace(/(\.json)?$/i, '.html')))}">HTML</a> · <a href="${escapeHtml(link(options.reportDir, options.root, entry.reportPath))}">JSON</a>`
        : '<span class="muted">none</span>';
      const thresholds = entry.thresholds
        ? `${entry.thresholds.total - entry.thresholds.failed} of ${entry.thresholds.total} held${entry.thresholds.failedStrict ? ` (${entry.thresholds.failedStrict} strict failed)` : ''}`
        : '';
      const errors = entry.errors.length
        ? `<div class="bad">${escapeHtml(entry.errors.join('; '))}</div>`
        : '';
      return `<tr><td class="verdict-cell ${verdictClass(entry.verdict)}"><span>${escapeHtml(verdict)}</span></td><td>${escapeHtml(entry.scenario ?? entry.test)}<div class="muted">${escapeHtml(entry.file)}</div>${errors}</td><td class="num">${escapeHtml(formatClock(entry.durationSeconds))}</td><td>${escapeHtml(thresholds)}</td><td>${links}</td></tr>`;
    })
    .join('');
  const failed = summary.scenarios.filter((entry) => entry.verdict !== 'pass').length;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hls-swarm run: ${escapeHtml(summary.reason)}</title>
<style>${PAGE_CSS}${INDEX_CSS}</style></head>
<body><main>
<div class="banner ${summary.reason === 'passed' ? 'v-pass' : summary.reason === 'failed' ? 'v-fail' : 'v-interrupted'}"><div class="verdict">${escapeHtml(summary.reason)}</div><div><h1>hls-swarm run</h1><div class="reason">${summary.scenarios.length} scenario(s), ${failed} not passing</div><div class="muted">${escapeHtml(`${summary.startedAt} → ${summary.endedAt} · ${summary.tool.name} ${summary.tool.version}`)}</div></div></div>
<section><table class="grid runs"><thead><tr><th>verdict</th><th>scenario</th><th>duration</th><th>thresholds</th><th>reports</th></tr></thead><tbody>${rows}</tbody></table></section>
</main></body></html>
`;
}
