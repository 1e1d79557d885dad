import { parseArgs } from 'node:util';
import {
  compareReports,
  formatComparison,
  parseRegressionBound,
  ReportFileError,
  ReportMismatchError,
  readReportFile,
} from '../../report/index.js';
import { UsageError } from '../errors.js';

export const usage = `Usage: hls-swarm compare <baseline.json> <current.json> [--max-regression 10%]

Prints the two runs side by side (segment download p95/p99, segment TTFB p95, startup p95,
error rate, throughput per viewer, stalled viewers, origin CPU) and fails when the current run
is worse than the baseline by more than the bound on any of them.
Exit code: 0 no regression, 1 a regression beyond the bound, 2 a usage error, a file that is
not a report, or two runs of different scenarios, viewer counts or origins.

  --max-regression P   allowed change for the worse, in percent (default 10%)`;

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'max-regression': { type: 'string', default: '10%' } },
  });
  if (positionals.length !== 2) {
    throw new UsageError(`give two reports, the baseline then the current run (got ${positionals.length}).`);
  }
  const bound = parseRegressionBound(values['max-regression']);
  if (bound === null) {
    throw new UsageError(
      `--max-regression must be a percentage such as 10% (got '${values['max-regression']}').`,
    );
  }
  const [baselinePath = '', currentPath = ''] = positionals;
  try {
    const rows = compareReports(await readReportFile(baselinePath), await readReportFile(currentPath), bound);
    process.stdout.write(
      `baseline ${baselinePath}\ncurrent  ${currentPath}\n\n${formatComparison(rows, bound)}\n`,
    );
    const regressions = rows.filter((row) => row.regression);
    if (regressions.length > 0) {
      process.stdout.write(
        `\n${regressions.length} regression(s): ${regressions.map((row) => row.name).join(', ')}\n`,
      );
      return 1;
    }
    return 0;
  } catch (error) {
    if (!(error instanceof ReportFileError || error instanceof ReportMismatchError)) throw error;
    process.stderr.write(`hls-swarm compare: ${error.message}\n`);
    return 2;
  }
}
