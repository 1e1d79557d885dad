import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, parseScenario, type Scenario } from '../../config/index.js';
import { writeReportAndHtml } from '../../report/html/index.js';
import { formatSummary, parseReportText, ReportFileError, readReportFile } from '../../report/index.js';
import { mergeShardReports, ShardMergeError, type ShardReportFile } from '../../runner/index.js';
import { UsageError } from '../errors.js';

export const usage = `Usage: hls-swarm merge <shard reports or folders…> [--scenario FILE] [--allow-missing]
                         [--out FILE | --out-dir DIR]

Merges the reports of a scenario's shards (runs with --shard i/N, HLS_SWARM_SHARD=i/N, or a
Kubernetes Indexed Job's JOB_COMPLETION_INDEX with HLS_SWARM_SHARDS=N) into one report and
one verdict: percentiles from the shards' pooled HDR histograms, counters summed per second,
the scenario's thresholds evaluated on the merged series. Folders are searched for shard
reports (*.shard-<i>-of-<N>.json and any report with a "shard" section); reports of several
scenarios are merged per scenario.
Exit code: 0 every merged scenario passed, 1 one failed or a shard is missing or failed,
3 inconclusive (a shard's load generator was saturated), 2 a usage error or reports that do
not belong together.

  --scenario FILE     judge with this scenario (a .json file, or a module whose default export
                      is the scenario) instead of the one recorded in the reports
  --allow-missing     merge the shards that reported when some are missing or failed (named
                      in the report) instead of failing
  --out FILE          where the merged report goes (one scenario only)
  --out-dir DIR       folder for merged reports, as <DIR>/<file stem>/<test>.json (default reports)`;

const SHARD_SUFFIX_RE = /\.shard-\d+-of-\d+\.json$/;

async function collectReportFiles(
  paths: readonly string[],
): Promise<{ explicit: string[]; found: string[] }> {
  const explicit: string[] = [];
  const found: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && entry.name.endsWith('.json') && !entry.name.startsWith('.'))
        found.push(path);
    }
  };
  for (const path of paths) {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch {
      throw new UsageError(`${path} does not exist: give shard report files or folders holding them`);
    }
    if (info.isDirectory()) await walk(path);
    else explicit.push(path);
  }
  return { explicit, found };
}

/** Every shard report given or found; a file given by name must be one, found files may be anything. */
async function readShardReports(paths: readonly string[]): Promise<ShardReportFile[]> {
  const { explicit, found } = await collectReportFiles(paths);
  const reports: ShardReportFile[] = [];
  for (const path of explicit) reports.push({ path, report: await readReportFile(path) });
  for (const path of found) {
    // A folder also holds merged reports, summaries and pages' data: only shard reports count.
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      continue;
    }
    if (!SHARD_SUFFIX_RE.test(path) && !text.includes('"shard"')) continue;
    try {
      // The text is read already (to skip files that are not shard reports): parse it once.
      const report = parseReportText(text, path);
      if (report.shard) reports.push({ path, report });
    } catch (error) {
      if (SHARD_SUFFIX_RE.test(path)) throw error;
    }
  }
  return reports;
}

async function loadScenario(file: string): Promise<Scenario> {
  let input: unknown;
  try {
    if (extname(file) === '.json') input = JSON.parse(await readFile(file, 'utf8'));
    else input = ((await import(pathToFileURL(resolve(file)).href)) as { default?: unknown }).default;
  } catch (error) {
    throw new UsageError(`--scenario: cannot read ${file}: ${(error as Error).message}`);
  }
  if (input === undefined) throw new UsageError(`--scenario: ${file} has no default export`);
  return parseScenario(input, file);
}

/** `<dir>/<stem>/<slug>.shard-1-of-3.json` → `<outDir>/<stem>/<slug>.json`. */
function mergedPathFor(shardPath: string, outDir: string): string {
  const stem = basename(dirname(resolve(shardPath)));
  const name = basename(shardPath).replace(SHARD_SUFFIX_RE, '.json');
  return join(
    outDir,
    stem,
    name === basename(shardPath) ? `${basename(shardPath, '.json')}.merged.json` : name,
  );
}

function exitCodeOf(verdict: string): number {
  if (verdict === 'pass') return 0;
  if (verdict === 'inconclusive') return 3;
  return 1;
}

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      scenario: { type: 'string' },
      'allow-missing': { type: 'boolean', default: false },
      out: { type: 'string' },
      'out-dir': { type: 'string', default: 'reports' },
    },
  });
  if (positionals.length === 0) throw new UsageError('give the shard reports, or folders holding them');
  try {
    const scenario = values.scenario ? await loadScenario(values.scenario) : undefined;
    const reports = await readShardReports(positionals);
    if (reports.length === 0)
      throw new ShardMergeError(
        `no shard reports in ${positionals.join(', ')}: shards write *.shard-<i>-of-<N>.json (run them with --shard i/N or HLS_SWARM_SHARD)`,
      );
    const groups = new Map<string, ShardReportFile[]>();
    for (const entry of reports) {
      const key = `${entry.report.scenario.file ?? ''}\u0000${entry.report.scenario.test ?? entry.report.scenario.name}`;
      groups.set(key, [...(groups.get(key) ?? []), entry]);
    }
    if (values.out && groups.size > 1)
      throw new UsageError(
        `--out names one file but the reports hold ${groups.size} scenarios: use --out-dir, or give one scenario's shard reports`,
      );
    let exitCode = 0;
    for (const group of groups.values()) {
      const merged = mergeShardReports(group, {
        ...(scenario ? { scenario } : {}),
        allowMissing: values['allow-missing'],
      });
      const outPath = values.out ?? mergedPathFor((group[0] as ShardReportFile).path, values['out-dir']);
      await writeReportAndHtml(outPath, merged);
      const shards = merged.shards;
      process.stdout.write(
        `${formatSummary(merged)}\nmerged ${shards?.merged.length ?? 0} of ${shards?.count ?? 0} shards (start spread ${shards?.startSpreadMs ?? '?'} ms) → ${outPath}\n\n`,
      );
      exitCode = Math.max(exitCode, exitCodeOf(merged.verdict));
    }
    return exitCode;
  } catch (error) {
    if (
      !(error instanceof ReportFileError || error instanceof ShardMergeError || error instanceof ConfigError)
    )
      throw error;
    process.stderr.write(`hls-swarm merge: ${error.message}\n`);
    return 2;
  }
}
