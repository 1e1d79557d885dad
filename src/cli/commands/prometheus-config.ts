import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { UsageError } from '../errors.js';

/*
 * `hls-swarm prometheus-config`: the Prometheus 2.x configuration that scrapes every shard's
 * /metrics (job hls-swarm, label shard = index in the order given) and the origin's exporters
 * (jobs nginx and node), for a load test split across processes or hosts. With --shards-file
 * the shards go to a file_sd target file beside the config, so they can change without a
 * Prometheus restart. The YAML is written here (no YAML library is a dependency): a small
 * emitter for maps, lists and strings, every string double-quoted (JSON escapes are YAML's).
 */

export const usage = `Usage: hls-swarm prometheus-config (--shard HOST:PORT ... | --shards-file FILE)
                                [--nginx HOST:PORT] [--node HOST:PORT] [--scrape-interval 1s] [--out FILE]

Prints (or writes to --out) a Prometheus 2.x configuration that scrapes each shard's swarm
/metrics (job hls-swarm; label shard = the shard's index in the order given, from 0) and the
origin's exporters (jobs nginx and node). See docs/prometheus.md.
Exit code: 0 written, 2 a usage error (a target that is not HOST:PORT, a file that cannot be read).

  --shard HOST:PORT        a shard's /metrics address (repeatable; hls-swarm run --metrics)
  --shards-file FILE       one HOST:PORT per line (# comments, blank lines ignored): the shards are
                           written to a file_sd target file beside the config (<out>-shards.json, or
                           ./hls-swarm-shards.json without --out) that Prometheus re-reads on change
  --nginx HOST:PORT        the origin's nginx-prometheus-exporter (job nginx)
  --node HOST:PORT         the origin's node_exporter (job node)
  --scrape-interval D      Prometheus duration (default 1s, the swarm sampler's interval)
  --out FILE               write the configuration to FILE instead of printing it`;

/** The swarm sampler scrapes the swarm every metrics.swarmInterval, 1 s by default. */
export const DEFAULT_SCRAPE_INTERVAL = '1s';
/** Prometheus's own default scrape timeout; it may not exceed the interval. */
const PROMETHEUS_DEFAULT_TIMEOUT_MS = 10_000;
/** file_sd re-reads on inotify events; this is the fallback re-read period. */
const FILE_SD_REFRESH_INTERVAL = '10s';

export interface PrometheusConfigOptions {
  /** Shard /metrics addresses (HOST:PORT) in shard order: the first is shard 0. */
  shards: readonly string[];
  /** When set, the hls-swarm job reads its targets from this file_sd file instead of static_configs. */
  shardsTargetsFile?: string;
  /** The origin's nginx-prometheus-exporter, HOST:PORT. */
  nginx?: string;
  /** The origin's node_exporter, HOST:PORT. */
  node?: string;
  /** Prometheus duration; default 1s. */
  scrapeInterval?: string;
}

/** One group of a file_sd target file: `[{ "targets": ["HOST:PORT"], "labels": { "shard": "0" } }, …]`. */
export type FileSdGroup = {
  targets: string[];
  labels: Record<string, string>;
};

export interface PrometheusConfigArgs extends PrometheusConfigOptions {
  /** Where the configuration goes; stdout when absent. */
  out?: string;
}

// ---------------------------------------------------------------- validation

const TARGET_SHAPE = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)):(\d+)$/;
const PROMETHEUS_DURATION =
  /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const DURATION_UNIT_MS = [31_536_000_000, 604_800_000, 86_400_000, 3_600_000, 60_000, 1000, 1];

/**
 * Checks a scrape target: HOST:PORT with a hostname, an IPv4 address or a bracketed IPv6
 * address, and a port in 1-65535. `where` names the flag (and line) in the message.
 * Returns the target as written (trimmed).
 */
export function parseScrapeTarget(where: string, text: string): string {
  const target = text.trim();
  const match = TARGET_SHAPE.exec(target);
  if (!match)
    throw new UsageError(
      `${where}: expected HOST:PORT such as 127.0.0.1:17091 (no scheme, no path), got ${JSON.stringify(text)}`,
    );
  const port = Number(match[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(`${where}: port ${match[3]} in ${JSON.stringify(target)} is out of range (1-65535)`);
  return target;
}

/** Milliseconds of a Prometheus duration ('1s', '500ms', '1m30s'), or a UsageError naming the flag. */
export function parsePrometheusDurationMs(where: string, text: string): number {
  const match = PROMETHEUS_DURATION.exec(text);
  const ms = match
    ? match.slice(1).reduce((sum, part, index) => sum + Number(part ?? 0) * (DURATION_UNIT_MS[index] ?? 0), 0)
    : 0;
  if (!match || text === '' || ms <= 0)
    throw new UsageError(
      `${where}: expected a Prometheus duration above zero such as 1s, 500ms or 1m30s, got ${JSON.stringify(text)}`,
    );
  return ms;
}

function assertDistinct(where: string, shards: readonly string[]): void {
  const seen = new Map<string, number>();
  shards.forEach((shard, index) => {
    const first = seen.get(shard);
    if (first !== undefined)
      throw new UsageError(`${where}: ${shard} is given twice (shards ${first} and ${index})`);
    seen.set(shard, index);
  });
}

// ---------------------------------------------------------------- generation

/** The file_sd groups for `shards`: one group per shard, labelled with its index. */
export function fileSdTargets(shards: readonly string[]): FileSdGroup[] {
  return shards.map((target, index) => ({ targets: [target], labels: { shard: String(index) } }));
}

/** The Prometheus configuration as YAML text. Pure: writes nothing. */
export function prometheusConfig(options: PrometheusConfigOptions): string {
  const interval = options.scrapeInterval ?? DEFAULT_SCRAPE_INTERVAL;
  const intervalMs = parsePrometheusDurationMs('--scrape-interval', interval);
  const shards = options.shards.map((shard) => parseScrapeTarget('--shard', shard));
  if (!options.shardsTargetsFile && shards.length === 0)
    throw new UsageError('give at least one shard: --shard HOST:PORT (repeatable) or --shards-file FILE');
  assertDistinct('--shard', shards);
  const swarmJob: Record<string, unknown> = { job_name: 'hls-swarm', metrics_path: '/metrics' };
  if (options.shardsTargetsFile)
    swarmJob.file_sd_configs = [
      { files: [options.shardsTargetsFile], refresh_interval: FILE_SD_REFRESH_INTERVAL },
    ];
  else swarmJob.static_configs = fileSdTargets(shards);
  const jobs: Record<string, unknown>[] = [swarmJob];
  for (const [job, flag, target] of [
    ['nginx', '--nginx', options.nginx],
    ['node', '--node', options.node],
  ] as const) {
    if (target === undefined) continue;
    jobs.push({
      job_name: job,
      metrics_path: '/metrics',
      static_configs: [{ targets: [parseScrapeTarget(flag, target)] }],
    });
  }
  const config = {
    global: {
      scrape_interval: interval,
      // Prometheus refuses a timeout above the interval; its own default is 10 s.
      scrape_timeout: intervalMs < PROMETHEUS_DEFAULT_TIMEOUT_MS ? interval : '10s',
      evaluation_interval: interval,
    },
    scrape_configs: jobs,
  };
  const source = options.shardsTargetsFile
    ? `# Job hls-swarm reads its shards from ${options.shardsTargetsFile} (file_sd, JSON:\n#   [{"targets": ["HOST:PORT"], "labels": {"shard": "0"}}, ...]);\n# rewrite that file as shards come and go: Prometheus re-reads it without a restart.\n`
    : '# Job hls-swarm scrapes each shard; its label shard is the index in the order given.\n';
  return `# Prometheus 2.x configuration generated by \`hls-swarm prometheus-config\` (docs/prometheus.md).\n${source}${stringify(config, { lineWidth: 0 })}`;
}

// ---------------------------------------------------------------- command line

/** Shards listed in a file: one HOST:PORT per line; blank lines and `#` comments are skipped. */
export async function readShardsFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UsageError(`--shards-file: cannot read ${JSON.stringify(path)} (${code})`);
  }
  const shards: string[] = [];
  text.split('\n').forEach((line, index) => {
    const content = line.replace(/#.*/, '').trim();
    if (content)
      shards.push(parseScrapeTarget(`--shards-file ${JSON.stringify(path)} line ${index + 1}`, content));
  });
  if (shards.length === 0)
    throw new UsageError(
      `--shards-file: ${JSON.stringify(path)} lists no HOST:PORT (one per line; # starts a comment)`,
    );
  assertDistinct(`--shards-file ${JSON.stringify(path)}`, shards);
  return shards;
}

/** The file_sd target file for a configuration written to `out` (or printed, when absent). */
export function shardsTargetsPathFor(out: string | undefined, cwd = process.cwd()): string {
  if (out === undefined) return resolve(cwd, 'hls-swarm-shards.json');
  const absolute = resolve(cwd, out);
  const stem = basename(absolute, extname(absolute));
  return join(dirname(absolute), `${stem}-shards.json`);
}

/** Command line → validated arguments (reads --shards-file). UsageError names the flag. */
export async function parsePrometheusConfigArgs(argv: string[]): Promise<PrometheusConfigArgs> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      shard: { type: 'string', multiple: true },
      'shards-file': { type: 'string' },
      nginx: { type: 'string' },
      node: { type: 'string' },
      'scrape-interval': { type: 'string', default: DEFAULT_SCRAPE_INTERVAL },
      out: { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const shardFlags = values.shard ?? [];
  const shardsFile = values['shards-file'];
  if (shardFlags.length > 0 && shardsFile !== undefined)
    throw new UsageError('give --shard or --shards-file, not both');
  if (shardFlags.length === 0 && shardsFile === undefined)
    throw new UsageError('give at least one shard: --shard HOST:PORT (repeatable) or --shards-file FILE');
  const shards =
    shardsFile !== undefined
      ? await readShardsFile(shardsFile)
      : shardFlags.map((shard) => parseScrapeTarget('--shard', shard));
  assertDistinct('--shard', shards);
  parsePrometheusDurationMs('--scrape-interval', values['scrape-interval']);
  const args: PrometheusConfigArgs = { shards, scrapeInterval: values['scrape-interval'] };
  if (shardsFile !== undefined) args.shardsTargetsFile = shardsTargetsPathFor(values.out);
  if (values.nginx !== undefined) args.nginx = parseScrapeTarget('--nginx', values.nginx);
  if (values.node !== undefined) args.node = parseScrapeTarget('--node', values.node);
  if (values.out !== undefined) args.out = values.out;
  return args;
}

/** Writes through a temporary file and a rename, so Prometheus never reads half a file. */
async function writeAtomically(flag: string, path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, text);
    await rename(temporary, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UsageError(`${flag}: cannot write ${JSON.stringify(path)} (${code})`);
  }
}

export async function run(argv: string[]): Promise<number> {
  const args = await parsePrometheusConfigArgs(argv);
  const config = prometheusConfig(args);
  if (args.shardsTargetsFile) {
    await writeAtomically(
      '--shards-file',
      args.shardsTargetsFile,
      `${JSON.stringify(fileSdTargets(args.shards), null, 2)}\n`,
    );
    process.stderr.write(`shard targets (file_sd): ${args.shardsTargetsFile}\n`);
  }
  if (args.out === undefined) process.stdout.write(config);
  else {
    await writeAtomically('--out', resolve(args.out), config);
    process.stdout.write(`${resolve(args.out)}\n`);
  }
  return 0;
}
