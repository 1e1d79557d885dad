/*
 * The HTML report: a self-contained page per report (rebuilt from the JSON alone) and the
 * run index beside reports/summary.json.
 */
export { buildCharts, type ChartSpec, type ChartsData } from './charts.js';
export { renderRunIndex } from './index-page.js';
export { renderHtmlReport } from './render.js';
export { htmlPathFor, writeHtmlReport, writeReportAndHtml } from './write.js';
