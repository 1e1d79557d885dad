import type { HtmlReport } from '../read.js';
import type { Report } from '../schema.js';
import { writeReport, writeTextAtomic } from '../write.js';
import { renderHtmlReport } from './render.js';

/** `reports/x/y.json` → `reports/x/y.html` */
export function htmlPathFor(reportJsonPath: string): string {
  return reportJsonPath.replace(/(\.json)?$/i, '.html');
}

/** Renders the report's page and writes it atomically (a failed render leaves the old page). */
export async function writeHtmlReport(path: string, report: HtmlReport): Promise<void> {
  await writeTextAtomic(path, renderHtmlReport(report));
}

/**
 * The JSON report, then its page beside it. The JSON is the record: a page that cannot be
 * rendered is reported on stderr and never fails the run (`hls-swarm report html` retries it).
 */
export async function writeReportAndHtml(jsonPath: string, report: Report): Promise<void> {
  await writeReport(jsonPath, report);
  try {
    await writeHtmlReport(htmlPathFor(jsonPath), report);
  } catch (error) {
    process.stderr.write(
      `[hls-swarm] could not write the HTML report beside ${jsonPath}: ${String(error)}\n`,
    );
  }
}
