import { writeTextAtomic } from '../write.js';
import type { HtmlReport } from './load.js';
import { renderHtmlReport } from './render.js';

/** `reports/x/y.json` → `reports/x/y.html` */
export function htmlPathFor(reportJsonPath: string): string {
  return reportJsonPath.replace(/(\.json)?$/i, '.html');
}

/** Renders the report's page and writes it atomically (a failed render leaves the old page). */
export async function writeHtmlReport(path: string, report: HtmlReport): Promise<void> {
  await writeTextAtomic(path, renderHtmlReport(report));
}
