import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { htmlPathFor, writeHtmlReport } from '../../report/html/index.js';
import { ReportFileError, readReportFile } from '../../report/index.js';
import { UsageError } from '../errors.js';

export const usage = `Usage: hls-swarm report html <report.json> [--out FILE]

Renders a JSON report as a self-contained HTML page (charts, thresholds, environment; no
network needed to open it). Written beside the JSON (same name, .html) unless --out is given.
Exit code: 0 written, 2 a usage error or a file that is not a report this hls-swarm can read
(nothing is overwritten then).

  --out FILE   where to write the page`;

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' } },
  });
  const [format, input, ...extra] = positionals;
  if (format !== 'html')
    throw new UsageError(`the only report format is 'html' (got ${format ? `'${format}'` : 'none'}).`);
  if (!input) throw new UsageError('name the JSON report to render, e.g. reports/smoke/smoke.json.');
  if (extra.length > 0) throw new UsageError(`one report at a time (also got ${extra.join(' ')}).`);
  const out = values.out ?? htmlPathFor(input);
  try {
    const report = await readReportFile(input);
    await writeHtmlReport(out, report);
  } catch (error) {
    if (!(error instanceof ReportFileError)) throw error;
    process.stderr.write(`hls-swarm report: ${error.message}\n`);
    return 2;
  }
  process.stdout.write(`${resolve(out)}\n`);
  return 0;
}
