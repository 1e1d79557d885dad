import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { SwarmMetrics } from '../../swarm/metrics-server.js';
import { UsageError } from '../errors.js';
import {
  fileSdTargets,
  parsePrometheusConfigArgs,
  prometheusConfig,
  run,
  shardsTargetsPathFor,
} from './prometheus-config.js';

interface ScrapeConfig {
  job_name: string;
  metrics_path: string;
  static_configs?: { targets: string[]; labels?: Record<string, string> }[];
  file_sd_configs?: { files: string[]; refresh_interval: string }[];
}
interface Config {
  global: { scrape_interval: string; scrape_timeout: string; evaluation_interval: string };
  scrape_configs: ScrapeConfig[];
}

const tmpDirs: string[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const dir of tmpDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hls-swarm-prometheus-config-'));
  tmpDirs.push(dir);
  return dir;
}
/** The UsageError message `promise` rejects with (and that it is a UsageError: exit code 2). */
async function usageMessage(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UsageError);
  return (error as Error).message;
}

describe('prometheus config generator', () => {
  it('static shards: job hls-swarm with a shard label per target in order, then nginx and node', () => {
    const text = prometheusConfig({
      shards: ['127.0.0.1:17091', '10.0.0.2:17091', '[::1]:17092'],
      nginx: '127.0.0.1:17113',
      node: 'origin.example:17100',
    });
    const config = parseYaml(text) as Config;
    expect(config.global).toEqual({ scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' });
    expect(config.scrape_configs.map((job) => job.job_name)).toEqual(['hls-swarm', 'nginx', 'node']);
    const [swarm, nginx, node] = config.scrape_configs;
    expect(swarm).toEqual({
      job_name: 'hls-swarm',
      metrics_path: '/metrics',
      static_configs: [
        { targets: ['127.0.0.1:17091'], labels: { shard: '0' } },
        { targets: ['10.0.0.2:17091'], labels: { shard: '1' } },
        { targets: ['[::1]:17092'], labels: { shard: '2' } },
      ],
    });
    expect(nginx?.static_configs).toEqual([{ targets: ['127.0.0.1:17113'] }]);
    expect(node?.static_configs).toEqual([{ targets: ['origin.example:17100'] }]);
  });

  it('without exporters only the shards are scraped; the timeout never exceeds the interval', () => {
    const fast = parseYaml(prometheusConfig({ shards: ['a:1'], scrapeInterval: '500ms' })) as Config;
    expect(fast.scrape_configs.map((job) => job.job_name)).toEqual(['hls-swarm']);
    expect(fast.global).toEqual({
      scrape_interval: '500ms',
      scrape_timeout: '500ms',
      evaluation_interval: '500ms',
    });
    const slow = parseYaml(prometheusConfig({ shards: ['a:1'], scrapeInterval: '1m30s' })) as Config;
    expect(slow.global.scrape_timeout).toBe('10s');
  });

  it('file_sd: the job points at the target file; the file holds one labelled group per shard', () => {
    const config = parseYaml(
      prometheusConfig({
        shards: ['h1:17091', 'h2:17091'],
        shardsTargetsFile: '/etc/prometheus/x-shards.json',
      }),
    ) as Config;
    expect(config.scrape_configs[0]).toEqual({
      job_name: 'hls-swarm',
      metrics_path: '/metrics',
      file_sd_configs: [{ files: ['/etc/prometheus/x-shards.json'], refresh_interval: '10s' }],
    });
    expect(fileSdTargets(['h1:17091', 'h2:17091'])).toEqual([
      { targets: ['h1:17091'], labels: { shard: '0' } },
      { targets: ['h2:17091'], labels: { shard: '1' } },
    ]);
    expect(shardsTargetsPathFor('conf/prometheus.yml', '/work')).toBe('/work/conf/prometheus-shards.json');
    expect(shardsTargetsPathFor(undefined, '/work')).toBe('/work/hls-swarm-shards.json');
  });

  it('run --shards-file --out writes the config and the file_sd JSON beside it', async () => {
    const dir = await tempDir();
    await writeFile(
      join(dir, 'shards.txt'),
      '# the three generator hosts\n10.0.0.1:17091\n\n10.0.0.2:17091  # second\n10.0.0.3:17091\n',
    );
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const code = await run([
      '--shards-file',
      join(dir, 'shards.txt'),
      '--out',
      join(dir, 'prometheus.yml'),
      '--nginx',
      '127.0.0.1:17113',
    ]);
    expect(code).toBe(0);
    expect(stdout).toHaveBeenCalledWith(`${join(dir, 'prometheus.yml')}\n`);
    expect(stderr).toHaveBeenCalledWith(`shard targets (file_sd): ${join(dir, 'prometheus-shards.json')}\n`);
    expect((await readdir(dir)).sort()).toEqual(['prometheus-shards.json', 'prometheus.yml', 'shards.txt']);
    const config = parseYaml(await readFile(join(dir, 'prometheus.yml'), 'utf8')) as Config;
    expect(config.scrape_configs.map((job) => job.job_name)).toEqual(['hls-swarm', 'nginx']);
    expect(config.scrape_configs[0]?.file_sd_configs?.[0]?.files).toEqual([
      join(dir, 'prometheus-shards.json'),
    ]);
    expect(JSON.parse(await readFile(join(dir, 'prometheus-shards.json'), 'utf8'))).toEqual([
      { targets: ['10.0.0.1:17091'], labels: { shard: '0' } },
      { targets: ['10.0.0.2:17091'], labels: { shard: '1' } },
      { targets: ['10.0.0.3:17091'], labels: { shard: '2' } },
    ]);
  });

  it('bad input is a UsageError naming the flag and the value', async () => {
    const dir = await tempDir();
    const parse = (argv: string[]) => usageMessage(parsePrometheusConfigArgs(argv));
    expect(await parse(['--shard', 'http://10.0.0.1:17091/metrics'])).toBe(
      '--shard: expected HOST:PORT such as 127.0.0.1:17091 (no scheme, no path), got "http://10.0.0.1:17091/metrics"',
    );
    expect(await parse(['--shard', '10.0.0.1'])).toBe(
      '--shard: expected HOST:PORT such as 127.0.0.1:17091 (no scheme, no path), got "10.0.0.1"',
    );
    expect(await usageMessage(run(['--shard', '127.0.0.1:70000']))).toBe(
      '--shard: port 70000 in "127.0.0.1:70000" is out of range (1-65535)',
    );
    expect(await usageMessage(run(['--shard', '127.0.0.1:0']))).toBe(
      '--shard: port 0 in "127.0.0.1:0" is out of range (1-65535)',
    );
    expect(await usageMessage(run(['--shard', 'a:1', '--nginx', 'nginx']))).toBe(
      '--nginx: expected HOST:PORT such as 127.0.0.1:17091 (no scheme, no path), got "nginx"',
    );
    expect(await usageMessage(run(['--shard', 'a:1', '--node', 'b:99999']))).toBe(
      '--node: port 99999 in "b:99999" is out of range (1-65535)',
    );
    expect(await usageMessage(run(['--shard', 'a:1', '--shard', 'a:1']))).toBe(
      '--shard: a:1 is given twice (shards 0 and 1)',
    );
    expect(await usageMessage(run(['--shard', 'a:1', '--scrape-interval', '1 second']))).toBe(
      '--scrape-interval: expected a Prometheus duration above zero such as 1s, 500ms or 1m30s, got "1 second"',
    );
    expect(await usageMessage(run(['--shard', 'a:1', '--scrape-interval', '0s']))).toBe(
      '--scrape-interval: expected a Prometheus duration above zero such as 1s, 500ms or 1m30s, got "0s"',
    );
    expect(await parse([])).toBe(
      'give at least one shard: --shard HOST:PORT (repeatable) or --shards-file FILE',
    );
    expect(await parse(['--shard', 'a:1', '--shards-file', 'f'])).toBe(
      'give --shard or --shards-file, not both',
    );
    expect(await parse(['extra'])).toBe('unexpected argument "extra"');

    const missing = join(dir, 'missing.txt');
    expect(await parse(['--shards-file', missing])).toBe(
      `--shards-file: cannot read ${JSON.stringify(missing)} (ENOENT)`,
    );
    expect(await parse(['--shards-file', dir])).toBe(
      `--shards-file: cannot read ${JSON.stringify(dir)} (EISDIR)`,
    );
    const bad = join(dir, 'bad.txt');
    await writeFile(bad, '10.0.0.1:17091\n10.0.0.2:17091:1\n');
    expect(await parse(['--shards-file', bad])).toBe(
      `--shards-file ${JSON.stringify(bad)} line 2: expected HOST:PORT such as 127.0.0.1:17091 (no scheme, no path), got "10.0.0.2:17091:1"`,
    );
    const empty = join(dir, 'empty.txt');
    await writeFile(empty, '# nothing yet\n\n');
    expect(await parse(['--shards-file', empty])).toBe(
      `--shards-file: ${JSON.stringify(empty)} lists no HOST:PORT (one per line; # starts a comment)`,
    );
    const twice = join(dir, 'twice.txt');
    await writeFile(twice, 'a:1\nb:2\na:1\n');
    expect(await parse(['--shards-file', twice])).toBe(
      `--shards-file ${JSON.stringify(twice)}: a:1 is given twice (shards 0 and 2)`,
    );
    expect(
      await usageMessage(run(['--shard', 'a:1', '--out', join(dir, 'no', 'such', 'dir', 'prometheus.yml')])),
    ).toBe(
      `--out: cannot write ${JSON.stringify(join(dir, 'no', 'such', 'dir', 'prometheus.yml'))} (ENOENT)`,
    );
    // An unknown flag is node:util's parse error, which main.ts also turns into exit code 2.
    await expect(parsePrometheusConfigArgs(['--shards', 'a:1'])).rejects.toMatchObject({
      code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION',
    });
  });
});

// ---------------------------------------------------------------- the Grafana dashboard

interface Target {
  expr: string;
  datasource: { type: string; uid: string };
}
interface Panel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown }[] };
}

/** The raw exporter names the project reads (src/metrics/store.ts, the nginx origin's readiness check). */
const SAMPLED_EXPORTER_METRICS = [
  'nginx_connections_active',
  'nginx_connections_accepted',
  'nginx_connections_handled',
  'nginx_http_requests_total',
  'nginx_up',
  'node_cpu_seconds_total',
  'node_memory_MemAvailable_bytes',
  'node_memory_MemTotal_bytes',
  'node_network_transmit_bytes_total',
  'node_network_receive_bytes_total',
];
/** Series Prometheus itself adds to every target. */
const PROMETHEUS_SERIES = ['up', 'scrape_duration_seconds'];
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a template string
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

const repoFile = (path: string) => new URL(`../../../${path}`, import.meta.url);

async function loadDashboard(): Promise<Dashboard> {
  return JSON.parse(await readFile(repoFile('docs/grafana/hls-swarm.json'), 'utf8')) as Dashboard;
}

/** Every name the swarm's /metrics serves (histograms as _bucket, _sum and _count). */
async function swarmMetricNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const metric of await new SwarmMetrics().registry.getMetricsAsJSON()) {
    if (String(metric.type) === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
    else names.add(metric.name);
  }
  return names;
}

/** Names in the recorded scrapes of Debian's nginx and node exporters (fixtures/exporters). */
async function recordedExporterNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const file of ['nginx-exporter-1.prom', 'node-exporter-1.prom']) {
    const text = await readFile(repoFile(`fixtures/exporters/${file}`), 'utf8');
    for (const line of text.split('\n')) {
      const name = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line)?.[1];
      if (name) names.add(name);
    }
  }
  return names;
}

/** Metric names an expression selects: identifiers before `{` or `[`, and every hls_swarm_/nginx_/node_ name. */
function metricNamesIn(expr: string): string[] {
  const names = new Set<string>();
  for (const match of expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[{[]/g)) names.add(match[1] as string);
  for (const match of expr.matchAll(/\b((?:hls_swarm|nginx|node)_[a-zA-Z0-9_]+)\b/g))
    names.add(match[1] as string);
  return [...names];
}

function dashboardExpressions(dashboard: Dashboard): string[] {
  return dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
}

describe('docs/grafana/hls-swarm.json', () => {
  it('uses only metric names the swarm and the sampled exporters really expose', async () => {
    const dashboard = await loadDashboard();
    const swarm = await swarmMetricNames();
    const recorded = await recordedExporterNames();
    for (const name of SAMPLED_EXPORTER_METRICS) expect(recorded, name).toContain(name);
    const known = new Set([...swarm, ...SAMPLED_EXPORTER_METRICS, ...PROMETHEUS_SERIES]);
    const used = new Set(dashboardExpressions(dashboard).flatMap(metricNamesIn));
    expect([...used].filter((name) => !known.has(name))).toEqual([]);
    for (const name of [
      'hls_swarm_clients_active',
      'hls_swarm_clients_target',
      'hls_swarm_requests_total',
      'hls_swarm_segment_duration_seconds_bucket',
      'hls_swarm_segment_ttfb_seconds_bucket',
      'hls_swarm_http_errors_total',
      'hls_swarm_timeouts_total',
      'hls_swarm_reconnects_total',
      'hls_swarm_stalled_clients',
      'hls_swarm_dropped_log_lines_total',
      'node_cpu_seconds_total',
      'nginx_connections_active',
    ])
      expect(used, name).toContain(name);
  });

  it('merges the fleet by summing buckets over shards, and queries the Prometheus template variable', async () => {
    const dashboard = await loadDashboard();
    const expressions = dashboardExpressions(dashboard);
    expect(expressions).toContain(
      'histogram_quantile(0.95, sum by (le) (rate(hls_swarm_segment_duration_seconds_bucket{shard=~"$shard"}[$__rate_interval])))',
    );
    expect(expressions).toContain(
      'sum by (kind, status) (rate(hls_swarm_requests_total{shard=~"$shard"}[$__rate_interval]))',
    );
    expect(expressions).toContain('sum(hls_swarm_clients_active{shard=~"$shard"})');
    const [datasource, shard] = dashboard.templating.list;
    expect(datasource).toMatchObject({ name: 'datasource', type: 'datasource', query: 'prometheus' });
    expect(shard).toMatchObject({ name: 'shard', type: 'query' });
    for (const panel of dashboard.panels.filter((panel) => panel.type !== 'row')) {
      expect(panel.datasource, panel.title).toEqual(DATASOURCE);
      for (const target of panel.targets ?? []) expect(target.datasource, panel.title).toEqual(DATASOURCE);
    }
    expect(new Set(dashboard.panels.map((panel) => panel.title)).size).toBe(dashboard.panels.length);
  });
});
