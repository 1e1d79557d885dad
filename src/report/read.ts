import { readFile } from 'node:fs/promises';
import { HlsSwarmError } from '../system/index.js';
import { REPORT_SCHEMA_VERSION, type Report, reportSchema } from './schema.js';

/*
 * Reading a report file written by this or another hls-swarm of the same schema version.
 * Fields added within a version (a new verdict such as `inconclusive`, a new flag on a
 * threshold) are accepted so a page can be rebuilt from a report of a newer minor release.
 */

/** A report as the HTML page reads it: any verdict string. */
export type HtmlReport = Omit<Report, 'verdict'> & { verdict: string };

/** A file that is not a report this hls-swarm can read: names the file and the problem. */
export class ReportFileError extends HlsSwarmError {
  override readonly name = 'ReportFileError';
  readonly code = 'HLS_SWARM_REPORT_FILE';
}

function tolerated(issue: { code: string; path: PropertyKey[] }, input: Record<string, unknown>): boolean {
  if (issue.code === 'unrecognized_keys') return true;
  return issue.path.length === 1 && issue.path[0] === 'verdict' && typeof input.verdict === 'string';
}

/** Validates parsed JSON as a report; `file` names it in the error. */
export function parseReportForHtml(input: unknown, file: string): HtmlReport {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ReportFileError(`${file} is not an hls-swarm report: expected a JSON object.`);
  }
  const record = input as Record<string, unknown>;
  const version = record.schemaVersion;
  if (typeof version === 'number' && version > REPORT_SCHEMA_VERSION) {
    throw new ReportFileError(
      `${file} has report schemaVersion ${version}; this hls-swarm reads version ${REPORT_SCHEMA_VERSION}. Use a newer hls-swarm to render it.`,
    );
  }
  const checked = reportSchema.safeParse(input);
  if (checked.success) return checked.data;
  const problems = checked.error.issues.filter((issue) => !tolerated(issue, record));
  if (problems.length === 0) return input as HtmlReport;
  const listed = problems
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  const more = problems.length > 5 ? `\n  … and ${problems.length - 5} more` : '';
  throw new ReportFileError(`${file} is not a valid hls-swarm report:\n  ${listed.join('\n  ')}${more}`);
}

/** Reads and validates a report file. */
export async function readReportFile(file: string): Promise<HtmlReport> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ReportFileError(
      code === 'ENOENT' ? `${file} does not exist.` : `cannot read ${file}: ${(error as Error).message}`,
    );
  }
  return parseReportText(text, file);
}

/** A report file's text, already read, validated like readReportFile's. */
export function parseReportText(text: string, file: string): HtmlReport {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ReportFileError(`${file} is not JSON: ${(error as Error).message}`);
  }
  return parseReportForHtml(parsed, file);
}
