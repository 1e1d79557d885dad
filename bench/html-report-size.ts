// The HTML report's size for a long, large run (NOT a test): takes a real report, stretches its
// timeseries to --minutes by repeating its rows (1 row per second whatever the viewer count, so
// viewers only change the numbers, not the size), sets the scenario to --viewers, renders it and
// prints the page size and render time.
//
//   node --import tsx bench/html-report-size.ts [--report reports/ramp/ramp-to-200-viewers-in-stages.json]
//        [--minutes 10] [--viewers 1000] [--out reports/bench-html-size.html]
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { renderHtmlReport } from '../src/report/html/index.js';
import { parseReportForHtml, type Report } from '../src/report/index.js';

const { values } = parseArgs({
  options: {
    report: { type: 'string', default: 'src/report/test/fixtures/pass.json' },
    minutes: { type: 'string', default: '10' },
    viewers: { type: 'string', default: '1000' },
    out: { type: 'string', default: 'reports/bench-html-size.html' },
  },
});

const source = JSON.parse(readFileSync(values.report, 'utf8')) as Report;
const timeseries = source.timeseries;
if (!timeseries) throw new Error(`${values.report} has no timeseries`);
const rows = Math.round((Number(values.minutes) * 60) / timeseries.stepSeconds);
const viewers = Number(values.viewers);
const scale = viewers / Math.max(1, source.swarm?.clientsTarget ?? 1);
const counted = /clients|requests|errors|throughput|bytes|connections/;
const stretched: Report = {
  ...source,
  scenario: {
    ...source.scenario,
    config: {
      ...source.scenario.config,
      swarm: { ...(source.scenario.config.swarm as object), clients: viewers },
    },
  },
  timeseries: {
    ...timeseries,
    t: Array.from({ length: rows }, (_, index) => index * timeseries.stepSeconds),
    series: Object.fromEntries(
      Object.entries(timeseries.series).map(([column, values]) => [
        column,
        Array.from({ length: rows }, (_, index) => {
          const value = values[index % values.length] ?? null;
          // Counts grow with viewers; latencies and ratios keep their measured values.
          return value === null || !counted.test(column) ? value : value * scale;
        }),
      ]),
    ),
  },
};

const started = performance.now();
const html = renderHtmlReport(parseReportForHtml(stretched, values.report));
const renderMs = performance.now() - started;
writeFileSync(values.out, html);
const bytes = Buffer.byteLength(html);
process.stdout.write(
  `${values.report}: ${rows} rows × ${Object.keys(timeseries.series).length} columns, ${viewers} viewers → ${values.out}: ${bytes} bytes (${(bytes / 1e6).toFixed(3)} MB), rendered in ${renderMs.toFixed(0)} ms\n`,
);
